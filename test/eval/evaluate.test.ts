import { afterEach, describe, expect, it, vi } from 'vitest';
import { evaluate } from '../../agents/eval/evaluate.ts';
import { loadEvalPolicy } from '../../agents/eval/load-eval-policy.ts';
import { policyFileAgents } from '../../agents/eval/policies.ts';
import { main as evalMain } from '../../agents/eval/eval-command.ts';
import { createSimulation } from '../../server/scenarios/registry.ts';
import { POLICY_FORMAT, POLICY_FORMAT_VERSION, type PolicyFile } from '../../shared/model-format.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the evaluation routine', () => {
  it('is reproducible on its seed list and differs across seed lists', async () => {
    const sim = createSimulation('spread');
    const random = await loadEvalPolicy('random', 'spread', sim);
    const a = evaluate('spread', random.agents, { episodes: 5, seed: 7 });
    const b = evaluate('spread', random.agents, { episodes: 5, seed: 7 });
    const c = evaluate('spread', random.agents, { episodes: 5, seed: 8 });
    expect(a.outcomes).toEqual(b.outcomes);
    expect(a.outcomes).not.toEqual(c.outcomes);
    expect(a.meanLength).toBe(25);
    expect(a.winRate).toBe(0);
  });

  it('counts the landmarks covered at the end of spread episodes (the scripted agents sit on them, random ones do not), and only on spread', async () => {
    const sim = createSimulation('spread');
    const scripted = evaluate('spread', (await loadEvalPolicy('scripted', 'spread', sim)).agents, { episodes: 30, seed: 1 });
    const random = evaluate('spread', (await loadEvalPolicy('random', 'spread', sim)).agents, { episodes: 30, seed: 1 });
    expect(scripted.landmarksCovered).toBeGreaterThan(0.8);
    expect(random.landmarksCovered).toBeLessThan(0.1);
    for (const o of scripted.outcomes) expect([0, 1 / 3, 2 / 3, 1]).toContainEqual(o.landmarksCovered);
    const listener = createSimulation('speaker_listener');
    expect(evaluate('speaker_listener', (await loadEvalPolicy('scripted', 'speaker_listener', listener)).agents, { episodes: 2, seed: 1 }).landmarksCovered).toBeUndefined();
    expect(scripted.goal).toBeUndefined();
  });

  it('measures how close speaker_listener\'s listener ends to its goal: the scripted pair reaches it, random agents do not', async () => {
    const sim = createSimulation('speaker_listener');
    const scripted = evaluate('speaker_listener', (await loadEvalPolicy('scripted', 'speaker_listener', sim)).agents, { episodes: 30, seed: 1 });
    const random = evaluate('speaker_listener', (await loadEvalPolicy('random', 'speaker_listener', sim)).agents, { episodes: 30, seed: 1 });
    expect(scripted.goal!.medianDistance).toBeLessThan(0.1);
    expect(scripted.goal!.reached).toBeGreaterThan(0.8);
    expect(random.goal!.medianDistance).toBeGreaterThan(0.5);
  });

  it('puts the scripted baseline clearly above random on spread', async () => {
    const sim = createSimulation('spread');
    const random = evaluate('spread', (await loadEvalPolicy('random', 'spread', sim)).agents, { episodes: 30, seed: 1 });
    const scripted = evaluate('spread', (await loadEvalPolicy('scripted', 'spread', sim)).agents, { episodes: 30, seed: 1 });
    expect(scripted.meanReturn).toBeGreaterThan(random.meanReturn + 5);
  });

  it('tells how SMAC battles ended: the side that was wiped out has no units left, the winner has some', async () => {
    const sim = createSimulation('3m');
    const result = evaluate('3m', (await loadEvalPolicy('scripted', '3m', sim)).agents, { episodes: 12, seed: 5 });
    for (const o of result.outcomes) {
      const end = o.end!;
      expect(end.alliesLeft + end.enemiesLeft).toBeGreaterThan(0);
      if (o.won) {
        expect(end.enemiesLeft).toBe(0);
        expect(end.enemyHealthLeft).toBe(0);
        expect(end.alliesLeft).toBeGreaterThan(0);
      } else if (o.length < sim.maxSteps) {
        expect(end.alliesLeft).toBe(0);
        expect(end.enemiesLeft).toBeGreaterThan(0);
        expect(end.enemyHealthLeft).toBeGreaterThan(0);
      }
    }
    const ends = result.battleEnds!;
    expect(ends.wins.count + ends.losses.count).toBe(12);
    expect(ends.wins.count).toBe(Math.round(result.winRate * 12));
    // MPE has no units that die: no battle ends.
    const spread = evaluate('spread', (await loadEvalPolicy('random', 'spread', createSimulation('spread'))).agents, { episodes: 2, seed: 1 });
    expect(spread.battleEnds).toBeUndefined();
    expect(spread.outcomes[0].end).toBeUndefined();
  });

  it('refuses a policy made for another scenario or missing agents, and an unknown --policy', async () => {
    const sim = createSimulation('spread');
    const file: PolicyFile = { format: POLICY_FORMAT, version: POLICY_FORMAT_VERSION, scenario: 'speaker_listener', role: 'teacher', producedBy: 'test', agents: {}, nets: {} };
    expect(() => policyFileAgents(file, sim, 'spread', 'p.policy')).toThrow(/p\.policy: policy was made for scenario 'speaker_listener', not 'spread'/);
    expect(() => policyFileAgents({ ...file, scenario: 'spread' }, sim, 'spread', 'p.policy')).toThrow(/no entry for agent\(s\) agent_0, agent_1, agent_2/);
    await expect(loadEvalPolicy('nope.policy', 'spread', sim)).rejects.toThrow(/--policy: 'nope\.policy' is not 'random', 'scripted', 'scripted-micro', 'scripted-micro-imitable' or an existing file/);
  });

  it('kdmarl eval --json prints one object with the figures reports need', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    await evalMain(['--scenario', 'spread', '--policy', 'random', '--episodes', '4', '--seed', '3', '--json']);
    expect(printed).toHaveLength(1);
    const out = JSON.parse(printed[0]);
    for (const key of ['winRate', 'meanReturn', 'returnCi95', 'episodes', 'meanLength', 'flopsPerDecision', 'params']) expect(out, key).toHaveProperty(key);
    expect(out.episodes).toBe(4);
    // Per-episode outcomes in seed-list order, the same episodes the summary averages.
    expect(out.episodeWins).toEqual([0, 0, 0, 0]);
    expect(out.episodeReturns).toHaveLength(4);
    expect(out.episodeReturns.reduce((a: number, b: number) => a + b, 0) / 4).toBeCloseTo(out.meanReturn, 3);
  });
});
