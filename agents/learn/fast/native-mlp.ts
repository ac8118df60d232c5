import type { AdamState } from '../adam.ts';
import type { NativeKernels } from './native.ts';

const BETA1 = 0.9;
const BETA2 = 0.999;

/** Element counts of an MLP's variables in `Mlp.variables()` order: [ln gamma, ln beta,] w0, b0, w1, b1, ... */
function variableSizes(sizes: readonly number[], layerNorm: boolean): number[] {
  const shapes: number[] = layerNorm ? [sizes[0], sizes[0]] : [];
  for (let l = 0; l + 1 < sizes.length; l++) shapes.push(sizes[l] * sizes[l + 1], sizes[l + 1]);
  return shapes;
}

/** Parameters of an MLP of these layer sizes: what its gradient array holds before the extra slots. */
export function mlpParameterCount(sizes: readonly number[], layerNorm: boolean): number {
  return variableSizes(sizes, layerNorm).reduce((a, b) => a + b, 0);
}

/**
 * One MLP of the fast learner: parameters, gradients and Adam moments each in one flat Float32Array,
 * in `Mlp.variables()` order ([ln gamma, ln beta,] w0, b0, w1, b1, ... with w row-major [in][out]),
 * so weights and Adam state convert to and from ActorCritic's per-variable arrays by slicing.
 * The gradient array has `extra` slots after the parameters' gradients, for the live count and the
 * loss sums that travel with them through one all-sum; it may be a view of a larger array (`grads`)
 * so that several nets' gradients are all-summed together.
 */
export class NativeMlp {
  readonly sizes: Int32Array;
  readonly layerNorm: number;
  readonly params: Float32Array;
  readonly grads: Float32Array;
  readonly count: number;
  /** [offset, length] of each variable in the flat arrays. */
  readonly variables: readonly (readonly [number, number])[];
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  private step = 0;
  private readonly k: NativeKernels;
  private workspace = new Float32Array(0);
  private scratch = new Float32Array(0);
  private rows = 0;

  constructor(kernels: NativeKernels, sizes: readonly number[], layerNorm: boolean, weights: readonly Float32Array[], extra: number, where: string, grads?: Float32Array) {
    this.k = kernels;
    this.sizes = Int32Array.from(sizes);
    this.layerNorm = layerNorm ? 1 : 0;
    let at = 0;
    this.variables = variableSizes(sizes, layerNorm).map((n) => [(at += n) - n, n] as const);
    this.count = at;
    if (kernels.sizes(this.sizes, this.layerNorm, 1)[0] !== at) throw new Error(`${where}: native parameter layout disagrees with the net's (${at} parameters)`);
    if (grads && grads.length !== at + extra) throw new Error(`${where}: gradient view of ${grads.length} values, the net needs ${at + extra}`);
    this.params = new Float32Array(at);
    this.grads = grads ?? new Float32Array(at + extra);
    this.m = new Float32Array(at);
    this.v = new Float32Array(at);
    this.setWeights(weights, where);
  }

  get inputSize(): number {
    return this.sizes[0];
  }

  get outputSize(): number {
    return this.sizes[this.sizes.length - 1];
  }

  /** Outputs [rows, out] of `x`; a view into the workspace, valid until the next forward. */
  forward(x: Float32Array, rows: number): Float32Array {
    const [, work, scratch] = this.k.sizes(this.sizes, this.layerNorm, rows);
    if (this.workspace.length < work) this.workspace = new Float32Array(work);
    if (this.scratch.length < scratch) this.scratch = new Float32Array(scratch);
    this.k.forward(this.sizes, this.layerNorm, this.params, x, rows, this.workspace);
    this.rows = rows;
    return this.workspace.subarray(work - rows * this.outputSize, work);
  }

  /** Gradients of sum(dOut * output) of the last forward (same `x`) into `grads`; dOut is clobbered. */
  backward(x: Float32Array, dOut: Float32Array): void {
    this.k.backward(this.sizes, this.layerNorm, this.params, this.grads, x, this.rows, this.workspace, dOut, this.scratch);
  }

  /**
   * adam.ts's step on gradients held as sums over `count` live samples: the mean's global norm
   * (returned, before clipping) clipped to `maxNorm`, then Adam with its bias corrections.
   */
  applyGradients(count: number, lr: number, eps: number, maxNorm: number): number {
    const n = Math.max(count, 1);
    const norm = Math.sqrt(this.k.sumSquares(this.grads, this.count)) / n;
    const clip = Number.isFinite(norm) && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1;
    this.step++;
    const correction1 = 1 - Math.pow(BETA1, this.step);
    const correction2 = 1 - Math.pow(BETA2, this.step);
    this.k.adam(this.params, this.grads, this.m, this.v, this.count, clip / n, BETA1, BETA2, (lr * Math.sqrt(correction2)) / correction1, eps * Math.sqrt(correction2));
    return norm;
  }

  getWeights(): Float32Array[] {
    return this.variables.map(([at, n]) => this.params.slice(at, at + n));
  }

  setWeights(values: readonly Float32Array[], where: string): void {
    this.load(this.params, values, where, 'weight');
  }

  getAdamState(): AdamState {
    return { step: this.step, m: this.variables.map(([at, n]) => this.m.slice(at, at + n)), v: this.variables.map(([at, n]) => this.v.slice(at, at + n)) };
  }

  setAdamState(state: AdamState, where: string): void {
    if (state.m.length !== this.variables.length || state.v.length !== this.variables.length) {
      throw new Error(`${where}: optimizer state has ${state.m.length} moment arrays, the net has ${this.variables.length}`);
    }
    this.load(this.m, state.m, where, 'optimizer moment');
    this.load(this.v, state.v, where, 'optimizer moment');
    this.step = state.step;
  }

  private load(into: Float32Array, values: readonly Float32Array[], where: string, what: string): void {
    if (values.length !== this.variables.length) throw new Error(`${where}: ${values.length} ${what} arrays, the net has ${this.variables.length}`);
    values.forEach((a, i) => {
      const [at, n] = this.variables[i];
      if (a.length !== n) throw new Error(`${where}: ${what} ${i} has ${a.length} values, expected ${n}`);
      if (!a.every(Number.isFinite)) throw new Error(`${where}: ${what} ${i} has non-finite values`);
    });
    values.forEach((a, i) => into.set(a, this.variables[i][0]));
  }
}
