import { describe, expect, it } from 'vitest';
import type { Simulation } from '../../server/env/simulation.ts';
import { Rng } from '../../shared/rng.ts';
import { ACT, distance, observation, position, robotWorld, stepWith } from './helpers.ts';

// ROBOTS-REFERENCE 5.3: the shaping rewards telescope, so the scale of a return is set by the
// initial distances the reset rules draw and by how fast the bodies can move.

function meanInitialDistance(name: string, pairs: (sim: Simulation) => [string, string][], episodes = 300): number {
  const sim = robotWorld(name);
  let sum = 0;
  let count = 0;
  for (let e = 0; e < episodes; e++) {
    sim.reset(new Rng(1000 + e));
    for (const [a, b] of pairs(sim)) {
      sum += distance(position(sim, a), position(sim, b));
      count++;
    }
  }
  return sum / count;
}

const robotGoalPairs = (sim: Simulation): [string, string][] => sim.agentNames.map((a, i) => [a, `goal_${i}`]);

describe('initial distances of the reset rules (reference 5.3)', () => {
  it('navigation 1.08 per robot, passage 1.27, transport 1.10, balance 1.55', () => {
    expect(meanInitialDistance('navigation', robotGoalPairs)).toBeCloseTo(1.08, 1);
    expect(meanInitialDistance('passage', robotGoalPairs)).toBeCloseTo(1.27, 1);
    expect(meanInitialDistance('transport', () => [['package_0', 'goal']])).toBeCloseTo(1.1, 1);
    expect(meanInitialDistance('balance', () => [['package', 'goal']])).toBeCloseTo(1.55, 1);
  });
});

describe('speeds (reference 1.2 invariants)', () => {
  it('a free robot pushed with force 1 reaches v∞ = 0.4, and speed decays ×0.75 per step without force', () => {
    const sim = robotWorld('navigation', { entities: { agent_0: { pos: [-2, 0] }, agent_1: { pos: [0, 3] }, agent_2: { pos: [0, -3] } } });
    for (let t = 0; t < 60; t++) stepWith(sim, [ACT.right, 0, 0]);
    expect(sim.velocities[0]).toBeCloseTo(0.4, 4);
    stepWith(sim, [0, 0, 0]);
    expect(sim.velocities[0]).toBeCloseTo(0.3, 4);
  });
});

describe('transport and balance cannot reach their goals in 100 steps (reference 5.3)', () => {
  it('four robots pushing the 50-mass box together move it at ΣF·dt/(d·Σm) ≈ 0.0178 per s: under 0.25 in 100 steps', () => {
    const x = -0.075 - 0.03 - 4 / 600;
    const sim = robotWorld('transport', {
      entities: {
        package_0: { pos: [0, 0] },
        goal: { pos: [1, 0] },
        agent_0: { pos: [x, 0.035] },
        agent_1: { pos: [x, -0.035] },
        agent_2: { pos: [x - 0.061, 0.035] },
        agent_3: { pos: [x - 0.061, -0.035] },
      },
    });
    let rewardSum = 0;
    for (let t = 0; t < 100; t++) rewardSum += stepWith(sim, [ACT.right, ACT.right, ACT.right, ACT.right])[0];
    const moved = position(sim, 'package_0')[0];
    expect(moved).toBeGreaterThan(0.1);
    expect(moved).toBeLessThan(0.25);
    const e = sim.entities.findIndex((en) => en.name === 'package_0');
    // 4 · 0.6 · 0.1 / (0.25 · 54)
    expect(sim.velocities[2 * e]).toBeCloseTo((4 * 0.6 * 0.1) / (0.25 * 54), 2);
    expect(rewardSum).toBeCloseTo(100 * moved, 1);
    expect(sim.terminated).toBe(false);
  });

  it('robots lifting the plank raise the ball at most about 0.6 in 100 steps, short of every goal', () => {
    let lifted = 0;
    for (let seed = 0; seed < 10; seed++) {
      const sim = robotWorld('balance', undefined, { seed });
      const start = position(sim, 'package')[1];
      let t = 0;
      while (t < 100 && !sim.terminated) {
        stepWith(sim, [ACT.up, ACT.up, ACT.up, ACT.up]);
        t++;
      }
      expect(sim.episodeMetrics().success).toBe(0);
      const rise = position(sim, 'package')[1] - start;
      expect(rise).toBeLessThan(0.65);
      if (rise > 0.15) lifted++;
    }
    // Not vacuous: pushing up does lift the ball in most episodes (some tip over and fall).
    expect(lifted).toBeGreaterThanOrEqual(5);
  });

  it('navigation is reachable in 100 steps: a robot driving straight at its goal arrives', () => {
    const sim = robotWorld('navigation', { entities: { agent_0: { pos: [-0.9, -0.9] }, goal_0: { pos: [0.9, 0.9] }, agent_1: { pos: [0.9, -0.9] }, goal_1: { pos: [0.9, -0.9] }, agent_2: { pos: [-0.9, 0.9] }, goal_2: { pos: [-0.9, 0.9] } } });
    let t = 0;
    while (t < 100 && !sim.terminated) {
      const [gx, gy] = position(sim, 'goal_0');
      const [x, y] = position(sim, 'agent_0');
      const axis = (d: number, v: number): number => (d - 0.6 * v > 0.02 ? 2 : d - 0.6 * v < -0.02 ? 1 : 0);
      stepWith(sim, [3 * axis(gx - x, sim.velocities[0]) + axis(gy - y, sim.velocities[1]), 0, 0]);
      t++;
    }
    expect(sim.terminated).toBe(true);
    expect(sim.episodeMetrics().success).toBe(1);
    expect(t).toBeLessThan(100);
  });
});

