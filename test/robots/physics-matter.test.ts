import { afterAll, beforeAll, describe, expect, test, vi, type MockInstance } from 'vitest';
import { createRobotPhysics, VMAS_WORLD_DEFAULTS, type BodySpec, type WorldSpec } from '../../server/robots/physics/index.ts';
import { box, fixed, line, sphere } from './physics-fixtures.ts';

// matter-js warns once per process when Engine.update gets a delta above 1000/60 ms; VMAS's dt of
// 0.1 s with one substep is 100 ms, so the matter mode must cut it into smaller updates.
let warn: MockInstance<typeof console.warn>;
beforeAll(() => {
  warn = vi.spyOn(console, 'warn');
});
afterAll(() => {
  expect(warn.mock.calls.map((call) => call.join(' '))).toEqual([]);
  warn.mockRestore();
});

function finite(p: { posX: Float64Array; posY: Float64Array; velX: Float64Array; velY: Float64Array; rot: Float64Array; angVel: Float64Array }): boolean {
  return [p.posX, p.posY, p.velX, p.velY, p.rot, p.angVel].every((a) => a.every(Number.isFinite));
}

describe('matter mode', () => {
  test('free motion follows VMAS\'s integrator: 0.4·F/m terminal speed, ×0.75 decay', () => {
    const p = createRobotPhysics('matter', VMAS_WORLD_DEFAULTS, [sphere('agent_0', 0.1)]);
    for (let s = 0; s < 200; s++) {
      p.forceX[0] = 1;
      p.step();
    }
    expect(p.velX[0]).toBeCloseTo(0.4, 6);
    p.forceX[0] = 0;
    const x = p.posX[0];
    p.step();
    expect(p.velX[0]).toBeCloseTo(0.3, 6);
    expect(p.posX[0] - x).toBeCloseTo(0.03, 6);
  });

  test('two robots driven head-on collide and do not pass through; pushed apart, they separate', () => {
    const p = createRobotPhysics('matter', VMAS_WORLD_DEFAULTS, [sphere('agent_0', 0.1), sphere('agent_1', 0.1)]);
    p.posX[0] = -0.5;
    p.posX[1] = 0.5;
    p.syncFromState();
    let minGap = Infinity;
    for (let s = 0; s < 60; s++) {
      p.forceX[0] = 1;
      p.forceX[1] = -1;
      p.step();
      minGap = Math.min(minGap, p.distance(0, 1));
      expect(p.posX[0]).toBeLessThan(p.posX[1]);
    }
    // They meet after about 1 s and press on each other with 1 N each. VMAS's penalty spring (c = 100)
    // would hold them 0.01 deep; matter-js' position solver keeps them about as deep, never 0.02.
    expect(minGap).toBeGreaterThan(-0.02);
    expect(p.distance(0, 1)).toBeLessThan(0.01);
    for (let s = 0; s < 20; s++) {
      p.forceX[0] = -1;
      p.forceX[1] = 1;
      p.step();
    }
    expect(p.distance(0, 1)).toBeGreaterThan(0.2);
    expect(finite(p)).toBe(true);
  });

  test('a robot driven into a static wall stops at it; a box pushed by a robot moves', () => {
    const p = createRobotPhysics('matter', VMAS_WORLD_DEFAULTS, [
      sphere('agent_0', 0.1),
      box('wall_0', 0.1, 2, fixed),
      sphere('agent_1', 0.1),
      box('package', 0.3, 0.3, { mass: 2 }),
    ]);
    p.posX[1] = 0.5; // wall face at x = 0.45
    p.posX[2] = -1;
    p.posY[2] = 1.5;
    p.posX[3] = -0.5;
    p.posY[3] = 1.5;
    p.syncFromState();
    for (let s = 0; s < 80; s++) {
      p.forceX[0] = 1;
      p.forceX[2] = 1;
      p.step();
      expect(p.posX[0]).toBeLessThan(0.45 - 0.1 + 0.01);
    }
    expect(p.posX[0]).toBeGreaterThan(0.3); // it did reach the wall
    expect(p.posX[1]).toBe(0.5);
    expect(p.posX[3]).toBeGreaterThan(-0.4); // the robot at (-1, 1.5) pushed the package
    expect(p.posX[2]).toBeLessThan(p.posX[3] - 0.15 - 0.1 + 0.01);
    expect(finite(p)).toBe(true);
  });

  test('every shape kind together, 2 substeps and bounds: no NaN, nothing escapes the bounds', () => {
    const world: WorldSpec = { ...VMAS_WORLD_DEFAULTS, substeps: 2, xSemidim: 1, ySemidim: 1 };
    const bodies: BodySpec[] = [
      ...Array.from({ length: 5 }, (_, i) => sphere(`agent_${i}`, 0.1)),
      box('package', 0.3, 0.2, { mass: 2 }),
      line('line', 0.8),
      line('wall_0', 1, fixed),
    ];
    const p = createRobotPhysics('matter', world, bodies);
    for (let i = 0; i < 5; i++) p.posX[i] = -0.6 + 0.3 * i;
    p.posY[5] = 0.5;
    p.posY[6] = -0.4;
    p.posY[7] = -0.8;
    p.syncFromState();
    for (let s = 0; s < 200; s++) {
      for (let i = 0; i < 5; i++) {
        p.forceX[i] = Math.cos(0.1 * s + i);
        p.forceY[i] = Math.sin(0.13 * s - i);
      }
      p.step();
    }
    expect(finite(p)).toBe(true);
    for (let i = 0; i < 7; i++) {
      expect(Math.abs(p.posX[i])).toBeLessThanOrEqual(1);
      expect(Math.abs(p.posY[i])).toBeLessThanOrEqual(1);
    }
  });
});

