import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../shared/rng.ts';
import { dense, type DenseMode } from './dense.ts';
import { inputLayerNorm, orthogonal, variableFrom } from './init.ts';

/**
 * What every trainable net (MLP, recurrent actor) is built on: sizes [in, ..., out], an optional
 * input LayerNorm and a stack of dense layers (MAPPO's orthogonal init, zero biases), plus weight
 * copies for checkpoints, checked loading, parameter count and disposal. Subclasses add their
 * layers with `addDense` and list extra variables after `trunkVariables()`.
 */
export abstract class TrainableNet {
  readonly sizes: readonly number[];
  readonly layerNorm: boolean;
  readonly denseMode: DenseMode;
  readonly lnGamma: tf.Variable | null;
  readonly lnBeta: tf.Variable | null;
  readonly weights: tf.Variable[] = [];
  readonly biases: tf.Variable[] = [];
  /** Prefix of the variable names, unique per net. */
  protected readonly id: string;

  protected constructor(sizes: readonly number[], options: { layerNorm: boolean; denseMode: DenseMode }, id: string) {
    this.sizes = [...sizes];
    this.layerNorm = options.layerNorm;
    this.denseMode = options.denseMode;
    this.id = id;
    this.lnGamma = options.layerNorm ? variableFrom(tf.ones([sizes[0]]), true, `${id}/ln_gamma`) : null;
    this.lnBeta = options.layerNorm ? variableFrom(tf.zeros([sizes[0]]), true, `${id}/ln_beta`) : null;
  }

  get inputSize(): number {
    return this.sizes[0];
  }

  get outputSize(): number {
    return this.sizes[this.sizes.length - 1];
  }

  /** Trainable variables in a fixed order (the order of `getWeights`). */
  abstract variables(): tf.Variable[];

  /** How errors name this net ('the net', 'the recurrent actor'). */
  protected abstract readonly label: string;

  /** Append dense layer `weights.length`: in -> out, orthogonal with `gain`, zero bias. */
  protected addDense(inputSize: number, outputSize: number, gain: number, rng: Rng): void {
    const l = this.weights.length;
    this.weights.push(variableFrom(tf.tensor2d(orthogonal(inputSize, outputSize, gain, rng), [inputSize, outputSize]), true, `${this.id}/w${l}`));
    this.biases.push(variableFrom(tf.zeros([outputSize]), true, `${this.id}/b${l}`));
  }

  /** [ln gamma, ln beta,] w0, b0, w1, b1, ... */
  protected trunkVariables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    if (this.lnGamma && this.lnBeta) out.push(this.lnGamma, this.lnBeta);
    for (let l = 0; l < this.weights.length; l++) out.push(this.weights[l], this.biases[l]);
    return out;
  }

  /** The input LayerNorm (identity without one). */
  protected normalizeInput(x: tf.Tensor2D): tf.Tensor2D {
    return this.lnGamma && this.lnBeta ? inputLayerNorm(x, this.lnGamma, this.lnBeta) : x;
  }

  /** Dense layer `l` applied to `h`. */
  protected denseLayer(h: tf.Tensor2D, l: number): tf.Tensor2D {
    return dense(h, this.weights[l] as tf.Tensor2D, this.biases[l] as tf.Tensor1D, this.denseMode);
  }

  /** Copies of the variable values, in `variables()` order. */
  getWeights(): Float32Array[] {
    return this.variables().map((v) => Float32Array.from(v.dataSync() as Float32Array));
  }

  setWeights(values: readonly Float32Array[], where: string): void {
    assignVariables(this.variables(), values, where, this.label);
  }

  paramCount(): number {
    return this.variables().reduce((n, v) => n + v.size, 0);
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

/** Load checked values into variables (same count, sizes, finite), naming what is wrong and where. */
export function assignVariables(vars: readonly tf.Variable[], values: readonly Float32Array[], where: string, owner: string): void {
  if (values.length !== vars.length) throw new Error(`${where}: ${values.length} weight arrays, ${owner} has ${vars.length}`);
  vars.forEach((v, i) => {
    if (values[i].length !== v.size) throw new Error(`${where}: weight ${i} (${v.name}) has ${values[i].length} values, expected ${v.size} (shape ${v.shape.join('x')})`);
    if (!values[i].every(Number.isFinite)) throw new Error(`${where}: weight ${i} (${v.name}) has non-finite values`);
    v.assign(tf.tensor(values[i], v.shape));
  });
}
