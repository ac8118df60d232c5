/**
 * The step frames an online teacher has received and not yet handled, bounded: when the teacher
 * falls behind the world the oldest frame goes (latest wins). A dropped frame leaves a tick gap
 * between the last frame taken and the next one, which the teacher's rollout treats as the end of
 * an episode, so no transition ever joins two steps that were not consecutive.
 */
export class FrameBacklog<F extends readonly unknown[]> {
  private readonly frames: F[] = [];
  private readonly limit: number;
  /** Frames dropped since the last `takeDropped`. */
  private dropped = 0;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`frame backlog limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  get length(): number {
    return this.frames.length;
  }

  push(frame: F): void {
    if (this.frames.length >= this.limit) {
      this.frames.shift();
      this.dropped++;
    }
    this.frames.push(frame);
  }

  /** The oldest frame kept, or undefined when none is waiting. */
  shift(): F | undefined {
    return this.frames.shift();
  }

  /** How many frames were dropped since the last call, and reset the count. */
  takeDropped(): number {
    const n = this.dropped;
    this.dropped = 0;
    return n;
  }
}

/**
 * Whether the frame at `tick` of `episode` does not continue the last one taken (ticks not
 * consecutive: frames dropped here or by the server; or another episode without an episode end,
 * as when the server swaps its world), so the rollout's last row must end its episode.
 */
export function breaksContinuity(last: { tick: number; episode: number; ended: boolean }, tick: number, episode: number): boolean {
  if (last.ended) return false;
  return tick !== last.tick + 1 || episode !== last.episode;
}
