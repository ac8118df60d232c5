import { describe, expect, it } from 'vitest';
import { smacHeuristic } from '../../agents/baselines/smac-heuristic.ts';
import { randomPolicy, type DecisionPolicy } from '../../agents/baselines/decision-policy.ts';
import { AgentIO } from '../../server/env/agent-io.ts';
import { ParallelEnv } from '../../server/env/parallel-env.ts';
import { createSimulation } from '../../server/scenarios/registry.ts';
import type { SmacSimulation } from '../../server/smac/smac-simulation.ts';
import { ACTION } from '../../shared/smac-actions.ts';
import { Rng } from '../../shared/rng.ts';

function observe(sim: SmacSimulation, agent: number): { observation: Float32Array; mask: Uint8Array } {
  const io = new AgentIO(sim);
  io.refreshMasks();
  const observation = new Float32Array(sim.layouts[agent].size);
  io.writeObservation(agent, observation, 0);
  const start = io.maskOffsets[agent];
  return { observation, mask: io.masks.slice(start, start + sim.actionCounts[agent]) };
}

function setup(map: string, positions: Record<string, [number, number]>): SmacSimulation {
  const sim = createSimulation(map) as SmacSimulation;
  sim.reset(new Rng(0));
  const entities: Record<string, { pos: [number, number] }> = {};
  for (const [name, pos] of Object.entries(positions)) entities[name] = { pos };
  sim.setInitialState({ entities });
  return sim;
}

describe('smacHeuristic', () => {
  for (const withLayout of [true, false]) {
    const label = withLayout ? 'with the layout' : 'inferring the layout';
    const policy = (sim: SmacSimulation): DecisionPolicy =>
      smacHeuristic(sim.layouts[0].size, withLayout ? { blocks: sim.layouts[0].blocks } : {});

    it(`attacks the attackable enemy with the least health + shield (${label})`, () => {
      const sim = setup('3s_vs_5z', { agent_0: [10, 16], enemy_0: [14, 16], enemy_1: [14, 18], enemy_2: [15, 14], enemy_3: [28, 28], enemy_4: [28, 4] });
      sim.battle.hp[3 + 1] = 40;
      sim.battle.shield[3 + 1] = 10;
      sim.battle.hp[3 + 0] = 60;
      const { observation, mask } = observe(sim, 0);
      expect(mask.slice(6)).toEqual(Uint8Array.from([1, 1, 1, 0, 0]));
      expect(policy(sim).decide(observation, mask, 0)).toBe(ACTION.firstTarget + 1);
    });

    it(`walks toward the nearest visible enemy, waits when it is close, else heads east (${label})`, () => {
      let sim = setup('3m', { agent_0: [10, 12], enemy_0: [12, 20.2], enemy_1: [30, 23], enemy_2: [30, 9] });
      let seen = observe(sim, 0);
      expect(policy(sim).decide(seen.observation, seen.mask, 0)).toBe(ACTION.north);
      sim = setup('3m', { agent_0: [10, 16], enemy_0: [17, 16], enemy_1: [30, 23], enemy_2: [30, 9] });
      seen = observe(sim, 0);
      expect(policy(sim).decide(seen.observation, seen.mask, 0)).toBe(ACTION.stop);
      sim = setup('3m', { agent_0: [10, 16], enemy_0: [30, 16], enemy_1: [30, 23], enemy_2: [30, 9] });
      seen = observe(sim, 0);
      expect(policy(sim).decide(seen.observation, seen.mask, 0)).toBe(ACTION.east);
      expect(policy(sim).decide(new Float32Array(30), Uint8Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0]), 0)).toBe(ACTION.noop);
    });
  }

  it('heals with a medivac when it knows its type from the layout', () => {
    const sim = setup('MMM', { agent_9: [10, 16], agent_0: [11, 16] });
    sim.battle.hp[0] = 50;
    const { observation, mask } = observe(sim, 9);
    const heal = smacHeuristic(sim.layouts[9].size, { blocks: sim.layouts[9].blocks }).decide(observation, mask, 0);
    expect(heal).toBeGreaterThanOrEqual(ACTION.firstTarget);
    expect(sim.actionNames[9][heal]).toMatch(/^heal_agent_/);
  });

  it('rejects an observation of the wrong size', () => {
    expect(() => smacHeuristic(30).decide(new Float32Array(31), new Uint8Array(9), 0)).toThrow(/31 values, expected 30/);
  });

  it('earns more than the random baseline on 3m', () => {
    const returns = (make: (size: number, sim: SmacSimulation) => DecisionPolicy): number => {
      const sim = createSimulation('3m', { physics: 'kinematic' }) as SmacSimulation;
      const env = new ParallelEnv(sim);
      const policies = sim.layouts.map((l) => make(l.size, sim));
      const rng = new Rng(4);
      let total = 0;
      for (let episode = 0; episode < 4; episode++) {
        let { observations } = env.reset({ seed: episode });
        while (env.agents.length > 0) {
          const actions: Record<string, number> = {};
          env.agents.forEach((name, i) => (actions[name] = policies[i].decide(observations[name].observation, observations[name].actionMask, rng.uniform())));
          const result = env.step(actions);
          observations = result.observations;
          total += result.rewards.agent_0;
        }
      }
      return total / 4;
    };
    const heuristic = returns((size) => smacHeuristic(size));
    const random = returns((size) => randomPolicy(size));
    expect(heuristic).toBeGreaterThan(random + 3);
  });
});
