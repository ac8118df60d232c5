import { describe, expect, it } from 'vitest';
import { scriptedPolicies } from '../../agents/baselines/scripted.ts';
import { randomPolicy } from '../../agents/baselines/decision-policy.ts';
import { evaluate } from '../../agents/eval/evaluate.ts';
import { createSimulation, resolveScenario, type LoadedScenario } from '../../server/scenarios/registry.ts';
import type { RobotsScenarioFile } from '../../server/robots/schema.ts';

function compare(scenario: string, episodes: number) {
  const sim = createSimulation(scenario);
  const scripted = evaluate(scenario, scriptedPolicies(scenario, sim).map((policy) => ({ policy })), { episodes, seed: 9 });
  const random = evaluate(scenario, sim.layouts.map((l) => ({ policy: randomPolicy(l.size) })), { episodes, seed: 9 });
  return { scripted, random };
}

describe('scripted robot baselines', () => {
  it('navigation and its differential-drive variant: the script reaches the goals where random does not', () => {
    for (const scenario of ['navigation', 'navigation_diff_drive']) {
      const { scripted, random } = compare(scenario, 10);
      expect(scripted.successRate).toBeGreaterThan(0.7);
      expect(random.successRate).toBe(0);
    }
  });

  it('transport and balance: the script earns more than random', () => {
    for (const scenario of ['transport', 'balance']) {
      const { scripted, random } = compare(scenario, 5);
      expect(scripted.meanReturn).toBeGreaterThan(random.meanReturn + 1);
    }
  });

  it('passage has no script and says so', () => {
    const sim = createSimulation('passage');
    expect(() => scriptedPolicies('passage', sim)).toThrow(/no scripted policy for agent agent_0/);
  });

  it.each(['transport', 'balance'])('%s with diff_drive robots is refused: its script pushes per axis', (name) => {
    const builtin = resolveScenario(name);
    const file = builtin.file as RobotsScenarioFile;
    const turning: LoadedScenario = { ...builtin, file: { ...file, robots: file.robots.map((g) => ({ ...g, dynamics: 'diff_drive' as const })) } as never };
    const sim = createSimulation(turning);
    expect(() => scriptedPolicies(name, sim)).toThrow(new RegExp(`^no scripted policy for agent agent_0 of ${name} with diff_drive robots`));
  });
});
