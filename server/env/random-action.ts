/**
 * A uniformly random allowed action: the k-th allowed index for k = floor(u * allowed). `u` is a
 * uniform number in [0, 1); an all-zero mask gives 0. The same draw as the random baseline's
 * (agents/baselines/decision-policy.ts), which keeps its own copy because agent processes load
 * nothing from server/env beyond the simulation types.
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
