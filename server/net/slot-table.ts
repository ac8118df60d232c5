import type { ServerClient } from './client.ts';
import { RecentWindow } from './latency-histogram.ts';

/** How a slot's decision for the round in flight was resolved. */
export const ANSWER = {
  /** Still waiting for it. */
  pending: 0,
  /** An allowed action arrived in time (or the agent is dead and owes none). */
  answered: 1,
  /** Late or lost: the fallback is applied and counted as a miss. */
  missed: 2,
  /** Arrived in time but not an allowed action: the fallback is applied and counted as invalid. */
  invalid: 3,
} as const;
export type AnswerState = (typeof ANSWER)[keyof typeof ANSWER];

/**
 * Everything the server keeps per slot (agent index): who holds it, what it declared, how this
 * round's decision was resolved, and the counters the status and snapshots show. One table per
 * scenario; a scenario switch makes a new one.
 */
export class SlotTable {
  readonly count: number;
  readonly client: (ServerClient | null)[];
  readonly policy: string[];
  /** 1 where the slot's holder samples its actions from its policy (the supervisor frame's flags). */
  readonly sampling: Uint8Array;
  readonly caps: Record<string, number | undefined>[];
  readonly deadlineMs: Float64Array;
  /** This round's answer state per slot (ANSWER values). */
  readonly answered: Uint8Array;
  /** 1 where this tick's applied action was a fallback (the supervisor frame's flags). */
  readonly missedThisTick: Uint8Array;
  readonly misses: Int32Array;
  readonly invalid: Int32Array;
  readonly offline: Int32Array;
  readonly claims: Int32Array;
  readonly connected: Uint8Array;
  readonly latencyMedian: Float32Array;
  readonly flops: Float64Array;
  readonly decideMs: Float64Array;
  readonly recent: RecentWindow[];

  constructor(count: number, defaultDeadlineMs: number) {
    this.count = count;
    this.client = new Array<ServerClient | null>(count).fill(null);
    this.policy = new Array<string>(count).fill('none');
    this.sampling = new Uint8Array(count);
    this.caps = Array.from({ length: count }, () => ({}));
    this.deadlineMs = new Float64Array(count).fill(defaultDeadlineMs);
    this.answered = new Uint8Array(count);
    this.missedThisTick = new Uint8Array(count);
    this.misses = new Int32Array(count);
    this.invalid = new Int32Array(count);
    this.offline = new Int32Array(count);
    this.claims = new Int32Array(count);
    this.connected = new Uint8Array(count);
    this.latencyMedian = new Float32Array(count);
    this.flops = new Float64Array(count);
    this.decideMs = new Float64Array(count);
    this.recent = Array.from({ length: count }, () => new RecentWindow(64));
  }

  connectedCount(): number {
    let connected = 0;
    for (let i = 0; i < this.count; i++) if (this.client[i]) connected++;
    return connected;
  }

  allClaimed(): boolean {
    return this.client.every((c) => c !== null);
  }

  /** Refresh the per-slot median latency the snapshots carry. */
  updateLatencyMedians(): void {
    for (let i = 0; i < this.count; i++) this.latencyMedian[i] = this.recent[i].median();
  }
}
