import type { SnapshotBuffer } from './snapshot-buffer.ts';
import type { Replay } from './wire.ts';

/**
 * Plays a parsed replay into the same SnapshotBuffer the live stream feeds, on the recording's
 * own clock (snapshot `time`), scaled by a speed factor. Scrubbing jumps without interpolation.
 */
export class ReplayPlayer {
  readonly replay: Replay;
  /** Milliseconds since the first snapshot, per snapshot. */
  private readonly offsets: Float64Array;
  private readonly buffer: SnapshotBuffer;
  index = 0;
  playing = true;
  private speedFactor = 1;
  /** Recording clock (ms since the first snapshot) at local time `anchorNow`. */
  private anchorOffset = 0;
  private anchorNow = 0;

  constructor(replay: Replay, buffer: SnapshotBuffer, now: number) {
    this.replay = replay;
    this.buffer = buffer;
    this.offsets = recordingOffsets(replay);
    this.anchorNow = now;
    buffer.timeScale = 1;
    buffer.jumpTo(replay.snapshots[0]!, now);
  }

  get length(): number {
    return this.replay.snapshots.length;
  }

  get duration(): number {
    return this.offsets[this.offsets.length - 1]!;
  }

  get speed(): number {
    return this.speedFactor;
  }

  set speed(value: number) {
    const now = performance.now();
    this.anchorOffset = this.clock(now);
    this.anchorNow = now;
    this.speedFactor = value;
    this.buffer.timeScale = value;
  }

  private clock(now: number): number {
    return this.playing ? this.anchorOffset + (now - this.anchorNow) * this.speedFactor : this.anchorOffset;
  }

  setPlaying(playing: boolean, now: number): void {
    if (playing && this.index >= this.length - 1) this.seek(0, now);
    this.anchorOffset = this.clock(now);
    this.anchorNow = now;
    this.playing = playing;
  }

  seek(index: number, now: number): void {
    const i = Math.max(0, Math.min(this.length - 1, Math.round(index)));
    this.index = i;
    this.anchorOffset = this.offsets[i]!;
    this.anchorNow = now;
    this.buffer.jumpTo(this.replay.snapshots[i]!, now);
  }

  /** Push every snapshot whose recorded time has come. Returns true if the index moved. */
  advance(now: number): boolean {
    if (!this.playing) return false;
    const clock = this.clock(now);
    let moved = false;
    while (this.index < this.length - 1 && this.offsets[this.index + 1]! <= clock) {
      this.index++;
      this.buffer.push(this.replay.snapshots[this.index]!, now);
      moved = true;
    }
    if (this.index >= this.length - 1) {
      this.playing = false;
      this.anchorOffset = this.offsets[this.length - 1]!;
    }
    return moved;
  }
}

/**
 * Recording offsets from snapshot `time`; a recording whose clock does not advance (or goes back,
 * e.g. a server restarted mid-file) falls back to one env step (`dt`, at least 50 ms) per snapshot.
 */
function recordingOffsets(replay: Replay): Float64Array {
  const snaps = replay.snapshots;
  const out = new Float64Array(snaps.length);
  const t0 = snaps[0]!.time;
  let monotonic = true;
  for (let i = 1; i < snaps.length; i++) if (snaps[i]!.time < snaps[i - 1]!.time) monotonic = false;
  if (monotonic && snaps.length > 1 && snaps[snaps.length - 1]!.time > t0) {
    for (let i = 0; i < snaps.length; i++) out[i] = snaps[i]!.time - t0;
    return out;
  }
  const step = Math.max(50, replay.scene.dt * 1000);
  for (let i = 0; i < snaps.length; i++) out[i] = i * step;
  return out;
}
