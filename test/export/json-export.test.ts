import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../agents/runtime/policy-runtime.ts';
import { exportAgents } from '../../agents/export/export-agent.ts';
import { exportPolicy } from '../../agents/export/export-policy.ts';
import { sampleObservations } from '../../agents/export/sample-observations.ts';
import { greedy, Int8Runtime, quantizeNet } from '../../agents/export/quantize.ts';
import { runtimeReference, syntheticPolicy, tempDir } from './helpers.ts';

const dir = tempDir('json');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const synthetic = syntheticPolicy(dir);

type JsonLayer = {
  kind: 'dense' | 'layernorm' | 'gru';
  activation?: 'relu' | 'tanh' | 'linear';
  weight?: number[][];
  weightInt8?: number[][];
  weightScale?: number[];
  bias?: number[];
  epsilon?: number;
  gamma?: number[];
  beta?: number[];
  hiddenSize?: number;
  wx?: number[][];
  wh?: number[][];
  bx?: number[];
  bh?: number[];
};
type JsonModel = { observationSize: number; actionCount: number; inputSize: number; agentId: { index: number; size: number } | null; layers: JsonLayer[] };

/**
 * A reader written from docs/export.md alone, as another language would: it rounds to float32
 * where the runtime stores (Math.fround), so a complete export reproduces the runtime exactly.
 */
function forward(model: JsonModel, observation: Float32Array, state: number[][]): number[] {
  const f = Math.fround;
  let x = [...observation, ...new Array(model.inputSize - model.observationSize).fill(0)];
  if (model.agentId) x[model.observationSize + model.agentId.index] = 1;
  const dense = (input: number[], w: number[][], b: number[]) => {
    const y = b.map(f);
    input.forEach((xi, i) => {
      if (xi !== 0) for (let j = 0; j < y.length; j++) y[j] = f(y[j] + xi * w[i][j]);
    });
    return y;
  };
  model.layers.forEach((layer, l) => {
    if (layer.kind === 'layernorm') {
      const mean = x.reduce((s, v) => s + v, 0) / x.length;
      const variance = x.reduce((s, v) => s + (v - mean) * (v - mean), 0) / x.length;
      const inv = 1 / Math.sqrt(variance + layer.epsilon!);
      x = x.map((v, i) => f((v - mean) * inv * layer.gamma![i] + layer.beta![i]));
    } else if (layer.kind === 'gru') {
      const H = layer.hiddenSize!;
      const h = state[l] ?? new Array(H).fill(0);
      const gx = dense(x, layer.wx!, layer.bx!);
      const gh = dense(h, layer.wh!, layer.bh!);
      x = h.map((hj, j) => {
        const r = 1 / (1 + Math.exp(-(gx[j] + gh[j])));
        const z = 1 / (1 + Math.exp(-(gx[H + j] + gh[H + j])));
        const n = Math.tanh(gx[2 * H + j] + r * gh[2 * H + j]);
        return f((1 - z) * n + z * hj);
      });
      state[l] = x;
    } else if (layer.weightInt8) {
      const acc = new Array(layer.bias!.length).fill(0);
      x.forEach((xi, i) => {
        if (xi !== 0) for (let j = 0; j < acc.length; j++) acc[j] += xi * layer.weightInt8![i][j];
      });
      x = acc.map((a, j) => f(layer.bias![j] + layer.weightScale![j] * a));
      x = x.map((v) => (layer.activation === 'relu' ? (v < 0 ? 0 : v) : layer.activation === 'tanh' ? f(Math.tanh(v)) : v));
    } else {
      x = dense(x, layer.weight!, layer.bias!).map((v) => (layer.activation === 'relu' ? (v < 0 ? 0 : v) : layer.activation === 'tanh' ? f(Math.tanh(v)) : v));
    }
  });
  return x;
}

/** Numbers in the arrays are float32 values written as the shortest decimals: read them back as float32 (numpy: dtype=float32). */
function readModel(path: string): JsonModel {
  const model = JSON.parse(readFileSync(path, 'utf8')) as JsonModel;
  const f32 = (v: unknown): unknown => (Array.isArray(v) ? v.map(f32) : typeof v === 'number' ? Math.fround(v) : v);
  for (const layer of model.layers) {
    for (const key of ['weight', 'weightScale', 'bias', 'gamma', 'beta', 'wx', 'wh', 'bx', 'bh'] as const) if (layer[key]) (layer as Record<string, unknown>)[key] = f32(layer[key]);
  }
  return model;
}

describe('kdmarl export --format json', () => {
  it.each([
    ['3m student', 'models/3m/student.policy', 'agent_0'],
    ['3m teacher (agent-id one-hot)', 'models/3m/teacher.policy', 'agent_2'],
    ['synthetic (tanh, GRU)', synthetic.path, 'robot-b'],
  ])('%s: a reader of the documented schema gets the runtime logits exactly on 1,000 observations', (_, policy, agent) => {
    const out = join(dir, agent + policy.length);
    exportPolicy({ policy, format: 'json', out, agent });
    const file = loadPolicyFile(policy);
    const [a] = exportAgents(file, policy, agent);
    const model = readModel(join(out, `${a.ident}.json`)) as JsonModel & Record<string, unknown>;
    expect(model).toMatchObject({ format: 'kdmarl-export', version: 1, agent, scenario: file.scenario, view: file.agents[agent].view, observationSize: a.observationSize, actionCount: a.actionCount });
    const sample = sampleObservations(file, a, 1000, 2);
    const ref = runtimeReference(file, a, sample);
    let state: number[][] = [];
    for (let k = 0; k < sample.count; k++) {
      if (sample.episodeStarts[k]) state = [];
      const z = forward(model, sample.observations.subarray(k * a.observationSize, (k + 1) * a.observationSize), state);
      expect(z).toEqual(Array.from(ref.logits.subarray(k * a.actionCount, (k + 1) * a.actionCount)));
    }
  });

  it('int8: weightInt8 and weightScale give the int8 reference', () => {
    const out = join(dir, 'int8');
    const result = exportPolicy({ policy: 'models/spread/student.policy', format: 'json', out, agent: 'agent_1', quantize: 'int8', accuracyObservations: 200, retentionEpisodes: 0 });
    expect(result.agents[0].int8?.observations).toBe(200);
    const file = loadPolicyFile('models/spread/student.policy');
    const [a] = exportAgents(file, 'spread', 'agent_1');
    const model = readModel(join(out, 'agent_1.json'));
    expect(model.layers.filter((l) => l.kind === 'dense').every((l) => l.weightInt8 && !l.weight && l.weightInt8.flat().every((q) => Number.isInteger(q) && Math.abs(q) <= 127))).toBe(true);
    const int8 = new Int8Runtime(a, quantizeNet(a.net));
    const sample = sampleObservations(file, a, 200, 2);
    for (let k = 0; k < sample.count; k++) {
      const o = sample.observations.subarray(k * a.observationSize, (k + 1) * a.observationSize);
      const expected = Array.from(int8.logits(o));
      expect(forward(model, o, [])).toEqual(expected);
      expect(greedy(Float32Array.from(expected), sample.masks.subarray(k * a.actionCount, (k + 1) * a.actionCount))).toBe(int8.actGreedy(o, sample.masks.subarray(k * a.actionCount, (k + 1) * a.actionCount)));
    }
  });
});
