import { z } from 'zod';
import { viewSpecSchema } from './view-spec.ts';

/**
 * The deployed-policy format: what `kdmarl agent` loads and runs on the typed-array runtime
 * (no tfjs). Stored as msgpack (see `shared/codec.ts`, typed arrays kept as typed arrays).
 * Teachers export to it too, so evaluation and latency comparisons run both on one runtime.
 * Training-only heads (critic, projections, role heads) are never part of it.
 */
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

export type Layer = DenseLayer | LayerNormLayer;

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
      layers: z.array(z.discriminatedUnion('kind', [denseSchema, layerNormSchema])).min(1),
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
