import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../agents/runtime/policy-runtime.ts';
import { exportAgents, type ExportAgent } from '../../agents/export/export-agent.ts';
import { exportPolicy } from '../../agents/export/export-policy.ts';
import { gruStateNames } from '../../agents/export/onnx-export.ts';
import { sampleObservations, type ObservationSample } from '../../agents/export/sample-observations.ts';
import { Int8Runtime, quantizeNet } from '../../agents/export/quantize.ts';
import { maxRelativeError, nearTies, runtimeReference, syntheticPolicy, tempDir } from './helpers.ts';

// One thread: onnxruntime-web's wasm build runs in Node without workers then.
ort.env.wasm.numThreads = 1;

/**
 * Logits, relative to max(1, |logit|). The runtime rounds every partial sum to float32 and is itself
 * up to 1.2e-5 from exact arithmetic on these nets (measured on the 3m teacher, spread student);
 * onnxruntime sums in another order, so the two can be twice that apart. Probabilities, the
 * decision-relevant output, are held to 1e-5 absolute.
 */
const LOGIT_TOLERANCE = 3e-5;

const dir = tempDir('onnx');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const synthetic = syntheticPolicy(dir);

type OrtOut = { logits: Float32Array; probabilities: Float32Array; actions: Int32Array };

/** The sample through an ONNX model: one batch for a feed-forward net, one step at a time (state fed back) for a GRU. */
async function runOnnx(path: string, a: ExportAgent, sample: ObservationSample, withMask = true): Promise<OrtOut> {
  const session = await ort.InferenceSession.create(readFileSync(path));
  const A = a.actionCount;
  const obs = a.observationSize;
  const feeds = (from: number, n: number, states: Record<string, ort.Tensor>): Record<string, ort.Tensor> => ({
    observation: new ort.Tensor('float32', sample.observations.slice(from * obs, (from + n) * obs), [n, obs]),
    ...(withMask ? { mask: new ort.Tensor('float32', Float32Array.from(sample.masks.subarray(from * A, (from + n) * A)), [n, A]) } : {}),
    ...states,
  });
  const out: OrtOut = { logits: new Float32Array(sample.count * A), probabilities: new Float32Array(sample.count * A), actions: new Int32Array(sample.count) };
  const store = (r: ort.InferenceSession.OnnxValueMapType, from: number) => {
    out.logits.set(r.logits.data as Float32Array, from * A);
    out.probabilities.set(r.probabilities.data as Float32Array, from * A);
    (r.action.data as BigInt64Array).forEach((v, i) => (out.actions[from + i] = Number(v)));
  };
  const grus = a.net.layers.flatMap((l, i) => (l.kind === 'gru' ? [{ names: gruStateNames(i), size: l.hiddenSize }] : []));
  if (!grus.length) {
    store(await session.run(feeds(0, sample.count, {})), 0);
    return out;
  }
  let states: Record<string, ort.Tensor> = {};
  for (let k = 0; k < sample.count; k++) {
    if (sample.episodeStarts[k]) states = Object.fromEntries(grus.map((g) => [g.names.input, new ort.Tensor('float32', new Float32Array(g.size), [1, g.size])]));
    const r = await session.run(feeds(k, 1, states));
    store(r, k);
    states = Object.fromEntries(grus.map((g) => [g.names.input, r[g.names.output]]));
  }
  return out;
}

/** The runtime's masked softmax (probabilities 0 where not allowed, all 0 when nothing is). */
function maskedSoftmax(logits: Float32Array, masks: Uint8Array, A: number): Float32Array {
  const p = new Float32Array(logits.length);
  for (let k = 0; k < logits.length / A; k++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let a = 0; a < A; a++) if (masks[k * A + a] === 1) max = Math.max(max, logits[k * A + a]);
    let sum = 0;
    for (let a = 0; a < A; a++) sum += masks[k * A + a] === 1 ? Math.exp(logits[k * A + a] - max) : 0;
    for (let a = 0; a < A; a++) p[k * A + a] = masks[k * A + a] === 1 && sum > 0 ? Math.exp(logits[k * A + a] - max) / sum : 0;
  }
  return p;
}

