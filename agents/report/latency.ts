import * as tf from '@tensorflow/tfjs';
import { quantileSorted } from 'simple-statistics';
import { Rng } from '../../shared/rng.ts';
import type { PolicyFile, PolicyNet } from '../../shared/model-format.ts';
import { AgentPolicyRuntime } from '../runtime/policy-runtime.ts';
import { inputLayerNorm } from '../learn/init.ts';
import { gruGates } from '../learn/recurrent-actor.ts';

/** Decision latency of one policy on one runtime: median and p99 of single decisions, microseconds. */
export type Latency = { runtime: 'typed-array' | 'tfjs'; medianUs: number; p99Us: number; decisions: number };

/**
 * A decision = build the input, forward pass, masked argmax, as an agent process does it. Timed
 * one at a time after a warm-up (docs/method.md §6: at least 1000 single decisions); inputs are drawn
 * once up front so the timing holds only the decision.
 */
export function measureTypedArray(file: PolicyFile, agent: string, decisions = 2000, warmup = 300): Latency {
  const runtime = new AgentPolicyRuntime(file, agent);
  const inputs = randomInputs(runtime.observationSize, 64, 11);
  const mask = new Uint8Array(runtime.actionCount).fill(1);
  let sink = 0;
  for (let i = 0; i < warmup; i++) sink += runtime.actGreedy(inputs[i % inputs.length], mask);
  const times = new Float64Array(decisions);
  for (let i = 0; i < decisions; i++) {
    const start = process.hrtime.bigint();
    sink += runtime.actGreedy(inputs[i % inputs.length], mask);
    times[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  if (sink < 0) throw new Error('unreachable');
  return summarize('typed-array', times);
}

/** The same net on tfjs (batch of one, as a per-agent decision), through the chosen backend. */
export function measureTfjs(file: PolicyFile, agent: string, decisions = 1000, warmup = 100): Latency {
  const spec = file.agents[agent];
  const net = file.nets[spec.net];
  const forward = tfjsForward(net);
  const observationSize = net.inputSize - (spec.agentId?.size ?? 0);
  const inputs = randomInputs(observationSize, 64, 12).map((obs) => {
    const x = new Float32Array(net.inputSize);
    x.set(obs);
    if (spec.agentId) x[observationSize + spec.agentId.index] = 1;
    return x;
  });
  const decide = (x: Float32Array) => {
    const logits = tf.tidy(() => forward(tf.tensor2d(x, [1, net.inputSize])));
    const z = logits.dataSync();
    logits.dispose();
    let best = 0;
    for (let k = 1; k < z.length; k++) if (z[k] > z[best]) best = k;
    return best;
  };
  let sink = 0;
  for (let i = 0; i < warmup; i++) sink += decide(inputs[i % inputs.length]);
  const times = new Float64Array(decisions);
  for (let i = 0; i < decisions; i++) {
    const start = process.hrtime.bigint();
    sink += decide(inputs[i % inputs.length]);
    times[i] = Number(process.hrtime.bigint() - start) / 1000;
  }
  forward.dispose();
  if (sink < 0) throw new Error('unreachable');
  return summarize('tfjs', times);
}

type TfForward = ((x: tf.Tensor2D) => tf.Tensor2D) & { dispose: () => void };

/**
 * A deployed net as tfjs ops (constants, no variables): the tfjs runtime of a policy file. A GRU
 * layer keeps its state between calls (kept out of the caller's tidy), like the typed-array runtime.
 */
export function tfjsForward(net: PolicyNet): TfForward {
  const tensors: tf.Tensor[] = [];
  const keep = <T extends tf.Tensor>(t: T): T => {
    tensors.push(t);
    return t;
  };
  const layers = net.layers.map((layer) =>
    layer.kind === 'dense'
      ? { kind: 'dense' as const, w: keep(tf.tensor2d(layer.weight, [layer.inputSize, layer.outputSize])), b: keep(tf.tensor1d(layer.bias)), activation: layer.activation }
      : layer.kind === 'gru'
        ? { kind: 'gru' as const, wx: keep(tf.tensor2d(layer.wx, [layer.inputSize, 3 * layer.hiddenSize])), wh: keep(tf.tensor2d(layer.wh, [layer.hiddenSize, 3 * layer.hiddenSize])), bx: keep(tf.tensor1d(layer.bx)), bh: keep(tf.tensor1d(layer.bh)), state: { h: tf.zeros([1, layer.hiddenSize]) as tf.Tensor2D } }
        : { kind: 'layernorm' as const, gamma: keep(tf.tensor1d(layer.gamma)), beta: keep(tf.tensor1d(layer.beta)), epsilon: layer.epsilon },
  );
  const forward = ((x: tf.Tensor2D) => {
    let h: tf.Tensor2D = x;
    for (const layer of layers) {
      if (layer.kind === 'dense') {
        h = tf.add(tf.matMul(h, layer.w), layer.b);
        if (layer.activation === 'relu') h = tf.relu(h);
        else if (layer.activation === 'tanh') h = tf.tanh(h);
      } else if (layer.kind === 'gru') {
        h = tf.keep(gruGates(tf.add(tf.matMul(h, layer.wx), layer.bx), tf.add(tf.matMul(layer.state.h, layer.wh), layer.bh), layer.state.h));
        layer.state.h.dispose();
        layer.state.h = h;
      } else {
        h = inputLayerNorm(h, layer.gamma, layer.beta, layer.epsilon);
      }
    }
    return h;
  }) as TfForward;
  forward.dispose = () => {
    tf.dispose(tensors);
    for (const layer of layers) if (layer.kind === 'gru') layer.state.h.dispose();
  };
  return forward;
}

function randomInputs(size: number, count: number, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => Float32Array.from({ length: size }, () => rng.normal()));
}

function summarize(runtime: Latency['runtime'], times: Float64Array): Latency {
  const sorted = Array.from(times).sort((a, b) => a - b);
  return { runtime, medianUs: quantileSorted(sorted, 0.5), p99Us: quantileSorted(sorted, 0.99), decisions: times.length };
}
