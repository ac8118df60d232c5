import onnxProto from 'onnx-proto';
import type { GruLayer } from '../../shared/model-format.ts';
import type { ExportAgent } from './export-agent.ts';
import type { QuantizedDense } from './quantize.ts';

const { onnx } = onnxProto;

/** ONNX opset 13 (IR version 7): every op used here exists there, and older runtimes read it. */
export const ONNX_OPSET = 13;
const IR_VERSION = 7;
const FLOAT = 1;
const INT8 = 3;
const INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, INTS: 7 } as const;

type Attr = { name: string; f?: number; i?: number; ints?: number[] };

/** Builds one agent's graph: nodes, constants (initializers) and the names of the tensors between them. */
class Graph {
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private count = 0;

  fresh(stem: string): string {
    return `${stem}_${this.count++}`;
  }

  op(opType: string, inputs: string[], attrs: Attr[] = [], output = this.fresh(opType.toLowerCase()), outputs?: string[]): string {
    const attribute = attrs.map((a) =>
      a.ints !== undefined ? { name: a.name, type: ATTR.INTS, ints: a.ints } : a.f !== undefined ? { name: a.name, type: ATTR.FLOAT, f: a.f } : { name: a.name, type: ATTR.INT, i: a.i },
    );
    this.nodes.push({ opType, input: inputs, output: outputs ?? [output], name: `${opType}_${this.nodes.length}`, attribute });
    return output;
  }

  floats(stem: string, dims: number[], values: ArrayLike<number>): string {
    const name = this.fresh(stem);
    const data = Float32Array.from(values);
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  int8s(stem: string, dims: number[], values: Int8Array): string {
    const name = this.fresh(stem);
    this.initializers.push({ name, dims, dataType: INT8, rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength) });
    return name;
  }

  int64s(stem: string, values: number[]): string {
    const name = this.fresh(stem);
    this.initializers.push({ name, dims: [values.length], dataType: INT64, int64Data: values });
    return name;
  }
}

