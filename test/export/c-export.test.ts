import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../agents/runtime/policy-runtime.ts';
import { exportAgents } from '../../agents/export/export-agent.ts';
import { exportPolicy } from '../../agents/export/export-policy.ts';
import { C_FLAGS, compileHarness, harnessInput } from '../../agents/export/c-harness.ts';
import { sampleObservations } from '../../agents/export/sample-observations.ts';
import { Int8Runtime, greedy, quantizeNet } from '../../agents/export/quantize.ts';
import { maxRelativeError, nearTies, runHarness, runtimeReference, syntheticPolicy, tempDir } from './helpers.ts';

const dir = tempDir('c');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const synthetic = syntheticPolicy(dir);

/**
 * Each exported agent compiled with gcc -std=c99 -O2 -Wall -Wextra -Werror against the typed-array
 * runtime on 1,000 observations it meets (greedy episodes of the policy; random ones for the
 * synthetic policy): logits to 1e-5 (identical without tanh and exp, whose libm results may differ
 * from V8's in the last bit) and the same actions, every one.
 */
/**
 * From the object file's symbols: no writable data (bss, data, common), nothing undefined beyond
 * the libm functions the layers need, and only the decision (and reset) exported.
 */
function expectConstOnly(dir: string, ident: string, recurrent: boolean): void {
  const object = join(dir, `${ident}.o`);
  const gcc = spawnSync('gcc', [...C_FLAGS, '-c', join(dir, `${ident}.c`), '-o', object], { encoding: 'utf8' });
  expect(gcc.stderr).toBe('');
  const symbols = spawnSync('nm', ['-f', 'posix', object], { encoding: 'utf8' }).stdout.trim().split('\n').map((line) => line.split(' ').slice(0, 2));
  expect(symbols.filter(([, type]) => /[BbDdCcGgSs]/.test(type))).toEqual([]);
  expect(symbols.filter(([, type]) => type === 'U').every(([name]) => ['sqrt', 'tanh', 'exp'].includes(name))).toBe(true);
  expect(symbols.filter(([, type]) => type === 'T').map(([name]) => name).sort()).toEqual(recurrent ? [`kdmarl_${ident}_decide`, `kdmarl_${ident}_reset`] : [`kdmarl_${ident}_decide`]);
}

describe('kdmarl export --format c', () => {
  const cases: [string, string, string | undefined][] = [
    ['3m student (LayerNorm, relu, masks)', 'models/3m/student.policy', undefined],
    ['spread student', 'models/spread/student.policy', 'agent_2'],
    ['3m teacher (shared net, agent-id one-hot)', 'models/3m/teacher.policy', 'agent_1'],
    ['synthetic (tanh, GRU state across an episode, no LayerNorm)', synthetic.path, undefined],
  ];
  it.each(cases)('%s: logits to 1e-5 and identical actions on 1,000 observations', (_, policy, agent) => {
    const out = join(dir, `out-${cases.findIndex((c) => c[1] === policy)}`);
    const result = exportPolicy({ policy, format: 'c', out, agent });
    const file = loadPolicyFile(policy);
    for (const a of exportAgents(file, policy, agent)) {
      const entry = result.agents.find((r) => r.agent === a.agent)!;
      expect(entry.files).toEqual([`${a.ident}.h`, `${a.ident}.c`]);
      expect(entry.footprint!.weightBytes).toBeGreaterThan(0);
      expectConstOnly(out, a.ident, a.recurrent);
      const sample = sampleObservations(file, a, 1000, 3);
      const program = compileHarness(out, a, 'check');
      const c = runHarness(program, harnessInput(a, sample.observations, sample.masks, sample.episodeStarts), sample.count, a.actionCount);
      const ref = runtimeReference(file, a, sample);
      // The runtime's order of float operations, so bit for bit where libm's tanh and exp round as V8's do.
      expect(maxRelativeError(c.logits, ref.logits)).toBeLessThanOrEqual(1e-5);
      if (!a.recurrent && a.net.layers.every((l) => l.kind !== 'dense' || l.activation !== 'tanh')) expect(c.logits).toEqual(ref.logits);
      expect(Array.from(c.actions)).toEqual(Array.from(ref.actions));
    }
  });

  it('-DKDMARL_SINGLE_PRECISION (float sums, tanhf/expf/sqrtf) builds cleanly and stays within float32 rounding of the runtime', () => {
    for (const [policy, agent] of [[synthetic.path, 'robot-a'], ['models/3m/student.policy', 'agent_1']] as const) {
      const out = join(dir, `single-${agent}`);
      exportPolicy({ policy, format: 'c', out, agent });
      const file = loadPolicyFile(policy);
      const [a] = exportAgents(file, policy, agent);
      const sample = sampleObservations(file, a, 1000, 8);
      const c = runHarness(compileHarness(out, a, 'check', true), harnessInput(a, sample.observations, sample.masks, sample.episodeStarts), sample.count, a.actionCount);
      const ref = runtimeReference(file, a, sample);
      expect(maxRelativeError(c.logits, ref.logits)).toBeLessThanOrEqual(1e-4);
      const ties = nearTies(ref.logits, sample.masks, a.actionCount, 1e-4);
      expect([...c.actions.keys()].filter((k) => c.actions[k] !== ref.actions[k] && !ties.has(k))).toEqual([]);
    }
  });

  it('int8: gcc builds it, it decides as the int8 reference, and the reported agreement is what the C code does', () => {
    const out = join(dir, 'int8');
    const result = exportPolicy({ policy: 'models/3m/student.policy', format: 'c', out, quantize: 'int8', retentionEpisodes: 0 });
    const file = loadPolicyFile('models/3m/student.policy');
    const [a] = exportAgents(file, 'models/3m/student.policy', 'agent_0');
    const entry = result.agents[0];
    expect(entry.int8!.observations).toBe(1000);
    const floatBytes = 4 * a.net.layers.reduce((n, l) => n + (l.kind === 'dense' ? l.weight.length + l.bias.length : l.kind === 'layernorm' ? 2 * l.size : 0), 0);
    expect(entry.footprint!.weightBytes).toBeLessThan(floatBytes / 2);
    // The same observations the export measured on (its default seed).
    const sample = sampleObservations(file, a, 1000, 1);
    const c = runHarness(compileHarness(out, a, 'check'), harnessInput(a, sample.observations, sample.masks, sample.episodeStarts), sample.count, a.actionCount);
    const int8 = new Int8Runtime(a, quantizeNet(a.net));
    const ref = runtimeReference(file, a, sample);
    let agree = 0;
    let maxError = 0;
    for (let k = 0; k < sample.count; k++) {
      const z = int8.logits(sample.observations.subarray(k * a.observationSize, (k + 1) * a.observationSize));
      const mask = sample.masks.subarray(k * a.actionCount, (k + 1) * a.actionCount);
      expect(maxRelativeError(c.logits.subarray(k * a.actionCount, (k + 1) * a.actionCount), z)).toBeLessThanOrEqual(1e-5);
      expect(c.actions[k]).toBe(greedy(z, mask));
      if (c.actions[k] === ref.actions[k]) agree++;
      for (let j = 0; j < a.actionCount; j++) maxError = Math.max(maxError, Math.abs(c.logits[k * a.actionCount + j] - ref.logits[k * a.actionCount + j]));
    }
    expect(entry.int8!.actionAgreement).toBeCloseTo(agree / 1000, 10);
    expect(entry.int8!.maxLogitError).toBeCloseTo(maxError, 4);
    expect(entry.int8!.maxLogitError).toBeGreaterThan(0);
  });
});
