import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/rng.ts';
import { createSimulation } from '../../server/scenarios/registry.ts';
import { ParallelEnv } from '../../server/env/parallel-env.ts';
import { randomPolicy, type DecisionPolicy } from '../../agents/baselines/decision-policy.ts';
import { scriptedPolicy } from '../../agents/baselines/scripted.ts';
import { steer } from '../../agents/baselines/mpe-heuristic.ts';

async function meanReturn(scenario: string, kind: 'scripted' | 'random', episodes: number): Promise<number> {
  const env = new ParallelEnv(createSimulation(scenario));
  const policies: DecisionPolicy[] = [];
  for (let i = 0; i < env.possibleAgents.length; i++) {
    policies.push(kind === 'scripted' ? scriptedPolicy(env.sim, i) : randomPolicy(env.io.views[i].size));
  }
  const rng = new Rng(5);
  let total = 0;
  for (let e = 0; e < episodes; e++) {
    let { observations } = env.reset({ seed: 1000 + e });
    while (env.agents.length > 0) {
      const actions: Record<string, number> = {};
      env.possibleAgents.forEach((name, i) => {
        actions[name] = policies[i].decide(observations[name].observation, observations[name].actionMask, rng.uniform());
      });
      const step = env.step(actions);
      observations = step.observations;
      total += Object.values(step.rewards).reduce((a, b) => a + b, 0) / env.possibleAgents.length;
    }
  }
  return total / episodes;
}

describe('scripted MPE baselines', () => {
  it('steer brakes near the target instead of overshooting', () => {
    expect(steer(0.5, 0.1, 0, 0)).toBe(2);
    expect(steer(-0.5, 0.1, 0, 0)).toBe(1);
    expect(steer(0.1, 0.5, 0, 0)).toBe(4);
    expect(steer(0.2, 0, 1.0, 0)).toBe(1); // moving fast toward a near target: brake
    expect(steer(0.01, 0.01, 0, 0)).toBe(0);
  });

  it.each(['spread', 'speaker_listener', 'reference'])('%s: the scripted team beats the uniform-random team by a wide margin', async (scenario) => {
    const scripted = await meanReturn(scenario, 'scripted', 20);
    const random = await meanReturn(scenario, 'random', 20);
    expect(scripted).toBeGreaterThan(random + 0.3 * Math.abs(random));
  });
});