const tensor = (name: string, elemType: number, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto => ({
  name,
  type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
});

/** Names of the ONNX graph's inputs and outputs, documented in docs/export.md. */
export const ONNX_NAMES = { observation: 'observation', mask: 'mask', logits: 'logits', probabilities: 'probabilities', action: 'action' } as const;
export const gruStateNames = (layer: number): { input: string; output: string } => ({ input: `h${layer}`, output: `h${layer}_out` });

export type OnnxOptions = {
  /** Key-value metadata stored in the model (agent, view, sizes). */
  meta: Record<string, string>;
  /** Give the model a `mask` input (the default); without it every action is allowed. */
  mask: boolean;
  quantized?: Map<number, QuantizedDense>;
};

/**
 * One agent's policy as an ONNX model (opset 13, batch dimension 'batch'). Inputs: `observation`
 * [batch, obs] float, `mask` [batch, actions] float (1 = allowed, anything else = not; left out
 * when exported with --no-mask), and per GRU layer l its state `h<l>` [batch, hidden] (zeros at an episode start). Outputs:
 * `logits` (unmasked), `probabilities` (softmax over allowed actions, all 0 when none is allowed),
 * `action` (int64, first highest allowed logit, 0 when none is allowed) and `h<l>_out`.
 */
export function onnxModel(agent: ExportAgent, options: OnnxOptions): Uint8Array {
  const g = new Graph();
  const inputs = [tensor(ONNX_NAMES.observation, FLOAT, ['batch', agent.observationSize])];
  if (options.mask) inputs.push(tensor(ONNX_NAMES.mask, FLOAT, ['batch', agent.actionCount]));
  const outputs = [tensor(ONNX_NAMES.logits, FLOAT, ['batch', agent.actionCount]), tensor(ONNX_NAMES.probabilities, FLOAT, ['batch', agent.actionCount]), tensor(ONNX_NAMES.action, INT64, ['batch'])];
  const quantized = options.quantized;

  let x: string = ONNX_NAMES.observation;
  if (agent.agentId) {
    // [observation, one-hot]: pad with zeros on the right, then add the constant one-hot row.
    const row = new Float32Array(agent.net.inputSize);
    row[agent.observationSize + agent.agentId.index] = 1;
    x = g.op('Pad', [x, g.int64s('pads', [0, 0, 0, agent.agentId.size])]);
    x = g.op('Add', [x, g.floats('agent_id', [1, agent.net.inputSize], row)]);
  }
  const last = agent.net.layers.length - 1;
  agent.net.layers.forEach((layer, l) => {
    const out = l === last ? ONNX_NAMES.logits : undefined;
    if (layer.kind === 'layernorm') {
      // Two passes in float, (x - mean) first: ONNX's LayerNormalization may take E[x^2] - mean^2, which loses
      // the digits of a small variance beside a large mean (spread's observations) that the runtime keeps.
      const mean = g.op('ReduceMean', [x], [{ name: 'axes', ints: [-1] }, { name: 'keepdims', i: 1 }]);
      const d = g.op('Sub', [x, mean]);
      const variance = g.op('ReduceMean', [g.op('Mul', [d, d])], [{ name: 'axes', ints: [-1] }, { name: 'keepdims', i: 1 }]);
      const inv = g.op('Reciprocal', [g.op('Sqrt', [g.op('Add', [variance, g.floats('ln_epsilon', [], [layer.epsilon])])])]);
      const scaled = g.op('Mul', [g.op('Mul', [d, inv]), g.floats('ln_gamma', [layer.size], layer.gamma)]);
      x = g.op('Add', [scaled, g.floats('ln_beta', [layer.size], layer.beta)], [], out);
    } else if (layer.kind === 'dense') {
      const q = quantized?.get(l);
      const w = q
        ? g.op('DequantizeLinear', [g.int8s('w_int8', [layer.inputSize, layer.outputSize], q.q), g.floats('w_scale', [layer.outputSize], q.scale)], [{ name: 'axis', i: 1 }])
        : g.floats('w', [layer.inputSize, layer.outputSize], layer.weight);
      const activated = layer.activation !== 'linear';
      x = g.op('Gemm', [x, w, g.floats('b', [layer.outputSize], layer.bias)], [], activated ? undefined : out);
      if (layer.activation === 'relu') x = g.op('Relu', [x], [], out);
      if (layer.activation === 'tanh') x = g.op('Tanh', [x], [], out);
    } else {
      const names = gruStateNames(l);
      inputs.push(tensor(names.input, FLOAT, ['batch', layer.hiddenSize]));
      outputs.push(tensor(names.output, FLOAT, ['batch', layer.hiddenSize]));
      x = gruNode(g, layer, x, names.input, names.output);
      if (l === last) x = g.op('Identity', [x], [], out);
    }
  });

  const allowed = options.mask ? g.op('Equal', [ONNX_NAMES.mask, g.floats('one', [], [1])]) : null;
  const maskedLogits = allowed ? g.op('Where', [allowed, ONNX_NAMES.logits, g.floats('minus_inf', [], [Number.NEGATIVE_INFINITY])]) : ONNX_NAMES.logits;
  g.op('ArgMax', [maskedLogits], [{ name: 'axis', i: 1 }, { name: 'keepdims', i: 0 }, { name: 'select_last_index', i: 0 }], ONNX_NAMES.action);
  const max = g.op('ReduceMax', [maskedLogits], [{ name: 'axes', ints: [1] }, { name: 'keepdims', i: 1 }]);
  const shifted = g.op('Exp', [g.op('Sub', [ONNX_NAMES.logits, max])]);
  const exp = allowed ? g.op('Where', [allowed, shifted, g.floats('zero', [], [0])]) : shifted;
  const sum = g.op('ReduceSum', [exp, g.int64s('axes', [1])], [{ name: 'keepdims', i: 1 }]);
  // The sum is at least 1 when any action is allowed (the largest term is exp(0)) and 0 when none
  // is; dividing by max(sum, 1) gives all-zero probabilities then, as the runtime does.
  g.op('Div', [exp, g.op('Max', [sum, g.floats('one', [], [1])])], [], ONNX_NAMES.probabilities);

  const model: onnxProto.onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'kdmarl',
    docString: `kdmarl policy of agent '${agent.agent}': observation (through the view in metadata) -> logits, probabilities, action`,
    graph: { name: agent.ident, node: g.nodes, initializer: g.initializers, input: inputs, output: outputs },
    metadataProps: Object.entries(options.meta).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(model).finish();
}

/**
 * ONNX's GRU with linear_before_reset = 1 is the PyTorch cell the runtime implements; ONNX orders
 * the gates z, r, h where the policy file has r, z, n, and wants weights as [3H, in] rows.
 */
function gruNode(g: Graph, layer: GruLayer, x: string, stateIn: string, stateOut: string): string {
  const H = layer.hiddenSize;
  const order = [1, 0, 2];
  const rows = (w: Float32Array, nIn: number): Float32Array => {
    const out = new Float32Array(3 * H * nIn);
    order.forEach((src, dst) => {
      for (let j = 0; j < H; j++) for (let i = 0; i < nIn; i++) out[(dst * H + j) * nIn + i] = w[i * 3 * H + src * H + j];
    });
    return out;
  };
  const bias = (b: Float32Array): number[] => order.flatMap((src) => Array.from(b.subarray(src * H, src * H + H)));
  const W = g.floats('gru_w', [1, 3 * H, layer.inputSize], rows(layer.wx, layer.inputSize));
  const R = g.floats('gru_r', [1, 3 * H, H], rows(layer.wh, H));
  const B = g.floats('gru_b', [1, 6 * H], [...bias(layer.bx), ...bias(layer.bh)]);
  const axis0 = g.int64s('axis0', [0]);
  const sequence = g.op('Unsqueeze', [x, axis0]);
  const h0 = g.op('Unsqueeze', [stateIn, axis0]);
  const yh = g.fresh('gru_yh');
  g.op('GRU', [sequence, W, R, B, '', h0], [{ name: 'hidden_size', i: H }, { name: 'linear_before_reset', i: 1 }], undefined, ['', yh]);
  return g.op('Squeeze', [yh, axis0], [], stateOut);
}
