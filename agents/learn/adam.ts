import * as tf from '@tensorflow/tfjs';
import { variableFrom } from './init.ts';
import { LOCAL_SUM, type AllSum } from './all-sum.ts';

export type AdamState = { step: number; m: Float32Array[]; v: Float32Array[] };

/** A data-parallel step (see `Adam.minimize`): this rank's live-sample count and what to sum across ranks. */
export type GradientReduce = { allSum: AllSum; count: number; diagnostics?: () => number[] };

/**
 * Adam over an explicit list of variables, with global-norm gradient clipping. Written out (not
 * tf.train.adam) so its state is plain arrays in the variables' order: checkpoints save and
 * restore it exactly, independent of tfjs' global variable names.
 */
export class Adam {
  readonly vars: tf.Variable[];
  /** Mutable so a schedule (linearDecay) can set it before each update. */
  lr: number;
  readonly eps: number;
  readonly beta1 = 0.9;
  readonly beta2 = 0.999;
  private step = 0;
  private readonly m: tf.Variable[];
  private readonly v: tf.Variable[];

  constructor(vars: tf.Variable[], lr: number, eps: number) {
    this.vars = vars;
    this.lr = lr;
    this.eps = eps;
    this.m = vars.map((x) => variableFrom(tf.zerosLike(x), false));
    this.v = vars.map((x) => variableFrom(tf.zerosLike(x), false));
  }

  /**
   * Compute gradients of `loss` (a scalar function of the variables), clip their global norm to
   * `maxNorm`, apply. Returns the loss value and the pre-clip gradient norm. Disposes everything
   * it creates.
   *
   * With `reduce` the step is data-parallel: `loss` is this rank's masked mean over its `count`
   * live samples; the gradient, the loss and `reduce.diagnostics()` (more masked means, read after
   * `loss` ran) are scaled by `count`, summed over the ranks and divided by the summed count, so
   * every rank applies the gradient of the whole batch's mean and returns the batch's diagnostics.
   */
  minimize(loss: () => tf.Scalar, maxNorm: number, reduce?: GradientReduce): { loss: number; gradNorm: number; diagnostics: number[] } {
    const { value, grads } = tf.variableGrads(loss, this.vars);
    const list = this.vars.map((x) => grads[x.name]);
    if (reduce && reduce.allSum !== LOCAL_SUM) {
      const lossValue = value.dataSync()[0];
      value.dispose();
      const reduced = this.reduceGradients(list, lossValue, reduce);
      tf.dispose(list);
      try {
        this.apply(reduced.grads, reduced.gradNorm, maxNorm);
      } finally {
        tf.dispose(reduced.grads);
      }
      return { loss: reduced.loss, gradNorm: reduced.gradNorm, diagnostics: reduced.diagnostics };
    }
    const normTensor = tf.tidy(() => tf.sqrt(tf.addN(list.map((g) => tf.sum(tf.square(g))))));
    const gradNorm = normTensor.dataSync()[0];
    normTensor.dispose();
    this.apply(list, gradNorm, maxNorm);
    const lossValue = value.dataSync()[0];
    value.dispose();
    tf.dispose(list);
    return { loss: lossValue, gradNorm, diagnostics: reduce?.diagnostics?.() ?? [] };
  }

  /** Gradients (and loss, diagnostics) summed over the ranks as `minimize` describes, as new tensors. */
  private reduceGradients(list: tf.Tensor[], lossValue: number, reduce: GradientReduce): { grads: tf.Tensor[]; gradNorm: number; loss: number; diagnostics: number[] } {
    const diagnostics = reduce.diagnostics?.() ?? [];
    const size = list.reduce((n, g) => n + g.size, 0);
    const flat = new Float32Array(size + 2 + diagnostics.length);
    let at = 0;
    for (const g of list) {
      const data = g.dataSync();
      for (let i = 0; i < data.length; i++) flat[at + i] = data[i] * reduce.count;
      at += data.length;
    }
    flat[size] = reduce.count;
    flat[size + 1] = lossValue * reduce.count;
    diagnostics.forEach((d, i) => (flat[size + 2 + i] = d * reduce.count));
    reduce.allSum(flat);
    const total = Math.max(flat[size], 1);
    let squares = 0;
    for (let i = 0; i < size; i++) {
      flat[i] /= total;
      squares += flat[i] * flat[i];
    }
    at = 0;
    const grads = list.map((g) => {
      const t = tf.tensor(flat.subarray(at, at + g.size), g.shape);
      at += g.size;
      return t;
    });
    return { grads, gradNorm: Math.sqrt(squares), loss: flat[size + 1] / total, diagnostics: diagnostics.map((_, i) => flat[size + 2 + i] / total) };
  }

  /** One Adam step with `grads` clipped to a global norm of `maxNorm` (their norm is `gradNorm`). */
  private apply(grads: tf.Tensor[], gradNorm: number, maxNorm: number): void {
    const scale = Number.isFinite(gradNorm) && gradNorm > maxNorm ? maxNorm / (gradNorm + 1e-6) : 1;
    this.step++;
    const correction1 = 1 - Math.pow(this.beta1, this.step);
    const correction2 = 1 - Math.pow(this.beta2, this.step);
    const stepSize = (this.lr * Math.sqrt(correction2)) / correction1;
    tf.tidy(() => {
      grads.forEach((g0, i) => {
        const g = scale === 1 ? g0 : tf.mul(g0, scale);
        const m = tf.add(tf.mul(this.m[i], this.beta1), tf.mul(g, 1 - this.beta1));
        const v = tf.add(tf.mul(this.v[i], this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        this.m[i].assign(m);
        this.v[i].assign(v);
        const eps = this.eps * Math.sqrt(correction2);
        this.vars[i].assign(tf.sub(this.vars[i], tf.mul(tf.div(m, tf.add(tf.sqrt(v), eps)), stepSize)));
      });
    });
  }

  getState(): AdamState {
    return {
      step: this.step,
      m: this.m.map((x) => Float32Array.from(x.dataSync())),
      v: this.v.map((x) => Float32Array.from(x.dataSync())),
    };
  }

  setState(state: AdamState, where: string): void {
    if (state.m.length !== this.m.length || state.v.length !== this.v.length) {
      throw new Error(`${where}: optimizer state has ${state.m.length} moment arrays, the net has ${this.m.length}`);
    }
    state.m.forEach((a, i) => {
      if (a.length !== this.m[i].size || state.v[i].length !== this.v[i].size) throw new Error(`${where}: optimizer moment ${i} has the wrong size`);
      this.m[i].assign(tf.tensor(a, this.m[i].shape));
      this.v[i].assign(tf.tensor(state.v[i], this.v[i].shape));
    });
    this.step = state.step;
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}

/**
 * CleanRL's `anneal_lr`: the learning rate falls linearly from `lr` at the first update to
 * `lr / updates` at the last, so the final updates polish rather than jump.
 */
export function linearDecay(lr: number, update: number, updates: number): number {
  return lr * (1 - Math.min(update, updates - 1) / updates);
}
