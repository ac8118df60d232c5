import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../shared/rng.ts';

/** Shared by every trainable net: MAPPO's orthogonal init and input LayerNorm. */

export const LAYER_NORM_EPSILON = 1e-5;

/**
 * A variable holding `initial`'s values. `tf.variable` keeps its own reference to the data, so
 * the initial tensor is disposed here; left alone it would outlive every net that made one.
 */
export function variableFrom(initial: tf.Tensor, trainable: boolean, name?: string): tf.Variable {
  const variable = tf.variable(initial, trainable, name);
  initial.dispose();
  return variable;
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
