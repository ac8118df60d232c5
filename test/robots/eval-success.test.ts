import { describe, expect, it } from 'vitest';
import type { DecisionPolicy } from '../../agents/baselines/decision-policy.ts';
import { evaluate } from '../../agents/eval/evaluate.ts';
import { summarizeEpisodes } from '../../agents/eval/metrics.ts';
import { robotsFamily } from '../../server/robots/family.ts';
import { resolveScenario, type LoadedScenario } from '../../server/scenarios/registry.ts';

/**
 * Navigation's teacher observation starts x, y, vx, vy, x − gx, y − gy: push towards the goal per
 * axis, braking by the velocity (drag leaves 0.4 per unit force, so 0.6·v is about the coasting distance).
 */
const greedyNavigator: DecisionPolicy = {
  label: 'greedy',
  flops: 0,
  observationSize: 18,
  decide: (obs) => {
    const axis = (toGoal: number, v: number): number => (toGoal - 0.6 * v > 0.02 ? 2 : toGoal - 0.6 * v < -0.02 ? 1 : 0);
    return 3 * axis(-obs[4], obs[2]) + axis(-obs[5], obs[3]);
  },
};

describe('success rate in evaluation', () => {
  it('is the share of episodes with success 1, and absent when episodes do not measure it', () => {
    const summary = summarizeEpisodes([
      { teamReturn: 1, length: 10, won: false, success: 1 },
      { teamReturn: 0, length: 100, won: false, success: 0 },
      { teamReturn: 1, length: 20, won: false, success: 1 },
      { teamReturn: 0, length: 100, won: false, success: 0 },
    ]);
    expect(summary.successRate).toBe(0.5);
    expect(summarizeEpisodes([{ teamReturn: 1, length: 10, won: false }]).successRate).toBeUndefined();
  });

  it('flows from the scenario through evaluate: driving at the goal succeeds often on navigation, random never', () => {
    const agents = [0, 1, 2].map(() => ({ policy: greedyNavigator }));
    const greedy = evaluate('navigation', agents, { episodes: 40, seed: 5 });
    expect(greedy.successRate).toBeGreaterThan(0.5);
    expect(greedy.meanLength).toBeLessThan(100);
    const random = evaluate('navigation', [0, 1, 2].map(() => ({ policy: { ...greedyNavigator, decide: (_o: Float32Array, _m: Uint8Array, u: number) => Math.floor(u * 9) } })), { episodes: 40, seed: 5 });
    expect(random.successRate).toBe(0);
  });

  it('a policy built for 12 lidar rays is refused on a 24-ray navigation, with both sizes', () => {
    const builtin = resolveScenario('navigation');
    const wider: LoadedScenario = { ...builtin, file: robotsFamily.applyKwargs!(builtin.file as never, { n_lidar_rays: 24 }) as never };
    const agents = [0, 1, 2].map(() => ({ policy: greedyNavigator }));
    expect(() => evaluate(wider, agents, { episodes: 1, seed: 0 })).toThrow(/agent_0's policy expects 18 observation values, its view gives 30/);
  });
});
