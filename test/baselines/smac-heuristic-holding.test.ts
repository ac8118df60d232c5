import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scriptedPolicies } from '../../agents/baselines/scripted.ts';
import { evaluate } from '../../agents/eval/evaluate.ts';
import { BUILTIN_SCENARIO_DIR, createSimulation, parseScenario } from '../../server/scenarios/registry.ts';

describe('scripted, the observation-only SMAC baseline, against an enemy that holds its ground', () => {
  it('stops waiting for an enemy that stays as far away and walks up to it: no 3m episode ends with the enemy untouched', () => {
    const path = `${BUILTIN_SCENARIO_DIR()}/3m.json`;
    // SMAClite's enemy stands at its attack point; at (20, 16) it waits 11 east of the allies' start, inside their sight.
    const scenario = parseScenario({ ...JSON.parse(readFileSync(path, 'utf8')), attackPoint: [20, 16] }, path);
    const agents = scriptedPolicies('3m', createSimulation(scenario)).map((policy) => ({ policy }));
    const result = evaluate(scenario, agents, { episodes: 20, seed: 12345 });
    const untouched = result.outcomes.filter((o) => (o.end as { enemyHealthLeft: number }).enemyHealthLeft === 1);
    expect(untouched).toEqual([]);
    expect(result.outcomes.filter((o) => o.won).length).toBeGreaterThanOrEqual(10);
    // The waiting distance is the policy's only memory; reset() forgets it, so a second pass replays the first.
    expect(evaluate(scenario, agents, { episodes: 20, seed: 12345 }).outcomes).toEqual(result.outcomes);
  });
});
