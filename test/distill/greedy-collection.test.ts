import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/rng.ts';
import { createSimulation, resolveScenario } from '../../server/scenarios/registry.ts';
import { resolveDistillConfig } from '../../agents/distill/config.ts';
import { StudentCollector, studentEnvs } from '../../agents/distill/student-collector.ts';
import { loadStudentProfile, planStudents } from '../../agents/distill/student-plan.ts';
import { StudentRollout, skipGreedyRows } from '../../agents/distill/update.ts';
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

  it('L_PG skips the greedy rows: their advantages are zeroed, the sampled rows keep theirs', () => {
    const advantages = [Float32Array.of(0.5, -1, 2, 0.25), Float32Array.of(-0.5, 1, -2, 3)];
    skipGreedyRows(advantages, Uint8Array.of(1, 0, 1, 0));
    expect(Array.from(advantages[0])).toEqual([0, -1, 0, 0.25]);
    expect(Array.from(advantages[1])).toEqual([0, 1, 0, 3]);
  });
});
