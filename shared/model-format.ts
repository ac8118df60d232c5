import { z } from 'zod';
import { viewSpecSchema } from './view-spec.ts';

/**
 * The deployed-policy format: what `kdmarl agent` loads and runs on the typed-array runtime
 * (no tfjs). Stored as msgpack (see `shared/codec.ts`, typed arrays kept as typed arrays).
 * Teachers export to it too, so evaluation and latency comparisons run both on one runtime.
 * Training-only heads (critic, projections, role heads) are never part of it.
 */
/** What a distillation writes and `kdmarl up` runs: `<run or models dir>/student.policy`. */
export const STUDENT_POLICY_FILE = 'student.policy';

export const POLICY_FORMAT = 'kdmarl-policy';
export const POLICY_FORMAT_VERSION = 1;

export type Activation = 'relu' | 'tanh' | 'linear';

/** y = act(x W + b), W row-major [inputSize][outputSize]. */
export type DenseLayer = {
  kind: 'dense';
  inputSize: number;
  outputSize: number;
  activation: Activation;
  weight: Float32Array;
  bias: Float32Array;
};

/** y = gamma * (x - mean(x)) / sqrt(var(x) + epsilon) + beta, as MAPPO's input LayerNorm. */
export type LayerNormLayer = {
  kind: 'layernorm';
  size: number;
  epsilon: number;
  gamma: Float32Array;
  beta: Float32Array;
};

/**
 * One GRU step (MAPPO's recurrent actor), PyTorch convention with gates in the order r, z, n:
 * r = sig(x Wr + br + h Ur + bhr), z = sig(x Wz + bz + h Uz + bhz), n = tanh(x Wn + bn + r * (h Un + bhn)),
 * h' = (1 - z) * n + z * h. Weights combined and row-major: wx [inputSize][3 * hiddenSize],
 * wh [hiddenSize][3 * hiddenSize], bx and bh [3 * hiddenSize]. The output is h'; the runtime keeps h
 * between decisions and zeroes it at each episode start.
 */
export type GruLayer = {
  kind: 'gru';
  inputSize: number;
  hiddenSize: number;
  wx: Float32Array;
  wh: Float32Array;
  bx: Float32Array;
  bh: Float32Array;
};

export type Layer = DenseLayer | LayerNormLayer | GruLayer;

/** Width of a layer's output. */
export function layerOutputSize(layer: Layer): number {
  return layer.kind === 'dense' ? layer.outputSize : layer.kind === 'gru' ? layer.hiddenSize : layer.size;
}

/** True when the net keeps state between decisions (a GRU layer): callers must reset it per episode. */
export function isRecurrentNet(net: PolicyNet): boolean {
  return net.layers.some((layer) => layer.kind === 'gru');
}

/** One actor network; the last layer's outputs are the action logits. */
export type PolicyNet = {
  inputSize: number;
  layers: Layer[];
};

/** How one agent uses a net: its view, and the agent-id one-hot appended to the view when the net is shared. */
export type AgentPolicy = {
  net: string;
  view: z.infer<typeof viewSpecSchema>;
  /** Agent-id one-hot appended after the observation: position `index` of `size`; absent when not shared. */
  agentId?: { index: number; size: number };
};

export type PolicyFile = {
  format: typeof POLICY_FORMAT;
  version: number;
  scenario: string;
  /** 'teacher' | 'student' | a baseline name. */
  role: string;
  /** The command that produced it, for reproducibility. */
  producedBy: string;
  agents: Record<string, AgentPolicy>;
  nets: Record<string, PolicyNet>;
};

const f32 = z.instanceof(Float32Array);

const denseSchema = z.strictObject({
  kind: z.literal('dense'),
  inputSize: z.number().int().positive(),
  outputSize: z.number().int().positive(),
  activation: z.enum(['relu', 'tanh', 'linear']),
  weight: f32,
  bias: f32,
});
const layerNormSchema = z.strictObject({
  kind: z.literal('layernorm'),
  size: z.number().int().positive(),
  epsilon: z.number().positive(),
  gamma: f32,
  beta: f32,
});

