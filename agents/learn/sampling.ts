/**
 * Masked categorical over logits rows, in plain arrays: the rollout samples with it and the
 * loss uses the same masking (masked logits get -1e9, i.e. probability 0).
 */
export const MASKED_LOGIT = -1e9;

/**
 * Sample row `row` of `logits` (width `n`) under `mask` with uniform `u`; writes the log-probability
 * of the chosen action to `logp[outIndex]`. A row with no allowed action returns 0 (logp 0).
 */
export function sampleMasked(logits: Float32Array, mask: Uint8Array, row: number, n: number, u: number, logp: Float32Array, outIndex: number): number {
  const base = row * n;
  let max = Number.NEGATIVE_INFINITY;
  for (let a = 0; a < n; a++) if (mask[base + a] === 1 && logits[base + a] > max) max = logits[base + a];
  if (max === Number.NEGATIVE_INFINITY) {
    logp[outIndex] = 0;
    return 0;
  }
  let sum = 0;
  for (let a = 0; a < n; a++) if (mask[base + a] === 1) sum += Math.exp(logits[base + a] - max);
  let target = u * sum;
  let chosen = -1;
  for (let a = 0; a < n; a++) {
    if (mask[base + a] !== 1) continue;
    chosen = a;
    target -= Math.exp(logits[base + a] - max);
    if (target < 0) break;
  }
  logp[outIndex] = logits[base + chosen] - max - Math.log(sum);
  return chosen;
}

/** log softmax of `action` over the allowed actions of row `row` (0 when nothing is allowed), as sampleMasked writes it. */
export function logProbMasked(logits: Float32Array, mask: Uint8Array, row: number, n: number, action: number): number {
  const base = row * n;
  let max = Number.NEGATIVE_INFINITY;
  for (let a = 0; a < n; a++) if (mask[base + a] === 1 && logits[base + a] > max) max = logits[base + a];
  if (max === Number.NEGATIVE_INFINITY) return 0;
  let sum = 0;
  for (let a = 0; a < n; a++) if (mask[base + a] === 1) sum += Math.exp(logits[base + a] - max);
  return logits[base + action] - max - Math.log(sum);
}

/** Highest allowed logit of a row (greedy action); 0 when nothing is allowed. */
export function argmaxMasked(logits: Float32Array, mask: Uint8Array, row: number, n: number): number {
  const base = row * n;
  let best = -1;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let a = 0; a < n; a++) {
    if (mask[base + a] !== 1) continue;
    if (best < 0 || logits[base + a] > bestValue) {
      best = a;
      bestValue = logits[base + a];
    }
  }
  return best < 0 ? 0 : best;
}
