import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../shared/rng.ts';
import type { Layer, PolicyNet } from '../../shared/model-format.ts';
import type { DenseMode } from './dense.ts';
import { LAYER_NORM_EPSILON } from './init.ts';
import { TrainableNet } from './trainable-net.ts';

let instances = 0;

/**
 * A trainable MLP on tfjs variables: optional input LayerNorm, ReLU hidden layers, a linear output.
 * Orthogonal init (gain sqrt(2) for hidden layers, `outputGain` for the last: 0.01 for actors,
 * 1 for the critic), zero biases, as MAPPO. Weights are W[in][out] row-major, the layout of the
 * deployed policy format, so export is a copy.
 */
export class Mlp extends TrainableNet {
  protected readonly label = 'the net';

  constructor(sizes: readonly number[], options: { layerNorm: boolean; outputGain: number; rng: Rng; denseMode: DenseMode; name: string }) {
    if (sizes.length < 2) throw new Error(`an MLP needs at least input and output sizes, got [${sizes.join(', ')}]`);
    super(sizes, options, `${options.name}_${instances++}`);
    for (let l = 0; l + 1 < sizes.length; l++) {
      this.addDense(sizes[l], sizes[l + 1], l + 2 === sizes.length ? options.outputGain : Math.SQRT2, options.rng);
    }
  }

  /** Trainable variables in a fixed order (the order of `getWeights`). */
  variables(): tf.Variable[] {
    return this.trunkVariables();
  }

  /** Outputs [n, out]; with `hidden`, the last hidden layer's activations instead. */
  apply(x: tf.Tensor2D, hidden = false): tf.Tensor2D {
    let h = this.normalizeInput(x);
    const last = this.weights.length - 1;
    for (let l = 0; l <= last; l++) {
      h = this.denseLayer(h, l);
      if (l < last) h = tf.relu(h);
      if (hidden && l === last - 1) return h;
    }
    return h;
  }


  /** The deployed (typed-array runtime) form of this net. */
  toPolicyNet(): PolicyNet {
    return policyNetFromWeights(this.sizes, this.layerNorm, this.getWeights());
  }

}

/**
 * The deployed form of an MLP from its weight arrays in `Mlp.variables()` order ([ln gamma, ln beta,]
 * w0, b0, w1, b1, ...). Plain arrays only, so checkpoints export without tfjs.
 */
export function policyNetFromWeights(sizes: readonly number[], layerNorm: boolean, weights: readonly Float32Array[]): PolicyNet {
  const layers: Layer[] = [];
  let k = 0;
  if (layerNorm) {
    layers.push({ kind: 'layernorm', size: sizes[0], epsilon: LAYER_NORM_EPSILON, gamma: Float32Array.from(weights[k++]), beta: Float32Array.from(weights[k++]) });
  }
  const last = sizes.length - 2;
  for (let l = 0; l <= last; l++) {
    layers.push({
      kind: 'dense',
      inputSize: sizes[l],
      outputSize: sizes[l + 1],
      activation: l < last ? 'relu' : 'linear',
      weight: Float32Array.from(weights[k++]),
      bias: Float32Array.from(weights[k++]),
    });
  }
  if (k !== weights.length) throw new Error(`policyNetFromWeights: ${weights.length} arrays for sizes [${sizes.join(', ')}], expected ${k}`);
  return { inputSize: sizes[0], layers };
}
