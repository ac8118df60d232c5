import { describe, expect, it } from 'vitest';
import { PathDistanceField, type PlacedStatic } from '../../server/robots/path-distance.ts';
import { LINE_CONTACT_RADIUS } from '../../server/robots/physics/index.ts';
import { ACT, errorOf, observation, robotWorld, stepWith } from './helpers.ts';
import { resolveScenario } from '../../server/scenarios/registry.ts';
import { defaultStudentViews } from '../../server/scenarios/student-views.ts';
import { ObservationView } from '../../server/views/view.ts';

const RADIUS = 0.1;
const disc: PlacedStatic = { shape: { kind: 'sphere', radius: 0.15 }, x: 0, y: 0, rot: 0 };

/** The shortest way between A and B symmetric about a disc of radius c centred on the line between them, a from its centre: two tangents and an arc. */
function aroundDisc(a: number, c: number): number {
  return 2 * Math.sqrt(a * a - c * c) + c * (Math.PI - 2 * Math.acos(c / a));
}

describe('path distance around static bodies', () => {
  it('is the straight distance, exactly, when nothing lies between', () => {
    const field = new PathDistanceField([disc], RADIUS, 1.3, 1.3);
    field.setGoal(0.8, 0);
    for (const [x, y] of [[0.8, 0.9], [0.3, -0.6], [1.2, 1.1], [0.5, 0.3]]) expect(field.distance(x, y)).toBe(Math.hypot(x - 0.8, y));
  });

  it('behind a disc, exceeds the straight distance by the detour around the inflated disc', () => {
    const field = new PathDistanceField([disc], RADIUS, 1.3, 1.3);
    field.setGoal(0.8, 0);
    // The robot's centre keeps 0.15 + 0.1 from the disc's: tangent, arc, tangent.
    const shortest = aroundDisc(0.8, 0.25);
    expect(shortest - 1.6).toBeCloseTo(0.0788, 4);
    const d = field.distance(-0.8, 0);
    expect(d).toBeGreaterThan(1.6 + 0.05);
    // The grid part of the path is at most 2.8% too long.
    expect(Math.abs(d - shortest)).toBeLessThan(0.028 * 0.8);
  });

  it('behind a wall, goes round its end: the detour is most of the way', () => {
    const wall: PlacedStatic = { shape: { kind: 'line', length: 1 }, x: 0, y: 0, rot: Math.PI / 2 };
    const field = new PathDistanceField([wall], RADIUS, 1.3, 1.3);
    field.setGoal(0.5, 0);
    // Around the end (0, 0.5) at the clearance c: from (±0.5, 0), d = √0.5 from it, the arc turns 3π/2 − 2·acos(c/d).
    const c = RADIUS + LINE_CONTACT_RADIUS;
    const d = Math.SQRT1_2;
    const shortest = 2 * Math.sqrt(d * d - c * c) + c * ((3 * Math.PI) / 2 - 2 * Math.acos(c / d));
    expect(shortest).toBeCloseTo(1.5979, 3);
    const measured = field.distance(-0.5, 0);
    expect(measured).toBeGreaterThan(shortest - 0.01);
    // 2.8% for the grid's directions, and up to a cell (0.04) for the corner the grid path turns wider.
    expect(measured).toBeLessThan(shortest * 1.028 + 0.04);
  });

  it('is continuous and falls steadily along a free segment that leaves the shadow of the disc', () => {
    const field = new PathDistanceField([disc], RADIUS, 1.3, 1.3);
    field.setGoal(0.8, 0);
    // y = −0.5 from x = −1 to 0.8: the goal is hidden at first (the sight line passes 0.21 from the centre), then in sight.
    const step = 0.002;
    let previous = field.distance(-1, -0.5);
    let hidden = 0;
    for (let x = -1 + step; x <= 0.8; x += step) {
      const d = field.distance(x, -0.5);
      if (d > Math.hypot(x - 0.8, 0.5) + 1e-9) hidden++;
      expect(d).toBeLessThan(previous);
      // A path distance changes no faster than the point moves; where the goal comes into sight the
      // grid's value meets the straight one within a millimetre.
      expect(previous - d).toBeLessThan(step * 1.03 + 0.001);
      previous = d;
    }
    expect(hidden).toBeGreaterThan(50);
  });

  it('inside an inflated static, grows from the nearest free point', () => {
    const field = new PathDistanceField([disc], RADIUS, 1.3, 1.3);
    field.setGoal(0.8, 0);
    const rim = field.distance(0.26, 0);
    const inside = field.distance(0.2, 0);
    expect(inside).toBeGreaterThan(rim);
    expect(inside - rim).toBeLessThan(0.12);
  });

  it('off the grid, adds the straight way back to it', () => {
    const field = new PathDistanceField([disc], RADIUS, 1.3, 1.3);
    field.setGoal(0.8, 0);
    expect(field.distance(-2, 0) - field.distance(-1.3, 0)).toBeCloseTo(0.7, 9);
  });
});

