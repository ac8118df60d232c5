import * as tf from '@tensorflow/tfjs';

/**
 * y = x W + b with a hand-written gradient that transposes explicitly. tfjs' stock matMul gradient
 * calls matMul with transpose flags, which on the wasm backend is 11-17x slower than the plain
 * form (PERF-NOTES.md); `tf.transpose` + plain matMul is far cheaper. Shapes: x [n, in],
 * w [in, out], b [out].
 */
const customDense = tf.customGrad((...args: (tf.Tensor | ((tensors: tf.Tensor[]) => void))[]) => {
  const [x, w, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D, (tensors: tf.Tensor[]) => void];
  save([x, w]);
  const value = tf.add(tf.matMul(x, w), b);
  return {
    value,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const grad = dy as tf.Tensor2D;
      const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      const dx = tf.matMul(grad, tf.transpose(sw));
      const dw = tf.matMul(tf.transpose(sx), grad);
      const db = tf.sum(grad, 0);
      return [dx, dw, db];
    },
  };
}) as unknown as (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D;

export type DenseMode = 'custom' | 'stock';

/** The stock form: tfjs' own matMul gradient (transpose flags). Kept to measure against. */
function stockDense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  return tf.add(tf.matMul(x, w), b);
}

export function dense(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D, mode: DenseMode = 'custom'): tf.Tensor2D {
  return mode === 'custom' ? customDense(x, w, b) : stockDense(x, w, b);
}
