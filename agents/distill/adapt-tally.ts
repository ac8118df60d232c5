import type { EpisodeEnd } from '../../server/net/world-session.ts';
import { mean } from '../eval/metrics.ts';
import type { Score } from './adapt-report.ts';

/** What the tally listens to: a NetServer, or in tests any emitter of episode ends. */
export type EpisodeSource = { on(event: 'episode', listener: (end: EpisodeEnd) => void): unknown };

/** The clock the stall watch runs on (the global timers unless a test gives its own). */
export type StallTimers = { set(fire: () => void, ms: number): unknown; clear(handle: unknown): void };

const globalTimers: StallTimers = { set: (fire, ms) => setTimeout(fire, ms), clear: (handle) => clearTimeout(handle as NodeJS.Timeout) };

/** The fixed part of the stall bound: agent processes starting, or restarting after a crash (the launcher's back-off tops out at 10 s). */
export const STALL_SLACK_MS = 60_000;
/** How many worst-case episodes may pass without one ending. */
export const STALL_EPISODES = 3;
/** setTimeout's longest delay (about 24.8 days): Node runs a longer one after 1 ms instead. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The longest the networked world may go without an episode ending while agents run. In lockstep a
 * tick waits at most the deadline (a silent agent gets the fallback), so an episode lasts at most
 * maxSteps x deadline; past three of those plus the start-up slack, nothing is coming. Capped at
 * the longest delay a timer can wait.
 */
export function stallBoundMs(maxSteps: number, deadlineMs: number): number {
  return Math.min(MAX_TIMER_MS, STALL_EPISODES * maxSteps * deadlineMs + STALL_SLACK_MS);
}

/** The networked world stopped ending episodes while the experiment waited on it. */
export class EpisodeStall extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EpisodeStall';
  }
}

/**
 * Episode ends of the networked world, scored in stretches: wins per episode, or the mean return.
 * While watching, it rejects `stalled` (and any `next`) when no episode ends for `stallMs`: a dead
 * agent process or a world that never finishes an episode would otherwise hang the experiment.
 */
export class EpisodeTally {
  private ends: EpisodeEnd[] = [];
  private waiter: { count: number; resolve: () => void } | null = null;
  private readonly wins: boolean;
  private readonly stallMs: number;
  private readonly timers: StallTimers;
  private timer: unknown = null;
  /** What the experiment waits for now, for the stall message. */
  private waitingFor = 'episodes';
  private endedSinceWatch = false;
  private stallError: EpisodeStall | null = null;
  private rejectStalled: (error: EpisodeStall) => void = () => {};
  /** Rejects once, on the first stall. */
  readonly stalled: Promise<never>;

  constructor(source: EpisodeSource, wins: boolean, stall: { ms: number; timers?: StallTimers }) {
    this.wins = wins;
    // A longer delay would make the global timer fire at once: a stall reported on the spot.
    this.stallMs = Math.min(stall.ms, MAX_TIMER_MS);
    this.timers = stall.timers ?? globalTimers;
    this.stalled = new Promise<never>((_, reject) => (this.rejectStalled = reject));
    // Nobody may be racing it when it fires; the experiment reads the error from its own await.
    this.stalled.catch(() => {});
    source.on('episode', (end) => {
      this.ends.push(end);
      this.endedSinceWatch = true;
      if (this.timer !== null) this.arm();
      if (this.waiter && this.ends.length >= this.waiter.count) this.waiter.resolve();
    });
  }

  /** Start (or restart) the stall watch: from now on an episode must end every `stallMs`. */
  watch(): void {
    this.endedSinceWatch = false;
    this.arm();
  }

  /** Stop the stall watch (the agents are being stopped on purpose). */
  unwatch(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = null;
  }

  /** `work`, or the stall if the world stops ending episodes first; `what` names the wait in the stall's message. */
  async guard<T>(what: string, work: Promise<T>): Promise<T> {
    if (this.stallError) throw this.stallError;
    this.waitingFor = what;
    return Promise.race([work, this.stalled]);
  }

  /** Forget what ended so far (a new stretch starts). */
  restart(): void {
    this.ends = [];
  }

  /** The score of the stretch so far, and start a new one. */
  take(): Score {
    const score = this.peek();
    this.ends = [];
    return score;
  }

  /** The score of the stretch so far, without ending it. */
  peek(): Score {
    return { episodes: this.ends.length, value: mean(this.ends.map((e) => (this.wins ? Number(e.won) : e.return))) };
  }

  /** The score of the next `count` episodes; `what` names them in the stall's message. */
  async next(count: number, what: string): Promise<Score> {
    this.restart();
    const counted = new Promise<void>((resolve) => (this.waiter = { count, resolve }));
    try {
      await this.guard(`${count} episodes ${what}`, counted);
    } finally {
      this.waiter = null;
    }
    return this.take();
  }

  private arm(): void {
    if (this.timer !== null) this.timers.clear(this.timer);
    this.timer = this.timers.set(() => this.fire(), this.stallMs);
  }

  private fire(): void {
    this.timer = null;
    const sofar = this.waiter ? `${this.ends.length} of ${this.waiter.count} ended` : `${this.ends.length} ended in this stretch`;
    const since = this.endedSinceWatch ? 'since the last one' : 'since the agents were started';
    this.stallError = new EpisodeStall(`waited for ${this.waitingFor}: no episode ended for ${(this.stallMs / 1000).toFixed(0)} s ${since} (${sofar}); the agents or the server stopped`);
    this.rejectStalled(this.stallError);
  }
}
