import { layerNormFlops, mlpFlops } from '../../shared/flops.ts';

/** One student net sized for a FLOPs budget. */
export type SizedStudent = { hidden: number[]; layerNorm: boolean; flops: number };

/** The input LayerNorm is kept while it costs at most this share of the budget. */
export const MAX_LAYER_NORM_SHARE = 0.1;

/** Rule 1 below: whether the input LayerNorm is worth its fixed cost at this budget. */
export function layerNormFits(observationSize: number, budget: number): boolean {
  return layerNormFlops(observationSize) <= MAX_LAYER_NORM_SHARE * budget;
}

/**
 * The student for a FLOPs budget, on a fixed view (`observationSize` inputs, `actionCount` logits):
 *
 * 1. The input LayerNorm (7 FLOPs per input) is kept while it costs at most 10% of the budget. It
 *    is a fixed cost that does not grow with the net, so at 100x and beyond it would take a quarter
 *    or more of what the hidden layers could use.
 * 2. `depth` hidden layers (the profile's depth) of one width, the widest that fits, as long as
 *    that width is at least the action count; below it, one hidden layer, the widest that fits.
 *    Depth is worth its FLOPs down to small widths: on spread at 100x, 2 x 7 kept 85.0% of the
 *    teacher's return after 198k env steps where 1 x 9 kept 74.7% after 250k (seed 1, list 4242).
 *    A hidden layer narrower than the logits caps their rank whatever the depth, so there a second
 *    layer only spends FLOPs.
 *
 * `layerNorm` overrides rule 1 (one team shares one setting). Throws when not even one hidden unit fits.
 */
export function sizeForBudget(observationSize: number, actionCount: number, budget: number, depth: number, layerNorm = layerNormFits(observationSize, budget)): SizedStudent {
  const flopsOf = (hidden: number[]) => mlpFlops([observationSize, ...hidden, actionCount], layerNorm);
  const widest = (layers: number): number => {
    let width = 0;
    while (flopsOf(Array.from({ length: layers }, () => width + 1)) <= budget) width++;
    return width;
  };
  for (let layers = Math.max(1, depth); layers >= 1; layers--) {
    const width = widest(layers);
    if (width >= actionCount || (layers === 1 && width >= 1)) {
      const hidden = Array.from({ length: layers }, () => width);
      return { hidden, layerNorm, flops: flopsOf(hidden) };
    }
  }
  throw new Error(`no student fits ${Math.floor(budget)} FLOPs per decision with ${observationSize} inputs and ${actionCount} actions (one hidden unit needs ${flopsOf([1])})`);
}
