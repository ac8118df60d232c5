import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../shared/rng.ts';
import type { Layer, PolicyNet } from '../../shared/model-format.ts';
import { dense, type DenseMode } from './dense.ts';
import { LAYER_NORM_EPSILON, orthogonal, variableFrom } from './init.ts';
import { TrainableNet } from './trainable-net.ts';

let instances = 0;

/**
 * MAPPO's recurrent actor (rMAPPO, recurrent_N = 1): [input LayerNorm] -> ReLU hidden layers ->
 * one GRU cell whose hidden size is the last hidden width -> linear logits head. The GRU follows
 * PyTorch (gates r, z, n; n = tanh(x Wn + bn + r * (h Un + bhn)); h' = (1 - z) * n + z * h) with
 * weights combined per gate as in the deployed format: wx [in][3H], wh [H][3H], bx, bh [3H].
 * Init as MAPPO: orthogonal (gain sqrt(2) hidden, 1 for the GRU, 0.01 head), zero biases.
 * Every matmul goes through `dense()` (its hand-written gradient is what keeps wasm fast).
 */
export class RecurrentActor extends TrainableNet {
  protected readonly label = 'the recurrent actor';
  /** The GRU runs at the last hidden width of `sizes` ([in, ...hidden, out]). */
  readonly hiddenSize: number;
  readonly wx: tf.Variable;
  readonly wh: tf.Variable;
  readonly bx: tf.Variable;
  readonly bh: tf.Variable;
  readonly headW: tf.Variable;
  readonly headB: tf.Variable;

  constructor(sizes: readonly number[], options: { layerNorm: boolean; rng: Rng; denseMode: DenseMode; name: string }) {
    if (sizes.length < 3) throw new Error(`a recurrent actor needs input, at least one hidden and output sizes, got [${sizes.join(', ')}]`);
    super(sizes, options, `${options.name}_gru${instances++}`);
    const H = sizes[sizes.length - 2];
    this.hiddenSize = H;
    const id = this.id;
    const rng = options.rng;
    for (let l = 0; l + 2 < sizes.length; l++) this.addDense(sizes[l], sizes[l + 1], Math.SQRT2, rng);
    this.wx = variableFrom(tf.tensor2d(orthogonal(H, 3 * H, 1, rng), [H, 3 * H]), true, `${id}/gru_wx`);
    this.wh = variableFrom(tf.tensor2d(orthogonal(H, 3 * H, 1, rng), [H, 3 * H]), true, `${id}/gru_wh`);
    this.bx = variableFrom(tf.zeros([3 * H]), true, `${id}/gru_bx`);
    this.bh = variableFrom(tf.zeros([3 * H]), true, `${id}/gru_bh`);
    const out = sizes[sizes.length - 1];
    this.headW = variableFrom(tf.tensor2d(orthogonal(H, out, 0.01, rng), [H, out]), true, `${id}/head_w`);
    this.headB = variableFrom(tf.zeros([out]), true, `${id}/head_b`);
  }

  /** Trainable variables in a fixed order: [ln gamma, ln beta,] w0, b0, ..., wx, wh, bx, bh, head w, head b. */
  variables(): tf.Variable[] {
    return [...this.trunkVariables(), this.wx, this.wh, this.bx, this.bh, this.headW, this.headB];
  }

  /** One step for `n` rows: logits [n, out] and the next hidden state [n, H]. */
  step(x: tf.Tensor2D, h: tf.Tensor2D): { logits: tf.Tensor2D; h: tf.Tensor2D } {
    const next = this.cell(dense(this.base(x), this.wx as tf.Tensor2D, this.bx as tf.Tensor1D, this.denseMode), h);
    return { logits: dense(next, this.headW as tf.Tensor2D, this.headB as tf.Tensor1D, this.denseMode), h: next };
  }

