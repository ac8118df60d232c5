import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam } from '../../agents/learn/adam.ts';
import { LOCAL_SUM } from '../../agents/learn/all-sum.ts';
import { initBackend } from '../../agents/learn/backend.ts';
import { allocateAllSum, SharedAllSum } from '../../agents/learn/parallel/shared-all-sum.ts';

/** Adam steps on a small least-squares problem; `reduce` says how the gradient is summed. */
function train(sum: 'none' | 'local' | 'shared'): { weights: number[]; diagnostics: number[][] } {
  const w = tf.variable(tf.tensor2d([0.5, -0.25, 0.1, 0.3, -0.7, 0.2], [3, 2]));
  const x = tf.tensor2d([1, 2, 3, -1, 0.5, 2, 0, 1, -2, 1, 1, 1], [4, 3]);
  const y = tf.tensor2d([1, 0, 0, 1, 1, 1, 0.5, -0.5], [4, 2]);
  const adam = new Adam([w], 0.05, 1e-5);
  const shared = new SharedAllSum(allocateAllSum(1, 64), 0);
  const diagnostics: number[][] = [];
  for (let step = 0; step < 5; step++) {
    let extra = 0;
    const loss = () => {
      const l = tf.mean(tf.square(tf.sub(tf.matMul(x, w), y))) as tf.Scalar;
      extra = l.dataSync()[0] * 2;
      return l;
    };
    const reduce = sum === 'none' ? undefined : { allSum: sum === 'local' ? LOCAL_SUM : shared.sum, count: 4, diagnostics: () => [extra] };
    const out = adam.minimize(loss, 1, reduce);
    diagnostics.push([out.loss, out.gradNorm, ...out.diagnostics]);
  }
  const weights = Array.from(w.dataSync());
  tf.dispose([w, x, y]);
  adam.dispose();
  return { weights, diagnostics };
}

describe('Adam.minimize with an AllSum', () => {
  beforeAll(async () => {
    await initBackend('cpu');
  });

  it('with LOCAL_SUM steps exactly as without one', () => {
    const plain = train('none');
    const local = train('local');
    expect(local.weights).toEqual(plain.weights);
    expect(local.diagnostics.map((d) => d.slice(0, 2))).toEqual(plain.diagnostics);
  });

  it('through one rank of the shared all-sum (count-scaled, summed, divided) steps as the local one, to float precision', () => {
    const local = train('local');
    const shared = train('shared');
    shared.weights.forEach((v, i) => expect(v).toBeCloseTo(local.weights[i], 5));
    shared.diagnostics.forEach((d, s) => d.forEach((v, i) => expect(v).toBeCloseTo(local.diagnostics[s][i], 4)));
  });
});
