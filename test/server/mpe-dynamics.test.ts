import { describe, expect, it } from 'vitest';
import { createSimulation } from '../../server/scenarios/registry.ts';
import { ParallelEnv } from '../../server/env/parallel-env.ts';
import type { MpeSimulation } from '../../server/mpe/mpe-simulation.ts';

function mpeSim(name: string, physics = 'mpe'): MpeSimulation {
  return createSimulation(name, { physics }) as MpeSimulation;
}

/** Place entities exactly, zero velocities, through the same path `kdmarl rollout --init` takes. */
function place(sim: MpeSimulation, entities: Record<string, [number, number]>, vel: Record<string, [number, number]> = {}): void {
  sim.setInitialState({
    entities: Object.fromEntries(Object.entries(entities).map(([name, pos]) => [name, { pos, vel: vel[name] ?? [0, 0] }])),
  });
}

describe('mpe physics mode reproduces MPE2 core.py step by step', () => {
  it('integrates position first, then damping 0.25 and force * dt (sensitivity 5)', () => {
    const sim = mpeSim('spread');
    const env = new ParallelEnv(sim);
    env.reset({ seed: 1 });
    place(sim, { agent_0: [0, 0], agent_1: [2, 2], agent_2: [-2, -2] });
    // move_right three times: force (5, 0)
    const right = { agent_0: 2, agent_1: 0, agent_2: 0 };
    env.step(right);
    // p = 0 + 0 * 0.1; v = 0 * 0.75 + 5 * 0.1
    expect(sim.world.pos[0]).toBe(0);
    expect(sim.world.vel[0]).toBeCloseTo(0.5, 12);
    env.step(right);
    // p = 0 + 0.5 * 0.1; v = 0.5 * 0.75 + 0.5
    expect(sim.world.pos[0]).toBeCloseTo(0.05, 12);
    expect(sim.world.vel[0]).toBeCloseTo(0.875, 12);
    env.step(right);
    expect(sim.world.pos[0]).toBeCloseTo(0.05 + 0.0875, 12);
    expect(sim.world.vel[0]).toBeCloseTo(0.875 * 0.75 + 0.5, 12);
    // the other agents did not move and y stayed 0
    expect(sim.world.pos[1]).toBe(0);
    expect(sim.world.pos[2]).toBe(2);
  });

  it('maps the discrete actions as PettingZoo does (1 left, 2 right, 3 down, 4 up)', () => {
    const sim = mpeSim('spread');
    const env = new ParallelEnv(sim);
    env.reset({ seed: 2 });
    place(sim, { agent_0: [0, 0], agent_1: [3, 0], agent_2: [-3, 0] });
    env.step({ agent_0: 1, agent_1: 3, agent_2: 4 });
    expect([sim.world.vel[0], sim.world.vel[1]]).toEqual([-0.5, 0]);
    expect([sim.world.vel[2], sim.world.vel[3]]).toEqual([0, -0.5]);
    expect([sim.world.vel[4], sim.world.vel[5]]).toEqual([0, 0.5]);
  });

  it('pushes overlapping colliders apart with the softplus contact force (100, margin 1e-3)', () => {
    const sim = mpeSim('spread');
    const env = new ParallelEnv(sim);
    env.reset({ seed: 3 });
    // agents of size 0.15: centres 0.2 apart overlap by 0.1
    place(sim, { agent_0: [0, 0], agent_1: [0.2, 0], agent_2: [5, 5] });
    env.step({ agent_0: 0, agent_1: 0, agent_2: 0 });
    const penetration = 1e-3 * (100 + Math.log1p(Math.exp(-100))); // k * logaddexp(0, overlap / k)
    const force = 100 * penetration;
    expect(sim.world.vel[0]).toBeCloseTo(-force * 0.1, 9);
    expect(sim.world.vel[2]).toBeCloseTo(force * 0.1, 9);
    // landmarks in spread do not collide: an agent on a landmark feels nothing
    expect(sim.world.vel[4]).toBe(0);
  });

  it('clamps speed to max_speed in tag (adversary 1.0, accel 3)', () => {
    const sim = mpeSim('tag');
    const env = new ParallelEnv(sim);
    env.reset({ seed: 4 });
    place(sim, { adversary_0: [-0.9, 0], adversary_1: [0, 0.9], adversary_2: [0, -0.9], agent_0: [0.9, 0.9], landmark_0: [5, 5], landmark_1: [-5, -5] });
    const actions = { adversary_0: 2, adversary_1: 0, adversary_2: 0, agent_0: 0 };
    env.step(actions);
    expect(sim.world.vel[0]).toBeCloseTo(0.3, 12); // accel 3 * dt
    for (let t = 0; t < 10; t++) env.step(actions);
    // unclamped steady state would be 0.3 / 0.25 = 1.2
    expect(Math.hypot(sim.world.vel[0], sim.world.vel[1])).toBeCloseTo(1.0, 12);
  });

  it('is deterministic: same seed and actions give identical trajectories (both physics modes)', () => {
    for (const physics of ['mpe', 'matter']) {
      const run = () => {
        const env = new ParallelEnv(mpeSim('tag', physics));
        env.reset({ seed: 99 });
        const trace: number[] = [];
        for (let t = 0; t < 25; t++) {
          const { rewards, observations } = env.step({ adversary_0: t % 5, adversary_1: (t * 3) % 5, adversary_2: (t * 7) % 5, agent_0: (t * 2) % 5 });
          trace.push(...Object.values(rewards), ...observations.agent_0.observation);
        }
        return trace;
      };
      expect(run()).toEqual(run());
    }
  });

  it('matter-js mode keeps crowded agents from sinking into each other', () => {
    const sim = mpeSim('spread', 'matter');
    const env = new ParallelEnv(sim);
    env.reset({ seed: 5 });
    place(sim, { agent_0: [-0.5, 0], agent_1: [0.5, 0], agent_2: [0, 0.6] });
    // drive the two agents into each other for a whole episode
    for (let t = 0; t < 20; t++) env.step({ agent_0: 2, agent_1: 1, agent_2: 3 });
    const gap = Math.hypot(sim.world.pos[0] - sim.world.pos[2], sim.world.pos[1] - sim.world.pos[3]);
    // radii 0.15 + 0.15: at most a few percent of a radius of overlap
    expect(gap).toBeGreaterThan(0.3 - 0.15 * 0.1);
    expect(gap).toBeLessThan(0.4);
  });
});