describe("navigation's pos_shaping", () => {
  const far = { agent_1: { pos: [0.5, 0.5] as [number, number] }, goal_1: { pos: [0.5, 0.8] as [number, number] }, agent_2: { pos: [-0.5, -0.5] as [number, number] }, goal_2: { pos: [-0.8, -0.5] as [number, number] } };

  it("'path' pays what 'euclidean' pays when nothing stands between robots and goals", () => {
    const init = { entities: { agent_0: { pos: [0, 0] as [number, number] }, goal_0: { pos: [1, 0] as [number, number] }, ...far } };
    const straight = robotWorld('navigation', init);
    const path = robotWorld('navigation', init, { kwargs: { pos_shaping: 'path' } });
    for (const actions of [[ACT.right, ACT.up, ACT.left], [ACT.rightUp, ACT.down, ACT.none], [ACT.right, ACT.none, ACT.up]]) {
      expect(stepWith(path, actions)).toEqual(stepWith(straight, actions));
    }
  });

  it("'path' recomputes the shaping memory from loaded positions with the path distance", () => {
    // agent_0 hidden from its goal behind the central disc of navigation_obstacles (radius 0.15).
    const others = { agent_1: { pos: [0.9, 0.9] as [number, number] }, goal_1: { pos: [0.9, 0.6] as [number, number] }, agent_2: { pos: [-0.9, -0.9] as [number, number] }, goal_2: { pos: [-0.9, -0.6] as [number, number] } };
    const init = { entities: { agent_0: { pos: [-0.6, 0] as [number, number] }, goal_0: { pos: [0.6, 0] as [number, number] }, ...others } };
    const path = robotWorld('navigation_obstacles', init, { kwargs: { pos_shaping: 'path' } });
    // Standing still pays nothing; a memory from the straight distance (1.2 against about 1.31 around the disc) would pay −0.11.
    expect(stepWith(path, [ACT.none, ACT.none, ACT.none])[0]).toBeCloseTo(0, 9);
  });

  it("'path' pays a robot pressed against an obstacle for sliding round it, where 'euclidean' charges it", () => {
    const others = { agent_1: { pos: [0.9, 0.9] as [number, number] }, goal_1: { pos: [0.9, 0.6] as [number, number] }, agent_2: { pos: [-0.9, -0.9] as [number, number] }, goal_2: { pos: [-0.9, -0.6] as [number, number] } };
    // 0.255 from the disc's centre: its surface 0.005 from the robot's, the goal straight behind the disc.
    const init = { entities: { agent_0: { pos: [-0.25, 0.05] as [number, number] }, goal_0: { pos: [0.6, 0] as [number, number] }, ...others } };
    const path = robotWorld('navigation_obstacles', init, { kwargs: { pos_shaping: 'path' } });
    const straight = robotWorld('navigation_obstacles', init);
    expect(stepWith(straight, [ACT.up, ACT.none, ACT.none])[0]).toBeLessThan(0);
    expect(stepWith(path, [ACT.up, ACT.none, ACT.none])[0]).toBeGreaterThan(0.005);
  });

  it('refuses an unknown value, naming the field', () => {
    const json = { name: 'bad_shaping', family: 'robots', kind: 'navigation', maxSteps: 50, robots: [{ count: 1, dynamics: 'holonomic', radius: 0.1 }], params: { pos_shaping: 'geodesic' } };
    expect(errorOf(json)).toMatch(/params\.pos_shaping.*'euclidean' \(VMAS\) or 'path'/);
  });
});

