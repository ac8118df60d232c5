/**
 * Round-trip and decision times without allocation: a linear histogram with 10 us buckets up to
 * 2 s (anything slower lands in the last bucket). Quantiles are exact to the bucket width, which
 * is finer than the timer noise of a shared two-core machine.
 */
export class LatencyHistogram {
  static readonly BUCKET_MS = 0.01;
  private readonly counts = new Uint32Array(200_000);
  count = 0;
  sumMs = 0;
  maxMs = 0;

  add(ms: number): void {
    if (!(ms >= 0)) ms = 0;
    let bucket = Math.floor(ms / LatencyHistogram.BUCKET_MS);
    if (bucket >= this.counts.length) bucket = this.counts.length - 1;
    this.counts[bucket]++;
    this.count++;
    this.sumMs += ms;
    if (ms > this.maxMs) this.maxMs = ms;
  }

  /** The q-quantile (0..1) in ms (upper edge of its bucket), or 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let b = 0; b < this.counts.length; b++) {
      seen += this.counts[b];
      if (seen >= rank) return (b + 1) * LatencyHistogram.BUCKET_MS;
    }
    return this.maxMs;
  }

  get meanMs(): number {
    return this.count === 0 ? 0 : this.sumMs / this.count;
  }

  clear(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sumMs = 0;
    this.maxMs = 0;
  }
}

/** The last `size` samples, for "median over the recent window" figures (snapshots, status line). */
export class RecentWindow {
  private readonly values: Float32Array;
  private readonly scratch: Float32Array;
  private next = 0;
  private filled = 0;

  constructor(size: number) {
    this.values = new Float32Array(size);
    this.scratch = new Float32Array(size);
  }

  add(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.values.length;
    if (this.filled < this.values.length) this.filled++;
  }

  median(): number {
    if (this.filled === 0) return 0;
    const s = this.scratch.subarray(0, this.filled);
    s.set(this.values.subarray(0, this.filled));
    s.sort();
    return s[Math.floor((this.filled - 1) / 2)];
  }

  clear(): void {
    this.next = 0;
    this.filled = 0;
  }
}