describe('kdmarl export --format onnx, run by onnxruntime-web (wasm)', () => {
  const cases: [string, string, string | undefined][] = [
    ['3m student', 'models/3m/student.policy', 'agent_2'],
    ['spread student', 'models/spread/student.policy', undefined],
    ['3m teacher (shared net, agent-id one-hot)', 'models/3m/teacher.policy', 'agent_0'],
    ['synthetic (tanh, GRU state in and out)', synthetic.path, undefined],
  ];
  it.each(cases)('%s: probabilities to 1e-5, logits to float32 rounding, the same actions, on 1,000 observations', async (_, policy, agent) => {
    const out = join(dir, `out-${cases.findIndex((c) => c[1] === policy)}`);
    exportPolicy({ policy, format: 'onnx', out, agent });
    const file = loadPolicyFile(policy);
    for (const a of exportAgents(file, policy, agent)) {
      const sample = sampleObservations(file, a, 1000, 5);
      // One decision with nothing allowed: the runtime's rule is action 0 and no probability anywhere.
      sample.masks.fill(0, 7 * a.actionCount, 8 * a.actionCount);
      const got = await runOnnx(join(out, `${a.ident}.onnx`), a, sample);
      const ref = runtimeReference(file, a, sample);
      expect(maxRelativeError(got.logits, ref.logits)).toBeLessThanOrEqual(LOGIT_TOLERANCE);
      const probabilities = maskedSoftmax(ref.logits, sample.masks, a.actionCount);
      expect(Math.max(...got.probabilities.map((p, i) => Math.abs(p - probabilities[i])))).toBeLessThanOrEqual(1e-5);
      expect(got.actions[7]).toBe(0);
      expect(Array.from(got.probabilities.subarray(7 * a.actionCount, 8 * a.actionCount)).every((p) => p === 0)).toBe(true);
      // float32 sums in another order may flip a decision between two logits equal to within 1e-5; no others may differ.
      const ties = nearTies(ref.logits, sample.masks, a.actionCount, 1e-5);
      const differing = [...got.actions.keys()].filter((k) => got.actions[k] !== ref.actions[k] && !ties.has(k));
      expect(differing).toEqual([]);
      expect(ties.size).toBeLessThan(10);
    }
  });

  it('with --no-mask the model has no mask input and every action is allowed', async () => {
    const out = join(dir, 'nomask');
    exportPolicy({ policy: 'models/spread/student.policy', format: 'onnx', out, agent: 'agent_0', mask: false });
    const file = loadPolicyFile('models/spread/student.policy');
    const [a] = exportAgents(file, 'spread', 'agent_0');
    const session = await ort.InferenceSession.create(readFileSync(join(out, 'agent_0.onnx')));
    expect(session.inputNames).toEqual(['observation']);
    expect(session.outputNames).toEqual(['logits', 'probabilities', 'action']);
    const sample = sampleObservations(file, a, 200, 9);
    sample.masks.fill(1);
    const got = await runOnnx(join(out, 'agent_0.onnx'), a, sample, false);
    const ref = runtimeReference(file, a, sample);
    expect(maxRelativeError(got.logits, ref.logits)).toBeLessThanOrEqual(LOGIT_TOLERANCE);
    expect(Array.from(got.actions)).toEqual(Array.from(ref.actions));
  });

  it('int8: DequantizeLinear weights give the int8 reference logits', async () => {
    const out = join(dir, 'int8');
    exportPolicy({ policy: 'models/3m/student.policy', format: 'onnx', out, agent: 'agent_1', quantize: 'int8', accuracyObservations: 100, retentionEpisodes: 0 });
    const file = loadPolicyFile('models/3m/student.policy');
    const [a] = exportAgents(file, '3m', 'agent_1');
    const sample = sampleObservations(file, a, 1000, 4);
    const got = await runOnnx(join(out, 'agent_1.onnx'), a, sample);
    const int8 = new Int8Runtime(a, quantizeNet(a.net));
    const ref = new Float32Array(got.logits.length);
    for (let k = 0; k < sample.count; k++) ref.set(int8.logits(sample.observations.subarray(k * a.observationSize, (k + 1) * a.observationSize)), k * a.actionCount);
    expect(maxRelativeError(got.logits, ref)).toBeLessThanOrEqual(LOGIT_TOLERANCE);
  });
});
