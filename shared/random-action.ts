/**
 * A uniformly random allowed action: the k-th allowed index for k = floor(u * allowed). `u` is a
 * uniform number in [0, 1); an all-zero mask gives 0. `kdmarl rollout` and the random baseline
 * (agent processes included) draw with it, so both pick the same actions from the same numbers.
 */
export function randomAllowedAction(mask: ArrayLike<number>, u: number): number {
  let allowed = 0;
  for (let a = 0; a < mask.length; a++) allowed += mask[a];
  if (allowed === 0) return 0;
  let k = Math.min(allowed - 1, Math.floor(u * allowed));
  for (let a = 0; a < mask.length; a++) {
    if (mask[a] !== 1) continue;
    if (k-- === 0) return a;
  }
  return 0;
}
