import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../shared/rng.ts';
import type { Layer, PolicyNet } from '../../shared/model-format.ts';
import { dense, type DenseMode } from './dense.ts';
import { TrainableNet } from './trainable-net.ts';

export const LAYER_NORM_EPSILON = 1e-5;

let instances = 0;

/**
 * A trainable MLP on tfjs variables: optional input LayerNorm, ReLU hidden layers, a linear output.
 * Orthogonal init (gain sqrt(2) for hidden layers, `outputGain` for the last: 0.01 for actors,
 * 1 for the critic), zero biases, as MAPPO. Weights are W[in][out] row-major, the layout of the
 * deployed policy format, so export is a copy.
 */
export class Mlp extends TrainableNet {
  protected readonly label = 'the net';
  readonly sizes: readonly number[];
  readonly layerNorm: boolean;
  readonly denseMode: DenseMode;
  readonly weights: tf.Variable[] = [];
  readonly biases: tf.Variable[] = [];
  readonly lnGamma: tf.Variable | null;
  readonly lnBeta: tf.Variable | null;

  constructor(sizes: readonly number[], options: { layerNorm: boolean; outputGain: number; rng: Rng; denseMode: DenseMode; name: string }) {
    super();
    if (sizes.length < 2) throw new Error(`an MLP needs at least input and output sizes, got [${sizes.join(', ')}]`);
    this.sizes = [...sizes];
    this.layerNorm = options.layerNorm;
    this.denseMode = options.denseMode;
    const id = `${options.name}_${instances++}`;
    this.lnGamma = options.layerNorm ? tf.variable(tf.ones([sizes[0]]), true, `${id}/ln_gamma`) : null;
    this.lnBeta = options.layerNorm ? tf.variable(tf.zeros([sizes[0]]), true, `${id}/ln_beta`) : null;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const last = l + 2 === sizes.length;
      const w = orthogonal(sizes[l], sizes[l + 1], last ? options.outputGain : Math.SQRT2, options.rng);
      this.weights.push(tf.variable(tf.tensor2d(w, [sizes[l], sizes[l + 1]]), true, `${id}/w${l}`));
      this.biases.push(tf.variable(tf.zeros([sizes[l + 1]]), true, `${id}/b${l}`));
    }
  }

  get inputSize(): number {
    return this.sizes[0];
  }

  get outputSize(): number {
    return this.sizes[this.sizes.length - 1];
  }

  /** Trainable variables in a fixed order (the order of `getWeights`). */
  variables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    if (this.lnGamma && this.lnBeta) out.push(this.lnGamma, this.lnBeta);
    for (let l = 0; l < this.weights.length; l++) out.push(this.weights[l], this.biases[l]);
    return out;
  }

  /** Outputs [n, out]; with `hidden`, the last hidden layer's activations instead. */
  apply(x: tf.Tensor2D, hidden = false): tf.Tensor2D {
    let h = this.lnGamma && this.lnBeta ? inputLayerNorm(x, this.lnGamma, this.lnBeta) : x;
    const last = this.weights.length - 1;
    for (let l = 0; l <= last; l++) {
      h = dense(h, this.weights[l] as tf.Tensor2D, this.biases[l] as tf.Tensor1D, this.denseMode);
      if (l < last) h = tf.relu(h);
      if (hidden && l === last - 1) return h;
    }
    return h;
  }


  /** The deployed (typed-array runtime) form of this net. */
  toPolicyNet(): PolicyNet {
    return policyNetFromWeights(this.sizes, this.layerNorm, this.getWeights());
  }

}

/** MAPPO's feature normalisation: LayerNorm over each input row. */
export function inputLayerNorm(x: tf.Tensor2D, gamma: tf.Tensor, beta: tf.Tensor, epsilon = LAYER_NORM_EPSILON): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon))), gamma), beta);
}

/**
 * A (rows x cols) matrix with orthonormal columns or rows (whichever is fewer), scaled by `gain`:
 * Gram-Schmidt on a Gaussian matrix drawn from `rng`, so init is reproducible from the seed.
 */
export function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  const tall = rows >= cols;
  const n = tall ? rows : cols;
  const k = tall ? cols : rows;
  // k vectors of length n, made orthonormal.
  const q = new Float64Array(k * n);
  for (let i = 0; i < k * n; i++) q[i] = rng.normal();
  for (let i = 0; i < k; i++) {
    const qi = q.subarray(i * n, (i + 1) * n);
    for (let j = 0; j < i; j++) {
      const qj = q.subarray(j * n, (j + 1) * n);
      let dot = 0;
      for (let x = 0; x < n; x++) dot += qi[x] * qj[x];
      for (let x = 0; x < n; x++) qi[x] -= dot * qj[x];
    }
    let norm = 0;
    for (let x = 0; x < n; x++) norm += qi[x] * qi[x];
    norm = Math.sqrt(norm) || 1;
    for (let x = 0; x < n; x++) qi[x] /= norm;
  }
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (tall ? q[c * n + r] : q[r * n + c]);
  }
  return out;
}

/**
 * The deployed form of an MLP from its weight arrays in `Mlp.variables()` order ([ln gamma, ln beta,]
 * w0, b0, w1, b1, ...). Plain arrays only, so checkpoints export without tfjs.
 */
export function policyNetFromWeights(sizes: readonly number[], layerNorm: boolean, weights: readonly Float32Array[]): PolicyNet {
  const layers: Layer[] = [];
  let k = 0;
  if (layerNorm) {
    layers.push({ kind: 'layernorm', size: sizes[0], epsilon: LAYER_NORM_EPSILON, gamma: Float32Array.from(weights[k++]), beta: Float32Array.from(weights[k++]) });
  }
  const last = sizes.length - 2;
  for (let l = 0; l <= last; l++) {
    layers.push({
      kind: 'dense',
      inputSize: sizes[l],
      outputSize: sizes[l + 1],
      activation: l < last ? 'relu' : 'linear',
      weight: Float32Array.from(weights[k++]),
      bias: Float32Array.from(weights[k++]),
    });
  }
  if (k !== weights.length) throw new Error(`policyNetFromWeights: ${weights.length} arrays for sizes [${sizes.join(', ')}], expected ${k}`);
  return { inputSize: sizes[0], layers };
}