describe("transport's step limit: the shortest round limit a perfect push fits in nearly every reset", () => {
  it('four robots pushing on faces add 1/4 of the axis speed each to one axis: a straight push arrives within 1500 steps in ≥ 98% of resets, within 500 in under half', () => {
    const x = -0.075 - 0.03 - 4 / 600;
    const pusher = robotWorld('transport', {
      entities: { package_0: { pos: [-0.9, 0] }, goal: { pos: [0.9, 0.9] }, agent_0: { pos: [-0.9 + x, 0.035] }, agent_1: { pos: [-0.9 + x, -0.035] }, agent_2: { pos: [-0.961 + x, 0.035] }, agent_3: { pos: [-0.961 + x, -0.035] } },
    });
    for (let t = 0; t < 100; t++) stepWith(pusher, [ACT.right, ACT.right, ACT.right, ACT.right]);
    const [from] = position(pusher, 'package_0');
    for (let t = 0; t < 300; t++) stepWith(pusher, [ACT.right, ACT.right, ACT.right, ACT.right]);
    const axisSpeed = (position(pusher, 'package_0')[0] - from) / 300;
    // The 100 steps travelled 0.1719 where the steady speed would have gone 0.1778: the start-up costs about 3 steps.
    expect(axisSpeed).toBeCloseTo(0.001778, 5);

    const sim = robotWorld('transport');
    expect(sim.maxSteps).toBe(1500);
    const onGoalAt = (agents: Record<string, { pos: [number, number] }>, p: [number, number], g: [number, number]): boolean => {
      sim.setInitialState({ entities: { ...agents, goal: { pos: g }, package_0: { pos: p } } });
      return observation(sim, 0)[10] === 1;
    };
    const needed: number[] = [];
    for (let seed = 0; seed < 400; seed++) {
      sim.reset(new Rng(50_000 + seed));
      // Robots parked in a corner so they never overlap the package as it slides.
      const agents = Object.fromEntries(sim.agentNames.map((a, i) => [a, { pos: [1.15, -1.15 + 0.07 * i] as [number, number] }]));
      const p = position(sim, 'package_0');
      const g = position(sim, 'goal');
      let [lo, hi] = [0, 1];
      for (let k = 0; k < 16; k++) {
        const s = (lo + hi) / 2;
        if (onGoalAt(agents, [p[0] + s * (g[0] - p[0]), p[1] + s * (g[1] - p[1])], g)) hi = s;
        else lo = s;
      }
      needed.push((hi * (Math.abs(g[0] - p[0]) + Math.abs(g[1] - p[1]))) / axisSpeed + 3);
    }
    const within = (limit: number): number => needed.filter((n) => n <= limit).length / needed.length;
    expect(within(1500)).toBeGreaterThanOrEqual(0.98);
    expect(within(1000)).toBeLessThan(0.9);
    expect(within(500)).toBeLessThan(0.5);
  });
});
