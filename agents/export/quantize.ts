import type { DenseLayer, PolicyNet } from '../../shared/model-format.ts';
import { layerOutputSize } from '../../shared/model-format.ts';
import type { ExportAgent } from './export-agent.ts';

/**
 * Symmetric int8 weights, one float scale per output unit (a column of the row-major [in][out]
 * weight): w[i][j] ~= q[i][j] * scale[j], q in [-127, 127], scale = max_i |w[i][j]| / 127.
 * Biases, LayerNorm and activations stay float. Per-unit scales keep a unit with small weights
 * from being rounded to zero by a unit with large ones.
 */
export type QuantizedDense = { q: Int8Array; scale: Float32Array };

export function quantizeDense(layer: DenseLayer): QuantizedDense {
  const { inputSize: nIn, outputSize: nOut, weight } = layer;
  const scale = new Float32Array(nOut);
  for (let j = 0; j < nOut; j++) {
    let max = 0;
    for (let i = 0; i < nIn; i++) max = Math.max(max, Math.abs(weight[i * nOut + j]));
    scale[j] = max > 0 ? max / 127 : 1;
  }
  const q = new Int8Array(nIn * nOut);
  for (let i = 0; i < nIn; i++) {
    for (let j = 0; j < nOut; j++) q[i * nOut + j] = Math.max(-127, Math.min(127, Math.round(weight[i * nOut + j] / scale[j])));
  }
  return { q, scale };
}

/** Every dense layer of a net quantized, by layer index. GRU layers are refused by the caller. */
export function quantizeNet(net: PolicyNet): Map<number, QuantizedDense> {
  const out = new Map<number, QuantizedDense>();
  net.layers.forEach((layer, l) => {
    if (layer.kind === 'dense') out.set(l, quantizeDense(layer));
  });
  return out;
}

/**
 * The int8 net's forward pass in the exact arithmetic of the C export (sums of x * q in double,
 * then bias + scale * sum, rounded to float): the reference the accuracy report and the tests use.
 */
export class Int8Runtime {
  readonly observationSize: number;
  readonly actionCount: number;
  private readonly agent: ExportAgent;
  private readonly quantized: Map<number, QuantizedDense>;
  private readonly input: Float32Array;
  private readonly buffers: Float32Array[];
  private readonly acc: Float64Array;

  constructor(agent: ExportAgent, quantized: Map<number, QuantizedDense>) {
    if (agent.recurrent) throw new Error(`agent ${agent.agent}'s net has a GRU layer; --quantize int8 quantizes feed-forward nets only`);
    this.agent = agent;
    this.quantized = quantized;
    this.observationSize = agent.observationSize;
    this.actionCount = agent.actionCount;
    this.input = new Float32Array(agent.net.inputSize);
    if (agent.agentId) this.input[agent.observationSize + agent.agentId.index] = 1;
    this.buffers = agent.net.layers.map((l) => new Float32Array(layerOutputSize(l)));
    this.acc = new Float64Array(Math.max(...this.buffers.map((b) => b.length)));
  }

  logits(observation: Float32Array): Float32Array {
    this.input.set(observation);
    let x = this.input;
    this.agent.net.layers.forEach((layer, l) => {
      const y = this.buffers[l];
      if (layer.kind === 'dense') {
        const { q, scale } = this.quantized.get(l)!;
        const nOut = layer.outputSize;
        const acc = this.acc;
        acc.fill(0, 0, nOut);
        for (let i = 0; i < layer.inputSize; i++) {
          const xi = x[i];
          if (xi === 0) continue;
          const row = i * nOut;
          for (let j = 0; j < nOut; j++) acc[j] += xi * q[row + j];
        }
        for (let j = 0; j < nOut; j++) {
          const v = layer.bias[j] + scale[j] * acc[j];
          y[j] = layer.activation === 'relu' ? (v < 0 ? 0 : v) : layer.activation === 'tanh' ? Math.tanh(Math.fround(v)) : v;
        }
      } else if (layer.kind === 'layernorm') {
        const n = layer.size;
        let mean = 0;
        for (let i = 0; i < n; i++) mean += x[i];
        mean /= n;
        let variance = 0;
        for (let i = 0; i < n; i++) variance += (x[i] - mean) * (x[i] - mean);
        variance /= n;
        const inv = 1 / Math.sqrt(variance + layer.epsilon);
        for (let i = 0; i < n; i++) y[i] = (x[i] - mean) * inv * layer.gamma[i] + layer.beta[i];
      } else {
        throw new Error(`agent ${this.agent.agent}: GRU layers are not quantized`);
      }
      x = y;
    });
    return x;
  }

  /** The runtime's greedy rule: the first highest logit among allowed actions, 0 when none is allowed. */
  actGreedy(observation: Float32Array, mask: Uint8Array): number {
    return greedy(this.logits(observation), mask);
  }
}

export function greedy(z: Float32Array, mask: Uint8Array | null): number {
  let best = -1;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let a = 0; a < z.length; a++) {
    if (mask && mask[a] !== 1) continue;
    if (best < 0 || z[a] > bestValue) {
      best = a;
      bestValue = z[a];
    }
  }
  return best < 0 ? 0 : best;
}
