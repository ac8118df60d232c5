import type { Layer, PolicyNet } from './model-format.ts';

/**
 * FLOPs per decision, the one counter used by caps, reports and the viewer (docs/method.md §6):
 * dense in->out = 2*in*out + out, plus one per activation element; LayerNorm = 7 per element
 * (mean, variance, normalise, scale and shift); a GRU step = the method's (docs/method.md §6) 3*(2*in*h + 2*h*h) + about
 * 10*h, counted the dense way (see gruFlops).
 */
export function denseFlops(inputSize: number, outputSize: number, activated: boolean): number {
  return 2 * inputSize * outputSize + outputSize + (activated ? outputSize : 0);
}

export function layerNormFlops(size: number): number {
  return 7 * size;
}

/**
 * One GRU step: the two combined projections as dense layers (2*in*3h + 3h and 2*h*3h + 3h, biases
 * included), then one per element-wise op: r and z (add, sigmoid: 4h), n (r * hn, add, tanh: 3h),
 * h' = (1 - z) * n + z * h (4h). The method's (docs/method.md §6) 3*(2*in*h + 2*h*h) + about 10*h, made exact: + 17h.
 */
export function gruFlops(inputSize: number, hiddenSize: number): number {
  const h = hiddenSize;
  return 2 * inputSize * 3 * h + 3 * h + 2 * h * 3 * h + 3 * h + 11 * h;
}

export function layerFlops(layer: Layer): number {
  if (layer.kind === 'dense') return denseFlops(layer.inputSize, layer.outputSize, layer.activation !== 'linear');
  if (layer.kind === 'gru') return gruFlops(layer.inputSize, layer.hiddenSize);
  return layerNormFlops(layer.size);
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
    if (layer.kind === 'dense') total += layer.weight.length + layer.bias.length;
    else if (layer.kind === 'gru') total += layer.wx.length + layer.wh.length + layer.bx.length + layer.bh.length;
    else total += layer.gamma.length + layer.beta.length;
  }
  return total;
}
