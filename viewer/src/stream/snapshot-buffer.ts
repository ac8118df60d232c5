import type { Snapshot } from './wire.ts';

/**
 * The seam between the network and the renderer. Snapshots are pushed whenever they arrive (live
 * socket or replay clock); each animation frame samples positions interpolated between the last
 * two snapshots. Rendering one snapshot interval behind the newest keeps motion smooth at any
 * snapshot rate without extrapolating into positions the server never sent.
 */
export class SnapshotBuffer {
  previous: Snapshot | null = null;
  latest: Snapshot | null = null;
  /** Local clock (ms) when `latest` arrived. */
  private latestAt = 0;
  /** How long the step from `previous` to `latest` should take on screen (ms). */
  private interval = 100;
  /** Interpolated x, y per entity, rewritten in place by `sample`. */
  readonly positions: Float32Array;
  /** Count of snapshots pushed, for the tests and the HUD. */
  received = 0;
  /** Replays play faster or slower than recorded; the live stream runs at 1. */
  timeScale = 1;

  /** Interpolated rotation per entity (robot worlds), rewritten in place by `sampleRotations`. */
  readonly rotations: Float32Array;

  constructor(entityCount: number) {
    this.positions = new Float32Array(2 * entityCount);
    this.rotations = new Float32Array(entityCount);
  }

  push(snapshot: Snapshot, now: number): void {
    this.received++;
    const latest = this.latest;
    if (latest && snapshot.tick === latest.tick && snapshot.episode === latest.episode) {
      // Same tick again (paused server): keep drawing it without a jump.
      this.latest = snapshot;
      return;
    }
    this.previous = latest;
    this.latest = snapshot;
    if (latest) {
      const serverGap = (snapshot.time - latest.time) / this.timeScale;
      const localGap = now - this.latestAt;
      // The server clock says how far apart they were taken; fall back to arrival spacing if it
      // is missing or nonsense (restarted server, replay with a constant clock).
      const gap = serverGap > 0 && serverGap < 2000 ? serverGap : localGap;
      this.interval = Math.min(1000, Math.max(1, gap));
    }
    this.latestAt = now;
  }

  /** Forget history so the next frame draws `snapshot` exactly (scrubbing, new scene). */
  jumpTo(snapshot: Snapshot, now: number): void {
    this.previous = null;
    this.latest = snapshot;
    this.latestAt = now;
  }

  clear(): void {
    this.previous = null;
    this.latest = null;
  }

  /** 0 shows `previous`, 1 shows `latest`. */
  alpha(now: number): number {
    if (!this.previous) return 1;
    return Math.min(1, Math.max(0, (now - this.latestAt) / this.interval));
  }

  /**
   * Positions at `now`. Across an episode boundary entities snap to their new places instead of
   * sliding across the map.
   */
  sample(now: number): Float32Array {
    const latest = this.latest;
    const out = this.positions;
    if (!latest) return out;
    const previous = this.previous;
    const a = this.alpha(now);
    if (!previous || previous.episode !== latest.episode || a >= 1) {
      out.set(latest.positions);
      return out;
    }
    const p0 = previous.positions;
    const p1 = latest.positions;
    for (let i = 0; i < out.length; i += 2) {
      const x0 = p0[i]!;
      const y0 = p0[i + 1]!;
      const dx = p1[i]! - x0;
      const dy = p1[i + 1]! - y0;
      out[i] = x0 + dx * a;
      out[i + 1] = y0 + dy * a;
    }
    return out;
  }

  /** Rotations at `now`, turning the short way round; null when the stream carries none. */
  sampleRotations(now: number): Float32Array | null {
    const latest = this.latest?.extras.rotations;
    if (!latest) return null;
    const out = this.rotations;
    const previous = this.previous?.episode === this.latest!.episode ? this.previous.extras.rotations : null;
    const a = this.alpha(now);
    if (!previous || a >= 1) {
      out.set(latest);
      return out;
    }
    for (let i = 0; i < out.length; i++) {
      const from = previous[i]!;
      let turn = (latest[i]! - from) % (2 * Math.PI);
      if (turn > Math.PI) turn -= 2 * Math.PI;
      else if (turn < -Math.PI) turn += 2 * Math.PI;
      out[i] = from + turn * a;
    }
    return out;
  }
}
