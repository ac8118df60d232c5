/**
 * Running mean/std of value targets, as MAPPO's ValueNorm: exponential moving averages of the mean
 * and mean square with a debiasing term (beta close to 1 makes it a long-run average). The critic
 * predicts normalised values; `denormalize` maps them back to returns.
 */
export type ValueNormState = { mean: number; meanSq: number; debias: number };

export class ValueNorm {
  readonly beta: number;
  readonly epsilon: number;
  private runningMean = 0;
  private runningMeanSq = 0;
  private debiasingTerm = 0;

  constructor(beta = 0.99999, epsilon = 1e-5) {
    this.beta = beta;
    this.epsilon = epsilon;
  }

  /** Fold in a batch; `mask` (optional) selects the samples that count. */
  update(values: Float32Array, mask?: Uint8Array): void {
    let sum = 0;
    let sumSq = 0;
    let count = 0;
    for (let i = 0; i < values.length; i++) {
      if (mask && mask[i] === 0) continue;
      sum += values[i];
      sumSq += values[i] * values[i];
      count++;
    }
    this.updateFromSums(sum, sumSq, count);
  }

  /**
   * Fold in a batch given by its sum, sum of squares and count (a data-parallel run sums these
   * over its ranks first, so every rank's normaliser moves the same way).
   */
  updateFromSums(sum: number, sumSq: number, count: number): void {
    if (count === 0) return;
    // MAPPO's per-element update: weight = beta ** batch_size, so big batches move it more.
    const weight = Math.pow(this.beta, count);
    this.runningMean = this.runningMean * weight + (sum / count) * (1 - weight);
    this.runningMeanSq = this.runningMeanSq * weight + (sumSq / count) * (1 - weight);
    this.debiasingTerm = this.debiasingTerm * weight + (1 - weight);
  }

  get mean(): number {
    return this.runningMean / Math.max(this.debiasingTerm, this.epsilon);
  }

  get variance(): number {
    const meanSq = this.runningMeanSq / Math.max(this.debiasingTerm, this.epsilon);
    return Math.max(meanSq - this.mean * this.mean, 1e-2);
  }

  normalize(values: Float32Array, out: Float32Array = values): Float32Array {
    const mean = this.mean;
    const std = Math.sqrt(this.variance);
    for (let i = 0; i < values.length; i++) out[i] = (values[i] - mean) / std;
    return out;
  }

  denormalize(values: Float32Array, out: Float32Array = values): Float32Array {
    const mean = this.mean;
    const std = Math.sqrt(this.variance);
    for (let i = 0; i < values.length; i++) out[i] = values[i] * std + mean;
    return out;
  }

  getState(): ValueNormState {
    return { mean: this.runningMean, meanSq: this.runningMeanSq, debias: this.debiasingTerm };
  }

  setState(state: ValueNormState): void {
    for (const [k, v] of Object.entries(state)) {
      if (!Number.isFinite(v)) throw new Error(`value norm state: ${k} is not a finite number`);
    }
    this.runningMean = state.mean;
    this.runningMeanSq = state.meanSq;
    this.debiasingTerm = state.debias;
  }
}

/** The identity, for runs with valueNorm off: same interface, no scaling. */
export class IdentityValueNorm extends ValueNorm {
  override update(): void {}
  override updateFromSums(): void {}
  override normalize(values: Float32Array, out: Float32Array = values): Float32Array {
    if (out !== values) out.set(values);
    return out;
  }
  override denormalize(values: Float32Array, out: Float32Array = values): Float32Array {
    if (out !== values) out.set(values);
    return out;
  }
}
