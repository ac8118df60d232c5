import { describe, expect, it } from 'vitest';
import { createSimulation } from '../../server/scenarios/registry.ts';
import { ParallelEnv } from '../../server/env/parallel-env.ts';
import type { MpeSimulation } from '../../server/mpe/mpe-simulation.ts';

function envFor(name: string) {
  const sim = createSimulation(name) as MpeSimulation;
  return { sim, env: new ParallelEnv(sim) };
}

describe('MPE scenario layouts match PettingZoo/MPE2', () => {
  it.each([
    ['spread', { agent_0: 18, agent_1: 18, agent_2: 18 }, 5, 54],
    ['speaker_listener', { speaker_0: 3, listener_0: 11 }, undefined, 14],
    ['tag', { adversary_0: 16, adversary_1: 16, adversary_2: 16, agent_0: 14 }, 5, 62],
    ['reference', { agent_0: 21, agent_1: 21 }, 50, 42],
  ])('%s: observation sizes, action counts and state size', (name, sizes, actions, stateSize) => {
    const { env } = envFor(name);
    expect(env.possibleAgents).toEqual(Object.keys(sizes));
    for (const [agent, size] of Object.entries(sizes)) {
      expect(env.observationSpace(agent).shape[0]).toBe(size);
      if (actions) expect(env.actionSpace(agent).n).toBe(actions);
    }
    if (name === 'speaker_listener') {
      expect(env.actionSpace('speaker_0').n).toBe(3);
      expect(env.actionSpace('listener_0').n).toBe(5);
    }
    const { observations } = env.reset({ seed: 0 });
    expect(env.state().length).toBe(stateSize);
    for (const [agent, size] of Object.entries(sizes)) {
      expect(observations[agent].observation.length).toBe(size);
      expect([...observations[agent].actionMask].every((m) => m === 1)).toBe(true);
    }
  });

  it('state() is the concatenation of every agent observation', () => {
    const { env } = envFor('tag');
    const { observations } = env.reset({ seed: 3 });
    const concatenated = env.possibleAgents.flatMap((a) => [...observations[a].observation]);
    expect([...env.state()]).toEqual(concatenated);
  });

  it('episodes truncate after 25 steps and never terminate', () => {
    const { env } = envFor('spread');
    env.reset({ seed: 0 });
    for (let t = 1; t <= 25; t++) {
      const step = env.step({ agent_0: 0, agent_1: 0, agent_2: 0 });
      expect(step.terminations.agent_0).toBe(false);
      expect(step.truncations.agent_0).toBe(t === 25);
    }
    expect(env.agents).toEqual([]);
    expect(() => env.step({ agent_0: 0, agent_1: 0, agent_2: 0 })).toThrow(/after the episode ended/);
  });
});

describe('MPE rewards, checked by hand', () => {
  it('spread: 0.5 * global coverage + 0.5 * local collisions', () => {
    const { sim, env } = envFor('spread');
    env.reset({ seed: 0 });
    // agent_0 and agent_1 overlap (0.1 apart < 0.3); agent_2 sits on landmark_2.
    sim.setInitialState({
      entities: {
        agent_0: { pos: [0, 0] }, agent_1: { pos: [0.1, 0] }, agent_2: { pos: [0.5, 0.5] },
        landmark_0: { pos: [-1, 0] }, landmark_1: { pos: [0.1, -1] }, landmark_2: { pos: [0.5, 0.5] },
      },
    });
    const { rewards } = env.step({ agent_0: 0, agent_1: 0, agent_2: 0 });
    // After one step the overlapping pair has velocity but position-first integration has not moved it yet.
    const global = -(1 + 1 + 0);
    expect(rewards.agent_0).toBeCloseTo(0.5 * global + 0.5 * -1, 6);
    expect(rewards.agent_1).toBeCloseTo(0.5 * global + 0.5 * -1, 6);
    expect(rewards.agent_2).toBeCloseTo(0.5 * global, 6);
  });

  it('speaker_listener: both get minus the squared listener-goal distance', () => {
    const { sim, env } = envFor('speaker_listener');
    env.reset({ seed: 0 });
    sim.setInitialState({
      entities: { listener_0: { pos: [0, 0] }, landmark_0: { pos: [0.3, 0.4] }, landmark_1: { pos: [1, 1] }, landmark_2: { pos: [-1, -1] } },
      goals: { listener_0: 'landmark_0' },
    });
    const { rewards, observations } = env.step({ speaker_0: 2, listener_0: 0 });
    expect(rewards.speaker_0).toBeCloseTo(-0.25, 6);
    expect(rewards.listener_0).toBeCloseTo(-0.25, 6);
    // the speaker sees landmark_0's colour; the listener hears word 2 in its last 3 features
    expect([...observations.speaker_0.observation]).toEqual([0.65, 0.15, 0.15].map(Math.fround));
    expect([...observations.listener_0.observation.slice(8)]).toEqual([0, 0, 1]);
  });

  it('reference: local = -distance of the other agent to the goal I know; mixed 50/50 with the mean', () => {
    const { sim, env } = envFor('reference');
    env.reset({ seed: 0 });
    sim.setInitialState({
      entities: {
        agent_0: { pos: [0, 0] }, agent_1: { pos: [1, 0] },
        landmark_0: { pos: [0, 0] }, landmark_1: { pos: [1, 2] }, landmark_2: { pos: [-1, 0] },
      },
      // agent_0 must reach landmark_0 (distance 0); agent_1 must reach landmark_1 (distance 2)
      goals: { agent_0: 'landmark_0', agent_1: 'landmark_1' },
    });
    const { rewards, observations } = env.step({ agent_0: 5 * 7, agent_1: 0 });
    const local0 = -2; // agent_0 knows agent_1's goal
    const local1 = 0;
    const global = (local0 + local1) / 2;
    expect(rewards.agent_0).toBeCloseTo(0.5 * global + 0.5 * local0, 6);
    expect(rewards.agent_1).toBeCloseTo(0.5 * global + 0.5 * local1, 6);
    // agent_1 hears word 7 from agent_0; agent_0 sees landmark_1's colour as its goal colour
    const heard = [...observations.agent_1.observation.slice(11)];
    expect(heard.indexOf(1)).toBe(7);
    expect([...observations.agent_0.observation.slice(8, 11)]).toEqual([0.25, 0.75, 0.25].map(Math.fround));
  });

  it('tag: +10 per catch to every adversary, -10 and the bound penalty to the prey', () => {
    const { sim, env } = envFor('tag');
    env.reset({ seed: 0 });
    sim.setInitialState({
      entities: {
        adversary_0: { pos: [0.95, 0] }, adversary_1: { pos: [0.95, 0.1] }, adversary_2: { pos: [-0.5, -0.5] },
        agent_0: { pos: [0.95, 0.05] }, landmark_0: { pos: [-0.8, 0.8] }, landmark_1: { pos: [0.8, -0.8] },
      },
    });
    const { rewards } = env.step({ adversary_0: 0, adversary_1: 0, adversary_2: 0, agent_0: 0 });
    // two adversaries touch the prey (0.05 apart < 0.125)
    expect(rewards.adversary_0).toBe(20);
    expect(rewards.adversary_2).toBe(20);
    const bound = (0.95 - 0.9) * 10;
    expect(rewards.agent_0).toBeCloseTo(-20 - bound, 5);
  });
});
