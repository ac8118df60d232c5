import { describe, expect, test } from 'vitest';
import { createRobotPhysics, VMAS_WORLD_DEFAULTS, type BodySpec } from '../../server/robots/physics/index.ts';

const sphere = (name: string, radius: number, movable = true): BodySpec => ({
  name, shape: { kind: 'sphere', radius }, mass: 1, movable, rotatable: movable, collide: true,
});

describe('vmas physics', () => {
  test('sphere-sphere: one step of the softplus spring', () => {
    const p = createRobotPhysics('vmas', VMAS_WORLD_DEFAULTS, [sphere('agent_0', 0.1), sphere('agent_1', 0.1)]);
    p.posX[1] = 0.19;
    p.step();
    // overlap 0.01: pen = 1e-3·ln(1+e^10) = 0.0100000454, F = 100·pen; v = -F·0.1, x = v·0.1
    const force = 100 * 1e-3 * Math.log(1 + Math.exp(10));
    expect(p.velX[0]).toBeCloseTo(-force * 0.1, 12);
    expect(p.posX[0]).toBeCloseTo(-force * 0.01, 12);
    expect(p.posX[1]).toBeCloseTo(0.19 + force * 0.01, 12);
  });

  test('a constant force reaches 0.4·F/m and speed decays ×0.75 without it', () => {
    const p = createRobotPhysics('vmas', { ...VMAS_WORLD_DEFAULTS, substeps: 2 }, [sphere('agent_0', 0.1)]);
    for (let s = 0; s < 200; s++) {
      p.forceX[0] = 1;
      p.step();
    }
    expect(p.velX[0]).toBeCloseTo(0.4, 9);
    p.forceX[0] = 0;
    p.step();
    expect(p.velX[0]).toBeCloseTo(0.3, 9);
  });

  test('lidar hits a sphere at t* - sqrt(r² - ρ²)', () => {
    const p = createRobotPhysics('vmas', VMAS_WORLD_DEFAULTS, [sphere('agent_0', 0.1), sphere('agent_1', 0.1)]);
    p.posX[1] = 0.5;
    p.posY[1] = 0.05;
    const out = new Float32Array(4);
    p.lidar(0, 4, 1, Uint8Array.from([1, 1]), out, 0);
    expect(out[0]).toBeCloseTo(0.5 - Math.sqrt(0.01 - 0.0025), 6);
    expect(Array.from(out.slice(1))).toEqual([1, 1, 1]);
  });
});
