import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../shared/rng.ts';
import { createSimulation, resolveScenario } from '../../server/scenarios/registry.ts';
import { resolveDistillConfig } from '../../agents/distill/config.ts';
import { StudentCollector, studentEnvs } from '../../agents/distill/student-collector.ts';
import { loadStudentProfile, planStudents } from '../../agents/distill/student-plan.ts';
import { StudentRollout, distillUpdate, normalizeAdvantages, policyGradientRows, type UpdateStats } from '../../agents/distill/update.ts';
import { StudentTeam } from '../../agents/distill/student-team.ts';
import { headsInUse } from '../../agents/distill/losses.ts';
import type { FrozenTeacher } from '../../agents/distill/frozen-teacher.ts';
import { Adam } from '../../agents/learn/adam.ts';
import { initBackend } from '../../agents/learn/backend.ts';
import type { EpisodeSummary } from '../../server/env/vec-env.ts';

const scenario = resolveScenario('3m');
const probe = createSimulation(scenario);
const plans = planStudents(loadStudentProfile('default', '3m').profile, scenario, probe, true);
const teacherSizes = probe.layouts.map((l) => l.size);
const A = probe.actionCounts[0];
// Nearly flat logits with 'stop' (1) highest: sampling rarely picks it, greedy always does when allowed.
const logits = (_a: number, _obs: Float32Array, rows: number) => Float32Array.from({ length: rows * A }, (_, i) => (i % A === 1 ? 1 : 0.9));
const ENVS = 4;
const STEPS = 6;

function collect(greedyEnvs: number): StudentRollout {
  const rollout = new StudentRollout(plans, teacherSizes, probe.stateSize, STEPS, ENVS);
  const collector = new StudentCollector(studentEnvs(scenario, plans, ENVS, 7), rollout, plans, teacherSizes, logits, greedyEnvs);
  const episodes: EpisodeSummary[] = [];
  collector.collect(new Rng(11), episodes);
  return rollout;
}

describe('greedy collection envs', () => {
  it('the first greedyEnvs envs take the argmax and are marked greedy; the others sample as with none', () => {
    const mixed = collect(2);
    const sampled = collect(0);
    let sampledStops = 0;
    let sampledRows = 0;
    for (let row = 0; row < STEPS * ENVS; row++) {
      const env = row % ENVS;
      expect(mixed.greedy[row]).toBe(env < 2 ? 1 : 0);
      expect(sampled.greedy[row]).toBe(0);
      for (let a = 0; a < plans.length; a++) {
        const mask = mixed.masks[a].subarray(row * A, (row + 1) * A);
        const allowed = [...mask.keys()].filter((k) => mask[k] === 1);
        if (env < 2) {
          const best = mask[1] === 1 ? 1 : allowed[0];
          expect(mixed.actions[a][row]).toBe(best);
          // log pi of the greedy action under the same masked softmax the loss uses
          const z = allowed.map((k) => (k === 1 ? 1 : 0.9));
          const logSum = Math.log(z.reduce((s, x) => s + Math.exp(x), 0));
          expect(mixed.logp[a][row]).toBeCloseTo((best === 1 ? 1 : 0.9) - logSum, 5);
        } else {
          // Separate envs and the same random draws: greedy envs leave the sampled ones unchanged.
          expect(mixed.actions[a][row]).toBe(sampled.actions[a][row]);
          if (mixed.active[a][row] === 1) {
            sampledRows++;
            if (mixed.actions[a][row] === 1) sampledStops++;
          }
        }
      }
    }
    expect(sampledRows).toBeGreaterThan(20);
    expect(sampledStops).toBeLessThan(sampledRows / 2);
  });

  it('refuses more greedy envs than envs, naming the field', () => {
    expect(() => resolveDistillConfig('3m', { numEnvs: 8, greedyEnvs: 9 })).toThrow(/^config: greedyEnvs: 9 greedy envs but only 8 envs/);
    expect(resolveDistillConfig('3m', {}).greedyEnvs).toBe(0);
  });
});

