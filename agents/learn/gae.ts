/**
 * Generalised advantage estimation over a time-major batch of independent columns (one column
 * per env x agent). Reused by teacher-guided GAE in distillation (there `values` come from the
 * frozen teacher critic).
 *
 * At step t of column n:
 *   delta_t = r_t + gamma * nextValues_t * (1 - terminated_t) - values_t
 *   A_t     = delta_t + gamma * lambda * (1 - episodeEnd_t) * A_{t+1}
 * `nextValues_t` is V of the state after step t: the next step's value inside an episode, the
 * value of the final state when the episode was truncated at t (bootstrap on truncation only), and
 * anything when it terminated (multiplied by 0). `episodeEnd_t` is 1 when t ended the episode
 * (terminated or truncated): the advantage sum is cut there.
 */
export type GaeInput = {
  steps: number;
  columns: number;
  rewards: Float32Array;
  values: Float32Array;
  nextValues: Float32Array;
  terminated: Uint8Array;
  episodeEnd: Uint8Array;
  gamma: number;
  lambda: number;
};

export function computeGae(input: GaeInput, advantages: Float32Array, returns: Float32Array): void {
  const { steps, columns, rewards, values, nextValues, terminated, episodeEnd, gamma, lambda } = input;
  const size = steps * columns;
  for (const [name, array] of [['rewards', rewards], ['values', values], ['nextValues', nextValues], ['terminated', terminated], ['episodeEnd', episodeEnd], ['advantages', advantages], ['returns', returns]] as const) {
    if (array.length !== size) throw new Error(`computeGae: ${name} has ${array.length} values, expected steps x columns = ${size}`);
  }
  for (let n = 0; n < columns; n++) {
    let next = 0;
    for (let t = steps - 1; t >= 0; t--) {
      const i = t * columns + n;
      const delta = rewards[i] + gamma * nextValues[i] * (1 - terminated[i]) - values[i];
      next = delta + gamma * lambda * (1 - episodeEnd[i]) * next;
      advantages[i] = next;
      returns[i] = next + values[i];
    }
  }
}
