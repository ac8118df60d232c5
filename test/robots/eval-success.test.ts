import { describe, expect, it, vi } from 'vitest';
import { randomPolicy } from '../../agents/baselines/decision-policy.ts';
import { scriptedPolicies } from '../../agents/baselines/scripted.ts';
import { main as evalMain } from '../../agents/eval/eval-command.ts';
import { evaluate } from '../../agents/eval/evaluate.ts';
import { summarizeEpisodes } from '../../agents/eval/metrics.ts';
import { robotsFamily } from '../../server/robots/family.ts';
import { createSimulation, resolveScenario, type LoadedScenario } from '../../server/scenarios/registry.ts';

/** Navigation's scripted baseline: drive at the goal per axis, braking by the velocity. */
const scripted = scriptedPolicies('navigation', createSimulation('navigation'));

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
    const greedy = evaluate('navigation', scripted.map((policy) => ({ policy })), { episodes: 40, seed: 5 });
    expect(greedy.successRate).toBeGreaterThan(0.5);
    expect(greedy.meanLength).toBeLessThan(100);
    const random = evaluate('navigation', scripted.map((p) => ({ policy: randomPolicy(p.observationSize) })), { episodes: 40, seed: 5 });
    expect(random.successRate).toBe(0);
  });

  it('a policy built for 12 lidar rays is refused on a 24-ray navigation, with both sizes', () => {
    const builtin = resolveScenario('navigation');
    const wider: LoadedScenario = { ...builtin, file: robotsFamily.applyKwargs!(builtin.file as never, { n_lidar_rays: 24 }) as never };
    const agents = scripted.map((policy) => ({ policy }));
    expect(() => evaluate(wider, agents, { episodes: 1, seed: 0 })).toThrow(/agent_0's policy expects 18 observation values, its view gives 30/);
  });

  it("kdmarl eval words the success rate with the scenario's own measure", async () => {
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      expect(await evalMain(['--scenario', 'transport', '--policy', 'random', '--episodes', '2'])).toBe(0);
    } finally {
      log.mockRestore();
    }
    expect(createSimulation('transport').successMeasure).toBe('every package on the goal before the limit');
    expect(lines.find((l) => l.includes('success rate'))).toMatch(/^ {2}success rate \d+\.\d% \(every package on the goal before the limit\)$/);
  });
});