describe('L_PG and the greedy rows', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('normalises advantages over exactly the rows L_PG trains on, and zeroes the others', () => {
    const active = [Uint8Array.of(1, 1, 1, 1, 0), Uint8Array.of(1, 1, 1, 1, 1)];
    const greedy = Uint8Array.of(1, 0, 0, 1, 0);
    const rows = policyGradientRows(active, greedy);
    expect(rows.map((r) => Array.from(r))).toEqual([
      [0, 1, 1, 0, 0],
      [0, 1, 1, 0, 1],
    ]);
    // row * N + a; the greedy rows (0 and 3) and the dead sample (row 4, agent 0) get wild values in the second copy
    const raw = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    const wild = Float32Array.from(raw, (x, i) => (rows[i % 2][Math.floor(i / 2)] === 1 ? x : 1000 * x));
    const normal = (adv: Float32Array) => {
      const out = [new Float32Array(5), new Float32Array(5)];
      normalizeAdvantages(adv, rows, out);
      return out;
    };
    const a = normal(raw);
    const b = normal(wild);
    expect(b.map((x) => Array.from(x))).toEqual(a.map((x) => Array.from(x)));
    const kept = [a[0][1], a[0][2], a[1][1], a[1][2], a[1][4]];
    const mean = kept.reduce((s, x) => s + x, 0) / kept.length;
    expect(mean).toBeCloseTo(0, 6);
    expect(kept.reduce((s, x) => s + (x - mean) ** 2, 0) / kept.length).toBeCloseTo(1, 5);
    expect([a[0][0], a[0][3], a[0][4], a[1][0], a[1][3]]).toEqual([0, 0, 0, 0, 0]);
    // No row for L_PG: all zero, nothing NaN.
    const none = [new Float32Array(5), new Float32Array(5)];
    normalizeAdvantages(raw, [new Uint8Array(5), new Uint8Array(5)], none);
    expect(none.flatMap((x) => Array.from(x))).toEqual(new Array(10).fill(0));
  });

  // A teacher whose critic says 0 everywhere: advantages are the discounted rewards, which the test sets.
  const flatTeacher = {
    logits: (a: number, _obs: Float32Array, rows: number) => new Float32Array(rows * probe.actionCounts[a]),
    hidden: () => {
      throw new Error('no hidden states without L_SR or L_RA');
    },
    values: (_a: number, _states: Float32Array, rows: number) => new Float32Array(rows),
    hiddenSize: 8,
  } as unknown as FrozenTeacher;

  function policyLoss(greedyEnvs: number, rewardOfGreedyRows: (row: number) => number): UpdateStats {
    const config = resolveDistillConfig('3m', { numEnvs: ENVS, rolloutLength: STEPS, greedyEnvs, epochs: 1, minibatches: 1, wPg: 1, wKl: 0, wCe: 0, wSr: 0, wRa: 0, wEnt: 0, layerNorm: true });
    const team = new StudentTeam(plans, { layerNorm: true, projectionWidth: 8, numRoles: config.numRoles, seed: 5 });
    const rollout = new StudentRollout(plans, teacherSizes, probe.stateSize, STEPS, ENVS);
    new StudentCollector(studentEnvs(scenario, plans, ENVS, 7), rollout, plans, teacherSizes, (a, obs, rows) => team.logits(a, obs, rows), greedyEnvs).collect(new Rng(11), []);
    const rng = new Rng(3);
    for (let row = 0; row < rollout.rows; row++) {
      for (let a = 0; a < plans.length; a++) rollout.rewards[row * plans.length + a] = rollout.greedy[row] === 1 ? rewardOfGreedyRows(row) : rng.normal();
    }
    const adam = new Adam(team.variables(headsInUse(config, plans.length)), config.lr, config.adamEps);
    const stats = distillUpdate({ teacher: flatTeacher, team, adam, plans, config, rng: new Rng(9), centroids: null }, rollout);
    team.dispose();
    adam.dispose();
    return stats;
  }

  it("L_PG's value and gradient do not depend on the greedy rows; with every env greedy it is 0, not NaN", () => {
    const calm = policyLoss(2, () => 0);
    const wild = policyLoss(2, (row) => 50 * Math.sin(row));
    expect(calm.pg).not.toBe(0);
    expect(wild.pg).toBeCloseTo(calm.pg, 6);
    expect(wild.gradNorm).toBeCloseTo(calm.gradNorm, 5);
    const allGreedy = policyLoss(ENVS, (row) => 50 * Math.sin(row));
    expect(allGreedy.pg).toBe(0);
    expect(Number.isFinite(allGreedy.total)).toBe(true);
    expect(Number.isFinite(allGreedy.gradNorm)).toBe(true);
  });
});
