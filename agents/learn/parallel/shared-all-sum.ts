import type { AllSum } from '../all-sum.ts';

/** Control words of the barrier: arrivals in the current round, the round, and who aborted (rank + 1). */
const ARRIVED = 0;
const ROUND = 1;
const ABORTED = 2;
/** How often a rank blocked at the barrier looks at the abort word (it is also woken on abort). */
const WAIT_SLICE_MS = 1000;

/** The shared memory of one run's AllSum: made by rank 0, sent to every worker. */
export type SharedAllSumMemory = { control: SharedArrayBuffer; data: SharedArrayBuffer; ranks: number; capacity: number };

export function allocateAllSum(ranks: number, capacity: number): SharedAllSumMemory {
  return {
    control: new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT),
    // Two sets of per-rank slots, used in turn: one barrier per sum suffices (see SharedAllSum.sum).
    data: new SharedArrayBuffer(2 * ranks * capacity * Float64Array.BYTES_PER_ELEMENT),
    ranks,
    capacity,
  };
}

/** Thrown at the barrier when another rank (or this one's owner) stopped the run. */
export class RanksAborted extends Error {
  readonly byRank: number;
  constructor(byRank: number) {
    super(`rank ${byRank} stopped the run`);
    this.byRank = byRank;
  }
}

/**
 * An AllSum over SharedArrayBuffers for the ranks (threads) of one process: each rank writes its
 * values to its slot, all meet at an Atomics wait/notify barrier, then each adds the slots up in
 * rank order in float64 (so every rank gets the same, reproducible sums). Slots alternate between
 * two sets, so a rank that runs ahead into the next sum cannot overwrite values still being read.
 */
export class SharedAllSum {
  readonly rank: number;
  readonly ranks: number;
  readonly capacity: number;
  /** Seconds spent waiting at the barrier since the last `takeWaitSeconds`. */
  private waited = 0;
  private calls = 0;
  private readonly control: Int32Array;
  private readonly data: Float64Array;
  private readonly acc: Float64Array;

  constructor(memory: SharedAllSumMemory, rank: number) {
    this.rank = rank;
    this.ranks = memory.ranks;
    this.capacity = memory.capacity;
    this.control = new Int32Array(memory.control);
    this.data = new Float64Array(memory.data);
    this.acc = new Float64Array(memory.capacity);
  }

  readonly sum: AllSum = (values) => {
    const n = values.length;
    if (n > this.capacity) throw new Error(`all-sum of ${n} values: the shared buffer holds ${this.capacity}`);
    const set = (this.calls++ & 1) * this.ranks;
    this.data.set(values, (set + this.rank) * this.capacity);
    this.barrier();
    const acc = this.acc;
    acc.set(this.data.subarray(set * this.capacity, set * this.capacity + n));
    for (let r = 1; r < this.ranks; r++) {
      const base = (set + r) * this.capacity;
      for (let i = 0; i < n; i++) acc[i] += this.data[base + i];
    }
    for (let i = 0; i < n; i++) values[i] = acc[i];
  };

  /**
   * Every rank waits here until all have arrived; throws RanksAborted once any rank aborted. A
   * round every rank reached completes even if a rank aborts right after it: workers run ahead,
   * so one may fail in its next update while another is still leaving this barrier, and that
   * failure belongs to the next update (the next barrier reports it).
   */
  barrier(): void {
    const c = this.control;
    const started = performance.now();
    const round = Atomics.load(c, ROUND);
    this.checkAborted();
    if (Atomics.add(c, ARRIVED, 1) === this.ranks - 1) {
      Atomics.store(c, ARRIVED, 0);
      Atomics.add(c, ROUND, 1);
      Atomics.notify(c, ROUND);
    } else {
      while (Atomics.load(c, ROUND) === round) {
        const by = this.abortedBy;
        if (by >= 0 && Atomics.load(c, ROUND) === round) throw new RanksAborted(by);
        Atomics.wait(c, ROUND, round, WAIT_SLICE_MS);
      }
    }
    this.waited += (performance.now() - started) / 1000;
  }

  /** Stop every rank at (or on the way to) the barrier. */
  abort(): void {
    Atomics.compareExchange(this.control, ABORTED, 0, this.rank + 1);
    Atomics.notify(this.control, ROUND);
  }

  /** The rank that aborted the run, or -1. */
  get abortedBy(): number {
    return Atomics.load(this.control, ABORTED) - 1;
  }

  takeWaitSeconds(): number {
    const w = this.waited;
    this.waited = 0;
    return w;
  }

  private checkAborted(): void {
    const by = this.abortedBy;
    if (by >= 0) throw new RanksAborted(by);
  }
}
