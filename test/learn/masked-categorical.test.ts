import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/learn/backend.ts';
import { maskedLogProbAndEntropy } from '../../agents/learn/ppo.ts';
import { MASKED_LOGIT, argmaxMasked, sampleMasked } from '../../agents/learn/sampling.ts';
import { Rng } from '../../shared/rng.ts';

beforeAll(async () => {
  await initBackend();
});

describe('masked categorical', () => {
  const logits = Float32Array.from([2, 1, 0, 3, /* row 2 */ 0, 0, 0, 0]);
  const mask = Uint8Array.from([1, 1, 1, 0, /* row 2 */ 0, 1, 0, 1]);

  it('never samples a masked action and matches softmax frequencies over the allowed ones', () => {
    const rng = new Rng(11);
    const logp = new Float32Array(1);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 20000; i++) counts[sampleMasked(logits, mask, 0, 4, rng.uniform(), logp, 0)]++;
    expect(counts[3]).toBe(0);
    const z = Math.exp(2) + Math.exp(1) + 1;
    expect(counts[0] / 20000).toBeCloseTo(Math.exp(2) / z, 1);
    expect(counts[2] / 20000).toBeCloseTo(1 / z, 1);
    sampleMasked(logits, mask, 0, 4, 0, logp, 0);
    expect(logp[0]).toBeCloseTo(2 - Math.log(z), 5);
    expect(argmaxMasked(logits, mask, 0, 4)).toBe(0); // 3 is higher but masked
    expect(argmaxMasked(logits, mask, 1, 4)).toBe(1);
  });

  it('gives tfjs log-probs and entropy over allowed actions only, with finite gradients', () => {
    const maskAdd = Float32Array.from(mask, (m) => (m ? 0 : MASKED_LOGIT));
    const actions = tf.tensor2d([1, 0, 0, 0, 0, 0, 0, 1], [2, 4]);
    const logitsT = tf.tensor2d(logits, [2, 4]);
    const { logp, entropy } = maskedLogProbAndEntropy(logitsT, tf.tensor2d(maskAdd, [2, 4]), actions);
    const z = Math.exp(2) + Math.exp(1) + 1;
    const p = [Math.exp(2) / z, Math.exp(1) / z, 1 / z];
    expect(logp.dataSync()[0]).toBeCloseTo(Math.log(p[0]), 5);
    expect(logp.dataSync()[1]).toBeCloseTo(Math.log(0.5), 5);
    expect(entropy.dataSync()[0]).toBeCloseTo(-p.reduce((s, q) => s + q * Math.log(q), 0), 5);
    expect(entropy.dataSync()[1]).toBeCloseTo(Math.log(2), 5);
    const grad = tf.grad((x: tf.Tensor) => {
      const r = maskedLogProbAndEntropy(x as tf.Tensor2D, tf.tensor2d(maskAdd, [2, 4]), actions);
      return tf.add(tf.sum(r.logp), tf.sum(r.entropy));
    })(logitsT);
    const g = grad.dataSync();
    expect(Array.from(g).every(Number.isFinite)).toBe(true);
    expect(g[3]).toBeCloseTo(0, 6); // masked action gets no gradient
    tf.dispose([actions, logitsT, logp, entropy, grad]);
  });
});
