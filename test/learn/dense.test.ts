import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/learn/backend.ts';
import { dense } from '../../agents/learn/dense.ts';

beforeAll(async () => {
  await initBackend();
});

describe('custom dense gradient', () => {
  it('runs on the wasm backend here (tfjs-node is not installed)', () => {
    expect(['wasm', 'tensorflow']).toContain(tf.getBackend());
  });

  it('matches tf.grads of the stock layer for x, W and b', () => {
    const x = tf.randomNormal([7, 5], 0, 1, 'float32', 1) as tf.Tensor2D;
    const w = tf.randomNormal([5, 3], 0, 1, 'float32', 2) as tf.Tensor2D;
    const b = tf.randomNormal([3], 0, 1, 'float32', 3) as tf.Tensor1D;
    const target = tf.randomNormal([7, 3], 0, 1, 'float32', 4);
    const lossOf = (mode: 'custom' | 'stock') => (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) =>
      tf.sum(tf.mul(tf.relu(dense(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D, mode)), target));
    const stock = tf.grads(lossOf('stock'))([x, w, b]);
    const custom = tf.grads(lossOf('custom'))([x, w, b]);
    // A layer stock from tfjs-layers as the independent reference for the forward value.
    const layer = tf.layers.dense({ units: 3, inputShape: [5] });
    layer.build([null, 5]);
    layer.setWeights([w, b]);
    const ref = layer.apply(x) as tf.Tensor;
    expect(Array.from(dense(x, w, b, 'custom').dataSync())).toEqual(Array.from(ref.dataSync()).map((v) => expect.closeTo(v, 5)));
    for (let i = 0; i < 3; i++) {
      const s = stock[i].dataSync();
      const c = custom[i].dataSync();
      expect(c.length).toBe(s.length);
      for (let j = 0; j < s.length; j++) expect(c[j]).toBeCloseTo(s[j], 4);
    }
    tf.dispose([x, w, b, target, ...stock, ...custom, ref]);
  });
});