describe('matter mode shapes', () => {
  test('a sphere rests against a wall and another sphere at its radius, not the decagon\'s inner radius', () => {
    const p = createRobotPhysics('matter', VMAS_WORLD_DEFAULTS, [sphere('agent_0', 0.1), box('wall_0', 0.1, 2, fixed), sphere('agent_1', 0.1), sphere('agent_2', 0.1)]);
    p.posX[1] = 0.5; // face at 0.45
    p.posY[2] = 1.5;
    p.posX[3] = 0.5;
    p.posY[3] = 1.5;
    p.syncFromState();
    for (let s = 0; s < 60; s++) {
      p.forceX[0] = 1;
      p.forceX[2] = 1;
      p.forceX[3] = -1;
      p.step();
    }
    // matter-js lets bodies overlap by its slop (0.05 px = 0.0005 here) and a 16-gon reaches 2% past r
    const toFace = 0.45 - p.posX[0];
    expect(toFace).toBeGreaterThan(0.1 - 0.001);
    expect(toFace).toBeLessThan(0.1 / Math.cos(Math.PI / 16) + 0.001);
    const apart = p.posX[3] - p.posX[2];
    expect(apart).toBeGreaterThan(0.2 - 0.002);
    expect(apart).toBeLessThan(0.2 / Math.cos(Math.PI / 16) + 0.002);
  });
});

test('a fast robot does not tunnel through a thin wall (one 100 ms update per step let it through)', () => {
  // Force 5 gives a terminal speed of 2: 0.2 per 100 ms update, more than the robot's diameter.
  const p = createRobotPhysics('matter', VMAS_WORLD_DEFAULTS, [sphere('agent_0', 0.1), line('wall_0', 2, fixed)]);
  p.posX[1] = 0.5;
  p.rot[1] = Math.PI / 2;
  p.syncFromState();
  for (let s = 0; s < 60; s++) {
    p.forceX[0] = 5;
    p.step();
    expect(p.posX[0]).toBeLessThan(0.5);
  }
  expect(p.posX[0]).toBeGreaterThan(0.38);
});

test('matter mode: collide=false bodies follow the vmas integrator through walls; ignores only between static bodies', () => {
  const p = createRobotPhysics('matter', VMAS_WORLD_DEFAULTS, [sphere('goal_0', 0.05, { collide: false }), box('wall_0', 0.1, 2, fixed)]);
  p.posX[1] = 0.3;
  p.syncFromState();
  p.velX[0] = 4; // 4·0.75 = 3 per second: 0.3 per step, straight through the wall
  p.step();
  expect(p.posX[0]).toBeCloseTo(0.3, 12);
  p.step();
  expect(p.posX[0]).toBeCloseTo(0.3 + 0.225, 12);
  expect(() => createRobotPhysics('matter', VMAS_WORLD_DEFAULTS, [sphere('agent_0', 0.1, { ignores: ['wall_0'] }), box('wall_0', 0.1, 2, fixed)])).toThrow(
    /bodies\[0\] \(agent_0\)\.ignores: matter mode can only ignore between two static bodies, not wall_0/,
  );
  expect(() => createRobotPhysics('matter', VMAS_WORLD_DEFAULTS, [box('wall_0', 0.1, 2, { ...fixed, ignores: ['wall_1'] }), box('wall_1', 0.1, 2, fixed)])).not.toThrow();
});
