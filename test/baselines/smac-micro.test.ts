import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DecisionPolicy } from '../../agents/baselines/decision-policy.ts';
import { smacMicroPolicies } from '../../agents/baselines/smac-micro.ts';
import { main as evalMain } from '../../agents/eval/eval-command.ts';
import { evaluate } from '../../agents/eval/evaluate.ts';
import { loadEvalPolicy } from '../../agents/eval/load-eval-policy.ts';
import { readFileSync } from 'node:fs';
import { BUILTIN_SCENARIO_DIR, createSimulation, parseScenario } from '../../server/scenarios/registry.ts';
import { SmacSimulation } from '../../server/smac/smac-simulation.ts';
import { ACTION } from '../../shared/smac-actions.ts';
import type { Simulation } from '../../server/env/simulation.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Wraps a policy to show `see` every action it returns with the mask it was given. */
function watched(policy: DecisionPolicy, see: (action: number, mask: Uint8Array) => void): DecisionPolicy {
  return {
    ...policy,
    decide(observation, mask, u) {
      const action = policy.decide(observation, mask, u);
      see(action, mask);
      return action;
    },
  };
}

/** Counts a policy's decisions and the ones outside the mask evaluate() gave it (evaluate would silently replace those). */
function audited(policy: DecisionPolicy, counts: { decisions: number; outsideMask: number }): DecisionPolicy {
  return watched(policy, (action, mask) => {
    counts.decisions++;
    if (mask[action] !== 1) counts.outsideMask++;
  });
}