const gruSchema = z.strictObject({
  kind: z.literal('gru'),
  inputSize: z.number().int().positive(),
  hiddenSize: z.number().int().positive(),
  wx: f32,
  wh: f32,
  bx: f32,
  bh: f32,
});

export const policyFileSchema = z.strictObject({
  format: z.literal(POLICY_FORMAT),
  version: z.number().int(),
  scenario: z.string(),
  role: z.string(),
  producedBy: z.string(),
  agents: z.record(
    z.string(),
    z.strictObject({
      net: z.string(),
      view: viewSpecSchema,
      agentId: z.strictObject({ index: z.number().int().nonnegative(), size: z.number().int().positive() }).optional(),
    }),
  ),
  nets: z.record(
    z.string(),
    z.strictObject({
      inputSize: z.number().int().positive(),
      layers: z.array(z.discriminatedUnion('kind', [denseSchema, layerNormSchema, gruSchema])).min(1),
    }),
  ),
});

/** Check shapes that a schema cannot: sizes chain, arrays have the declared lengths, values are finite. */
export function checkPolicyFile(file: PolicyFile, where = 'policy'): void {
  if (file.version !== POLICY_FORMAT_VERSION) {
    throw new Error(`${where}: format version ${file.version}, this kdmarl reads version ${POLICY_FORMAT_VERSION}`);
  }
  for (const [name, net] of Object.entries(file.nets)) {
    let width = net.inputSize;
    net.layers.forEach((layer, i) => {
      const at = `${where}: nets.${name}.layers[${i}]`;
      if (layer.kind === 'dense') {
        if (layer.inputSize !== width) throw new Error(`${at}: input size ${layer.inputSize}, previous layer gives ${width}`);
        if (layer.weight.length !== layer.inputSize * layer.outputSize) throw new Error(`${at}: weight has ${layer.weight.length} values, expected ${layer.inputSize * layer.outputSize}`);
        if (layer.bias.length !== layer.outputSize) throw new Error(`${at}: bias has ${layer.bias.length} values, expected ${layer.outputSize}`);
        if (!layer.weight.every(Number.isFinite) || !layer.bias.every(Number.isFinite)) throw new Error(`${at}: non-finite weights`);
        width = layer.outputSize;
      } else if (layer.kind === 'gru') {
        const h3 = 3 * layer.hiddenSize;
        if (layer.inputSize !== width) throw new Error(`${at}: gru input size ${layer.inputSize}, previous layer gives ${width}`);
        if (layer.wx.length !== layer.inputSize * h3) throw new Error(`${at}: gru wx has ${layer.wx.length} values, expected ${layer.inputSize * h3} (inputSize x 3 * hiddenSize)`);
        if (layer.wh.length !== layer.hiddenSize * h3) throw new Error(`${at}: gru wh has ${layer.wh.length} values, expected ${layer.hiddenSize * h3} (hiddenSize x 3 * hiddenSize)`);
        if (layer.bx.length !== h3 || layer.bh.length !== h3) throw new Error(`${at}: gru bx and bh must have ${h3} values (3 * hiddenSize)`);
        if (![layer.wx, layer.wh, layer.bx, layer.bh].every((a) => a.every(Number.isFinite))) throw new Error(`${at}: non-finite weights`);
        width = layer.hiddenSize;
      } else {
        if (layer.size !== width) throw new Error(`${at}: layernorm size ${layer.size}, previous layer gives ${width}`);
        if (layer.gamma.length !== width || layer.beta.length !== width) throw new Error(`${at}: gamma/beta must have ${width} values`);
      }
    });
  }
  for (const [agent, spec] of Object.entries(file.agents)) {
    if (!file.nets[spec.net]) throw new Error(`${where}: agents.${agent}.net: no net named '${spec.net}'`);
  }
}