describe("navigation's path_hint", () => {
  const others = { agent_1: { pos: [0.9, 0.9] as [number, number] }, goal_1: { pos: [0.9, 0.6] as [number, number] }, agent_2: { pos: [-0.9, -0.9] as [number, number] }, goal_2: { pos: [-0.9, -0.6] as [number, number] } };

  it('adds the direction and length of the way round the statics after the goal, and leaves rewards as they were', () => {
    // agent_0 behind the central disc (radius 0.15, 0.25 inflated by the robot's radius) from its goal, above the axis.
    const init = { entities: { agent_0: { pos: [-0.6, 0.1] as [number, number] }, goal_0: { pos: [0.6, 0] as [number, number] }, ...others } };
    const hinted = robotWorld('navigation_obstacles', init, { kwargs: { path_hint: true } });
    const plain = robotWorld('navigation_obstacles', init, { kwargs: { path_hint: false } });
    expect(hinted.layouts[0].size).toBe(plain.layouts[0].size + 3);
    const o = observation(hinted, 0);
    const [dx, dy, length] = [o[6], o[7], o[8]];
    expect(Array.from(o.subarray(0, 6))).toEqual(Array.from(observation(plain, 0).subarray(0, 6)));
    expect(Array.from(o.subarray(9))).toEqual(Array.from(observation(plain, 0).subarray(6)));
    expect(Math.hypot(dx, dy)).toBeCloseTo(1, 5);
    // Along the upper tangent to the inflated disc, about 15 degrees above the x axis; the straight way (towards the goal) points below it.
    expect(Math.atan2(dy, dx) * (180 / Math.PI)).toBeGreaterThan(10);
    expect(Math.atan2(dy, dx) * (180 / Math.PI)).toBeLessThan(20);
    const straight = Math.hypot(1.2, 0.1);
    expect(length).toBeGreaterThan(straight + 0.01);
    expect(length).toBeLessThan(straight + 0.15);
    for (const actions of [[ACT.right, ACT.up, ACT.none], [ACT.up, ACT.none, ACT.left]]) expect(stepWith(hinted, actions)).toEqual(stepWith(plain, actions));
  });

  it("is on in navigation_obstacles' full view and absent from its student view", () => {
    const sim = robotWorld('navigation_obstacles');
    expect(sim.layouts[0].size).toBe(21);
    expect(sim.layouts[0].blocks.map((b) => b.name)).toEqual(['self', 'goal', 'path', 'lidar']);
    const view = defaultStudentViews(resolveScenario('navigation_obstacles'), sim)[0];
    const labels = new ObservationView(sim.layouts[0], view).labels;
    expect(labels).toHaveLength(16);
    expect(view.blocks).not.toContain('path');
  });

  it('points straight at the goal once it is in sight', () => {
    const init = { entities: { agent_0: { pos: [-0.6, 0.7] as [number, number] }, goal_0: { pos: [-0.2, 0.9] as [number, number] }, ...others } };
    const o = observation(robotWorld('navigation_obstacles', init, { kwargs: { path_hint: true } }), 0);
    expect(o[6]).toBeCloseTo(2 / Math.sqrt(5), 3);
    expect(o[7]).toBeCloseTo(1 / Math.sqrt(5), 3);
    expect(o[8]).toBeCloseTo(Math.hypot(0.4, 0.2), 6);
  });
});
