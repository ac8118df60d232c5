import type { Layer, PolicyNet } from './model-format.ts';

/**
 * FLOPs per decision, the one counter used by caps, reports and the viewer (METHOD.md):
 * dense in->out = 2*in*out + out, plus one per activation element; LayerNorm = 7 per element
 * (mean, variance, normalise, scale and shift). (METHOD.md's GRU count, 3*(2*in*h + 2*h*h) + 10*h,
 * belongs here once recurrent policies exist.)
 */
export function denseFlops(inputSize: number, outputSize: number, activated: boolean): number {
  return 2 * inputSize * outputSize + outputSize + (activated ? outputSize : 0);
}

export function layerNormFlops(size: number): number {
  return 7 * size;
}

export function layerFlops(layer: Layer): number {
  return layer.kind === 'dense'
    ? denseFlops(layer.inputSize, layer.outputSize, layer.activation !== 'linear')
    : layerNormFlops(layer.size);
}

export function netFlops(net: PolicyNet): number {
  let total = 0;
  for (const layer of net.layers) total += layerFlops(layer);
  return total;
}

/** FLOPs of an MLP given by its sizes [in, h1, ..., out], hidden layers activated, output linear. */
export function mlpFlops(sizes: readonly number[], inputLayerNorm = false): number {
  let total = inputLayerNorm ? layerNormFlops(sizes[0]) : 0;
  for (let i = 0; i + 1 < sizes.length; i++) total += denseFlops(sizes[i], sizes[i + 1], i + 2 < sizes.length);
  return total;
}

export function netParams(net: PolicyNet): number {
  let total = 0;
  for (const layer of net.layers) {
    total += layer.kind === 'dense' ? layer.weight.length + layer.bias.length : layer.gamma.length + layer.beta.length;
  }
  return total;
}