describe('scripted-micro, the privileged SMAC micro baseline', () => {
  it('wins more of the same 3m episodes than the observation-only scripted baseline, with allowed actions only', async () => {
    const sim = createSimulation('3m');
    const options = { episodes: 20, seed: 12345 };
    const counts = { decisions: 0, outsideMask: 0 };
    const micro = await loadEvalPolicy('scripted-micro', '3m', sim);
    const microResult = evaluate('3m', micro.agents.map((a) => ({ policy: audited(a.policy, counts) })), options);
    const scripted = evaluate('3m', (await loadEvalPolicy('scripted', '3m', sim)).agents, options);
    const wins = (outcomes: { won: boolean }[]) => outcomes.filter((o) => o.won).length;
    expect(wins(microResult.outcomes)).toBeGreaterThan(wins(scripted.outcomes));
    expect(counts.decisions).toBeGreaterThan(20 * 3);
    expect(counts.outsideMask).toBe(0);
  });

  it('reads the simulation evaluate() steps, not the one it was built on, and starts each evaluation afresh', () => {
    const built = createSimulation('3m');
    const policies = smacMicroPolicies(built, '3m');
    expect(() => policies[0].decide(new Float32Array(policies[0].observationSize), new Uint8Array(9), 0)).toThrow(/call attach\(sim\)/);
    const agents = policies.map((policy) => ({ policy }));
    const first = evaluate('3m', agents, { episodes: 6, seed: 4 });
    const second = evaluate('3m', agents, { episodes: 6, seed: 4 });
    expect(second.outcomes).toEqual(first.outcomes);
    // The simulation it was built on was never stepped.
    expect(built.t).toBe(0);
  });

  it('runs on 8m and on maps with other unit types (MMM has allied medivacs) without leaving the mask', async () => {
    for (const map of ['8m', 'MMM']) {
      const counts = { decisions: 0, outsideMask: 0 };
      const micro = await loadEvalPolicy('scripted-micro', map, createSimulation(map));
      evaluate(map, micro.agents.map((a) => ({ policy: audited(a.policy, counts) })), { episodes: 2, seed: 1 });
      expect(counts.decisions, map).toBeGreaterThan(0);
      expect(counts.outsideMask, map).toBe(0);
    }
  });

  it('splits fire on 8m: no shot goes past a kill while an enemy in that shooter\'s range is left short of one', () => {
    const n = 8;
    let sim: SmacSimulation | null = null;
    const chosen = new Int32Array(n);
    const masks: Uint8Array[] = [];
    let steps = 0;
    let splitSteps = 0;
    const violations: string[] = [];
    const policies = smacMicroPolicies(createSimulation('8m'), '8m').map((policy, agent): DecisionPolicy => ({
      ...policy,
      attach(stepped: Simulation) {
        sim = stepped as SmacSimulation;
        policy.attach!(stepped);
      },
      decide(observation, mask, u) {
        chosen[agent] = policy.decide(observation, mask, u);
        masks[agent] = mask.slice();
        if (agent === n - 1) check();
        return chosen[agent];
      },
    }));
    // Marine on marine, no armor or shields: every shot takes 6 health.
    function check(): void {
      const b = sim!.battle;
      const shots = new Map<number, number[]>();
      for (let a = 0; a < n; a++) {
        if (b.alive[a] === 0 || chosen[a] < ACTION.firstTarget) continue;
        const e = n + chosen[a] - ACTION.firstTarget;
        shots.set(e, [...(shots.get(e) ?? []), a]);
      }
      steps++;
      if (shots.size > 1) splitSteps++;
      for (const [e, shooters] of shots) {
        if ((shooters.length - 1) * 6 < b.hp[e]) continue;
        // A shooter e does not need: every other live enemy it could shoot must be getting its kill already.
        for (const a of shooters) {
          for (let f = n; f < 2 * n; f++) {
            if (f === e || b.alive[f] === 0 || masks[a][ACTION.firstTarget + f - n] !== 1) continue;
            if ((shots.get(f)?.length ?? 0) * 6 < b.hp[f]) violations.push(`t${sim!.t}: ${a} overkills ${e} while ${f} is short`);
          }
        }
      }
    }
    const result = evaluate('8m', policies.map((policy) => ({ policy })), { episodes: 10, seed: 12345 });
    expect(violations).toEqual([]);
    expect(splitSteps).toBeGreaterThan(0);
    expect(steps).toBeGreaterThan(10 * 10);
    expect(result.outcomes.filter((o) => o.won).length).toBeGreaterThanOrEqual(8);
  });

  it('the imitable variant never steps away from a shot (no retreat: it reads enemy targets no agent sees); the full plan does where a unit recovers away', async () => {
    const stepsAwayFromShots = async (spec: string, map: string, episodes: number) => {
      const sim = createSimulation(map);
      const loaded = await loadEvalPolicy(spec, map, sim);
      let movesInRange = 0;
      const agents = loaded.agents.map(({ policy }) => ({
        policy: watched(policy, (action, mask) => {
          if (action < ACTION.firstTarget && mask.subarray(ACTION.firstTarget).includes(1)) movesInRange++;
        }),
      }));
      const result = evaluate(map, agents, { episodes, seed: 12345 });
      return { movesInRange, wins: result.outcomes.filter((o) => o.won).length, label: loaded.label };
    };
    const imitable = await stepsAwayFromShots('scripted-micro-imitable', '8m', 10);
    expect(imitable.label).toBe('scripted-micro-imitable');
    expect(imitable.movesInRange).toBe(0);
    expect(imitable.wins).toBeGreaterThanOrEqual(8);
    // A marine without a medivac gains nothing by stepping back (the enemy walks after it): the full plan keeps firing too.
    expect((await stepsAwayFromShots('scripted-micro', '8m', 10)).movesInRange).toBe(0);
    // 2s3z's stalkers and zealots regenerate shields away from the fight: there the full plan retreats, the imitable one does not.
    expect((await stepsAwayFromShots('scripted-micro', '2s3z', 10)).movesInRange).toBeGreaterThan(0);
    expect((await stepsAwayFromShots('scripted-micro-imitable', '2s3z', 10)).movesInRange).toBe(0);
  });

  it('engages an enemy that stands at its attack point: no 3m episode ends with the enemy untouched, wherever the point is', () => {
    const path = `${BUILTIN_SCENARIO_DIR()}/3m.json`;
    const file = JSON.parse(readFileSync(path, 'utf8'));
    // The built-in point is the allies' start; at (20, 16) the enemy stops 3 short of its own start and waits.
    for (const attackPoint of [undefined, [20, 16]]) {
      const scenario = parseScenario({ ...file, attackPoint }, path);
      const agents = smacMicroPolicies(createSimulation(scenario), '3m').map((policy) => ({ policy }));
      const result = evaluate(scenario, agents, { episodes: 20, seed: 12345 });
      const untouched = result.outcomes.filter((o) => (o.end as { enemyHealthLeft: number }).enemyHealthLeft === 1);
      expect(untouched, `attack point ${attackPoint}`).toEqual([]);
      // Walking up to an enemy that waits hands it the first volley more often than letting it come (13 and 20 of 20).
      expect(result.outcomes.filter((o) => o.won).length, `attack point ${attackPoint}`).toBeGreaterThanOrEqual(attackPoint ? 11 : 17);
    }
  });

  it('refuses a scenario that is not SMAC-style with a clear error', async () => {
    await expect(loadEvalPolicy('scripted-micro', 'spread', createSimulation('spread'))).rejects.toThrow(/scripted-micro reads a SMAC battle's state .*'spread' is not a SMAC-family scenario/);
  });

  it('kdmarl eval takes --policy scripted-micro: label scripted-micro, no FLOPs, no parameters', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
    await evalMain(['--scenario', '3m', '--policy', 'scripted-micro', '--episodes', '3', '--seed', '12345', '--json']);
    expect(printed).toHaveLength(1);
    const out = JSON.parse(printed[0]);
    expect(out.label).toBe('scripted-micro');
    expect(out.policy).toBe('scripted-micro');
    expect(out.flopsPerDecision).toBe(0);
    expect(out.params).toBe(0);
    expect(out.episodeWins).toHaveLength(3);
  });
});