  /**
   * Training forward over `steps` time steps of B sequences laid out time-major: row s * B + b is
   * step s of sequence b. The feed-forward parts (base, input projection, head) run on all rows
   * at once; only the h-dependent part loops. `keep` [rows, 1] is 0 where an episode starts (h is
   * zeroed before that step), `h0` [B, H] is each sequence's stored initial state.
   */
  applySequence(x: tf.Tensor2D, h0: tf.Tensor2D, keep: tf.Tensor2D, steps: number): tf.Tensor2D {
    const rows = x.shape[0];
    const B = rows / steps;
    if (!Number.isInteger(B) || h0.shape[0] !== B) throw new Error(`applySequence: ${rows} rows are not ${steps} steps of ${h0.shape[0]} sequences`);
    const H = this.hiddenSize;
    const gx = dense(this.base(x), this.wx as tf.Tensor2D, this.bx as tf.Tensor1D, this.denseMode);
    let h = h0;
    const outputs: tf.Tensor2D[] = [];
    for (let s = 0; s < steps; s++) {
      h = this.cell(tf.slice(gx, [s * B, 0], [B, 3 * H]), tf.mul(h, tf.slice(keep, [s * B, 0], [B, 1])));
      outputs.push(h);
    }
    return dense(tf.concat(outputs, 0), this.headW as tf.Tensor2D, this.headB as tf.Tensor1D, this.denseMode);
  }


  /** The deployed (typed-array runtime) form: the runtime keeps h between decisions. */
  toPolicyNet(): PolicyNet {
    return recurrentPolicyNetFromWeights(this.sizes, this.layerNorm, this.getWeights());
  }


  /** Input LayerNorm and the ReLU hidden layers: [n, H]. */
  private base(x: tf.Tensor2D): tf.Tensor2D {
    let h = this.normalizeInput(x);
    for (let l = 0; l < this.weights.length; l++) h = tf.relu(this.denseLayer(h, l));
    return h;
  }

  /** The GRU gates from the input projection gx = x Wx + bx [B, 3H] and the state h [B, H]. */
  private cell(gx: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
    return gruGates(gx, dense(h, this.wh as tf.Tensor2D, this.bh as tf.Tensor1D, this.denseMode), h);
  }
}

/**
 * PyTorch's GRU gates (order r, z, n) from the two projections gx = x Wx + bx and gh = h Wh + bh
 * [B, 3H] and the state h [B, H]: the next state. Shared by training and the tfjs latency runtime.
 */
export function gruGates(gx: tf.Tensor2D, gh: tf.Tensor2D, h: tf.Tensor2D): tf.Tensor2D {
  const [xr, xz, xn] = tf.split(gx, 3, 1);
  const [hr, hz, hn] = tf.split(gh, 3, 1);
  const r = tf.sigmoid(tf.add(xr, hr));
  const z = tf.sigmoid(tf.add(xz, hz));
  const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
  // (1 - z) * n + z * h, one op fewer.
  return tf.add(n, tf.mul(z, tf.sub(h, n))) as tf.Tensor2D;
}

/**
 * The deployed form of a recurrent actor from its weight arrays in `RecurrentActor.variables()`
 * order. Plain arrays only, so checkpoints export without tfjs.
 */
export function recurrentPolicyNetFromWeights(sizes: readonly number[], layerNorm: boolean, weights: readonly Float32Array[]): PolicyNet {
  if (sizes.length < 3) throw new Error(`recurrentPolicyNetFromWeights: sizes [${sizes.join(', ')}] have no hidden layer`);
  const expected = (layerNorm ? 2 : 0) + 2 * (sizes.length - 2) + 6;
  if (weights.length !== expected) throw new Error(`recurrentPolicyNetFromWeights: ${weights.length} arrays for a recurrent actor of sizes [${sizes.join(', ')}], expected ${expected}`);
  const layers: Layer[] = [];
  let k = 0;
  if (layerNorm) layers.push({ kind: 'layernorm', size: sizes[0], epsilon: LAYER_NORM_EPSILON, gamma: Float32Array.from(weights[k++]), beta: Float32Array.from(weights[k++]) });
  for (let l = 0; l + 2 < sizes.length; l++) {
    layers.push({ kind: 'dense', inputSize: sizes[l], outputSize: sizes[l + 1], activation: 'relu', weight: Float32Array.from(weights[k++]), bias: Float32Array.from(weights[k++]) });
  }
  const H = sizes[sizes.length - 2];
  const [wx, wh, bx, bh] = [weights[k++], weights[k++], weights[k++], weights[k++]].map((a) => Float32Array.from(a));
  layers.push({ kind: 'gru', inputSize: H, hiddenSize: H, wx, wh, bx, bh });
  layers.push({ kind: 'dense', inputSize: H, outputSize: sizes[sizes.length - 1], activation: 'linear', weight: Float32Array.from(weights[k++]), bias: Float32Array.from(weights[k++]) });
  return { inputSize: sizes[0], layers };
}
