/**
 * Element-wise sum of `values` across the ranks of a data-parallel run, in place: on return every
 * rank holds the same sums, added in rank order so that a run is reproducible. A single-rank run
 * uses `LOCAL_SUM`, which leaves the values as they are.
 *
 * Data-parallel PPO builds on it: a rank scales its gradient of a masked mean by its live-sample
 * count, appends the count, sums, and divides by the summed count, which gives every rank the
 * gradient of the whole batch's mean.
 */
export type AllSum = (values: Float32Array | Float64Array) => void;

export const LOCAL_SUM: AllSum = () => {};
