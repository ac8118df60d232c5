import { describe, expect, test } from 'vitest';
import { createRobotPhysics, VMAS_WORLD_DEFAULTS, type BodySpec } from '../../server/robots/physics/index.ts';
import { box, fixed, line, sphere } from './physics-fixtures.ts';

function world(bodies: BodySpec[], place: [x: number, y: number, rot?: number][]) {
  const p = createRobotPhysics('vmas', VMAS_WORLD_DEFAULTS, bodies);
  place.forEach(([x, y, rot], i) => {
    p.posX[i] = x;
    p.posY[i] = y;
    p.rot[i] = rot ?? 0;
  });
  return p;
}

function scan(p: ReturnType<typeof world>, rays: number, range: number, sees?: number[]): number[] {
  const out = new Float32Array(rays);
  p.lidar(0, rays, range, Uint8Array.from(sees ?? p.bodies.map(() => 1)), out, 0);
  return Array.from(out);
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, j) => expect(value, `ray ${j}`).toBeCloseTo(expected[j], 6));
}

describe('lidar: exact ray-shape intersections', () => {
  test('sphere: t* - sqrt(r² - ρ²) ahead, nothing behind or beside', () => {
    const p = world([sphere('agent_0', 0.1), sphere('agent_1', 0.1)], [[0, 0], [0.5, 0.05]]);
    expectClose(scan(p, 4, 1), [0.5 - Math.sqrt(0.01 - 0.0025), 1, 1, 1]);
    // 8 rays: ray 1 at 45° passes (0.5, 0.05) at ρ = |0.5 sin45° - 0.05 cos45°| = 0.45/√2 > 0.1: miss
    expectClose(scan(p, 8, 1), [0.5 - Math.sqrt(0.01 - 0.0025), 1, 1, 1, 1, 1, 1, 1]);
    p.posX[1] = -0.5; // now behind ray 0, ahead of ray 2 (angle π)
    expectClose(scan(p, 4, 1), [1, 1, 0.5 - Math.sqrt(0.01 - 0.0025), 1]);
  });

  test('box: slab entry distance, turned boxes, a ray starting inside sees nothing', () => {
    // 0.2 (x) × 0.4 (y) box at (0.5, 0): its near face x = 0.4
    const p = world([sphere('agent_0', 0.1), box('obstacle_0', 0.2, 0.4, fixed)], [[0, 0], [0.5, 0]]);
    expectClose(scan(p, 4, 1), [0.4, 1, 1, 1]);
    // turned by π/2 the box is 0.4 wide in x: near face x = 0.3
    p.rot[1] = Math.PI / 2;
    expectClose(scan(p, 4, 1), [0.3, 1, 1, 1]);
    p.posX[1] = 0.5;
    p.posY[1] = 0.5;
    p.rot[1] = 0;
    // axis-aligned 0.2 × 0.4 at (0.5, 0.5): the diagonal ray enters at x = 0.4 (y = 0.4 is inside y ∈ [0.3, 0.7])
    expectClose(scan(p, 8, 1), [1, 0.4 * Math.SQRT2, 1, 1, 1, 1, 1, 1]);
    p.posX[0] = 0.5;
    p.posY[0] = 0.5; // inside the box
    expectClose(scan(p, 4, 1), [1, 1, 1, 1]);
  });

  test('box turned π/4: the ray along the diagonal meets the near corner', () => {
    const p = world([sphere('agent_0', 0.1), box('obstacle_0', 0.2, 0.2, fixed)], [[0, 0], [0.5, 0, Math.PI / 4]]);
    expectClose(scan(p, 4, 1), [0.5 - 0.1 * Math.SQRT2, 1, 1, 1]);
  });

  test('segment: hit within its length, miss past its ends and behind', () => {
    // 0.4 along x at (0, 0.3): ray 1 of 4 (+y) hits at 0.3
    const p = world([sphere('agent_0', 0.1), line('wall_0', 0.4, fixed)], [[0, 0], [0, 0.3]]);
    expectClose(scan(p, 4, 1), [1, 0.3, 1, 1]);
    // ray 1 of 8 (45°) crosses y = 0.3 at x = 0.3, past the end x = 0.2
    expectClose(scan(p, 8, 1), [1, 1, 0.3, 1, 1, 1, 1, 1]);
    // a longer wall: the diagonal now hits at 0.3√2
    const long = world([sphere('agent_0', 0.1), line('wall_0', 0.8, fixed)], [[0, 0], [0, 0.3]]);
    expectClose(scan(long, 8, 1), [1, 0.3 * Math.SQRT2, 0.3, 0.3 * Math.SQRT2, 1, 1, 1, 1]);
    // a segment turned π/4 at (0.5, 0) crosses ray 0 at its centre
    const tilted = world([sphere('agent_0', 0.1), line('wall_0', 0.4, fixed)], [[0, 0], [0.5, 0, Math.PI / 4]]);
    expectClose(scan(tilted, 4, 1), [0.5, 1, 1, 1]);
  });

  test('24 rays evenly spaced from the heading inside a square room', () => {
    // Four walls 2.2 long at distance 1: ray at angle a meets the room at 1 / max(|cos a|, |sin a|).
    const walls = [line('wall_0', 2.2, fixed), line('wall_1', 2.2, fixed), line('wall_2', 2.2, fixed), line('wall_3', 2.2, fixed)];
    for (const heading of [0, 0.1, -2]) {
      const p = world([sphere('agent_0', 0.1), ...walls], [[0, 0, heading], [1, 0, Math.PI / 2], [-1, 0, Math.PI / 2], [0, 1], [0, -1]]);
      const expected = Array.from({ length: 24 }, (_, j) => {
        const a = (2 * Math.PI * j) / 24 + heading;
        return 1 / Math.max(Math.abs(Math.cos(a)), Math.abs(Math.sin(a)));
      });
      expectClose(scan(p, 24, 2), expected);
    }
  });

  test('heading turns the rays: ray 0 points along rot', () => {
    const p = world([sphere('agent_0', 0.1), sphere('agent_1', 0.1)], [[0, 0, Math.PI / 2], [0, 0.5]]);
    expectClose(scan(p, 4, 1), [0.4, 1, 1, 1]);
    p.rot[0] = Math.PI; // the sphere at +y is now ray 3 (π + 3π/2)
    expectClose(scan(p, 4, 1), [1, 1, 1, 0.4]);
  });

  test('range cap, nearest hit wins, only the kinds it sees, collide=false is invisible', () => {
    const bodies = [sphere('agent_0', 0.1), sphere('agent_1', 0.1), box('obstacle_0', 0.2, 0.2, fixed), sphere('goal_0', 0.05, { collide: false, ...fixed })];
    const p = world(bodies, [[0, 0], [0.6, 0], [0.3, 0], [0.15, 0]]);
    // the box's face at 0.2 is nearer than the robot's surface at 0.5; the goal never shows
    expectClose(scan(p, 4, 1), [0.2, 1, 1, 1]);
    // a lidar that sees robots only looks through the obstacle
    expectClose(scan(p, 4, 1, [0, 1, 0, 1]), [0.5, 1, 1, 1]);
    // range 0.35: the robot at 0.5 is capped
    expectClose(scan(p, 4, 0.35, [0, 1, 0, 1]), [0.35, 0.35, 0.35, 0.35]);
  });

  test('writes at the offset only, and refuses 0 rays or a range ≤ 0', () => {
    const p = world([sphere('agent_0', 0.1), sphere('agent_1', 0.1)], [[0, 0], [0.5, 0]]);
    const out = new Float32Array(10).fill(-7);
    p.lidar(0, 4, 1, Uint8Array.from([1, 1]), out, 3);
    expectClose(Array.from(out), [-7, -7, -7, 0.4, 1, 1, 1, -7, -7, -7]);
    expect(() => p.lidar(0, 0, 1, Uint8Array.from([1, 1]), out, 0)).toThrow(/rays must be an integer >= 1, got 0/);
    expect(() => p.lidar(0, 4, -1, Uint8Array.from([1, 1]), out, 0)).toThrow(/range must be > 0, got -1/);
  });
});
