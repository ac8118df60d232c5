import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '../../shared/codec.ts';
import { Rng } from '../../shared/rng.ts';
import { POLICY_FORMAT, POLICY_FORMAT_VERSION, type Layer, type PolicyFile } from '../../shared/model-format.ts';
import { AgentPolicyRuntime } from '../../agents/runtime/policy-runtime.ts';
import type { ExportAgent } from '../../agents/export/export-agent.ts';
import { greedy } from '../../agents/export/quantize.ts';
import type { ObservationSample } from '../../agents/export/sample-observations.ts';

export const tempDir = (stem: string): string => mkdtempSync(join(tmpdir(), `kdmarl-export-${stem}-`));

/** What the typed-array runtime decides on a sample, resetting at episode starts: the reference for every export. */
export function runtimeReference(file: PolicyFile, agent: ExportAgent, sample: ObservationSample): { logits: Float32Array; actions: Int32Array } {
  const runtime = new AgentPolicyRuntime(file, agent.agent);
  const A = agent.actionCount;
  const logits = new Float32Array(sample.count * A);
  const actions = new Int32Array(sample.count);
  for (let k = 0; k < sample.count; k++) {
    if (sample.episodeStarts[k]) runtime.reset();
    const mask = sample.masks.subarray(k * A, (k + 1) * A);
    const z = runtime.logits(sample.observations.subarray(k * agent.observationSize, (k + 1) * agent.observationSize));
    logits.set(z, k * A);
    actions[k] = greedy(z, mask);
  }
  return { logits, actions };
}

/** Largest |a - b| / max(1, |b|): float32 logits of different summation orders agree to about 1e-6 of their size. */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return Number.isNaN(worst) ? Number.POSITIVE_INFINITY : worst;
}

/** Decisions whose two best allowed logits are closer than `gap`: a float32 difference in summation order may flip them. */
export function nearTies(logits: Float32Array, masks: Uint8Array, A: number, gap: number): Set<number> {
  const out = new Set<number>();
  for (let k = 0; k < logits.length / A; k++) {
    const allowed = [];
    for (let a = 0; a < A; a++) if (masks[k * A + a] === 1) allowed.push(logits[k * A + a]);
    allowed.sort((x, y) => y - x);
    if (allowed.length > 1 && allowed[0] - allowed[1] <= gap * Math.max(1, Math.abs(allowed[0]))) out.add(k);
  }
  return out;
}

/** Run a compiled check harness on its input; its output split into logits and actions. */
export function runHarness(program: string, input: Buffer, count: number, A: number): { logits: Float32Array; actions: Int32Array } {
  const run = spawnSync(program, [], { input, maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`${program} exited ${run.status}: ${run.stderr}`);
  const out = run.stdout;
  const record = 4 * A + 4;
  if (out.length !== count * record) throw new Error(`${program} wrote ${out.length} bytes, expected ${count * record}`);
  const logits = new Float32Array(count * A);
  const actions = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    for (let a = 0; a < A; a++) logits[k * A + a] = out.readFloatLE(k * record + 4 * a);
    actions[k] = out.readInt32LE(k * record + 4 * A);
  }
  return { logits, actions };
}

/**
 * A policy file the shipped models do not cover: a shared net (agent-id one-hot) with tanh and a
 * GRU layer, and a second agent with its own feed-forward net without LayerNorm, on a scenario
 * this kdmarl does not know (so samples are random observations).
 */
export function syntheticPolicy(dir: string): { path: string; file: PolicyFile } {
  const rng = new Rng(7);
  const values = (n: number, scale = 0.5) => Float32Array.from({ length: n }, () => scale * rng.normal());
  const dense = (inputSize: number, outputSize: number, activation: 'relu' | 'tanh' | 'linear'): Layer => ({ kind: 'dense', inputSize, outputSize, activation, weight: values(inputSize * outputSize), bias: values(outputSize, 0.1) });
  const H = 6;
  const file: PolicyFile = {
    format: POLICY_FORMAT,
    version: POLICY_FORMAT_VERSION,
    scenario: 'nowhere',
    role: 'synthetic',
    producedBy: 'test/export',
    agents: {
      'robot-a': { net: 'shared', view: {}, agentId: { index: 0, size: 2 } },
      'robot-b': { net: 'shared', view: {}, agentId: { index: 1, size: 2 } },
      solo: { net: 'solo', view: { sight: 3 } },
    },
    nets: {
      shared: {
        inputSize: 7,
        layers: [
          { kind: 'layernorm', size: 7, epsilon: 1e-5, gamma: values(7), beta: values(7, 0.1) },
          dense(7, 8, 'tanh'),
          { kind: 'gru', inputSize: 8, hiddenSize: H, wx: values(8 * 3 * H), wh: values(H * 3 * H), bx: values(3 * H, 0.1), bh: values(3 * H, 0.1) },
          dense(H, 4, 'linear'),
        ],
      },
      solo: { inputSize: 6, layers: [dense(6, 10, 'relu'), dense(10, 5, 'tanh'), dense(5, 3, 'linear')] },
    },
  };
  const path = join(dir, 'synthetic.policy');
  writeFileSync(path, encode(file));
  return { path, file };
}
