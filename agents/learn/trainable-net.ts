import * as tf from '@tensorflow/tfjs';

/**
 * What every trainable net (MLP, recurrent actor) offers on top of its ordered `variables()`:
 * weight copies for checkpoints, checked loading, parameter count and disposal.
 */
export abstract class TrainableNet {
  /** Trainable variables in a fixed order (the order of `getWeights`). */
  abstract variables(): tf.Variable[];

  /** How errors name this net ('the net', 'the recurrent actor'). */
  protected abstract readonly label: string;

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
