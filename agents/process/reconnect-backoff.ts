import { performance } from 'node:perf_hooks';
import type { Rng } from '../../shared/rng.ts';
import type { AgentLog } from './agent-log.ts';
import type { AgentClientOptions } from './agent-client-options.ts';

/**
 * When an agent's lost link is tried again, and when it gives up: exponential backoff with jitter
 * until `giveUpAfterMs` has passed since the last welcome (or the start). Each outage says what
 * happened once: the link dropped, and/or the server cannot be reached (with the socket's
 * reason); the attempts in between log at debug level only.
 */
export class ReconnectBackoff {
  private readonly options: Pick<AgentClientOptions, 'url' | 'backoffMs' | 'maxBackoffMs' | 'giveUpAfterMs'>;
  private readonly rng: Rng;
  private readonly log: AgentLog;
  private attempt = 0;
  private lastWelcomeAt = performance.now();
  /** Why the last connection attempt failed before it opened ('connection refused'), if it did. */
  private unreachable: string | null = null;
  /** What this outage has already said: one line when the link drops, one when the server cannot be reached. */
  private saidDropped = false;
  private saidUnreachable = false;

  constructor(options: ReconnectBackoff['options'], rng: Rng, log: AgentLog) {
    this.options = options;
    this.rng = rng;
    this.log = log;
  }

  /** A connection attempt starts. */
  attempting(): void {
    this.attempt++;
  }

  /** The attempt failed before the socket opened, for this reason. */
  failedToOpen(reason: string): void {
    this.unreachable = reason;
  }

  opened(): void {
    this.unreachable = null;
  }

  /** The server welcomed us: the outage, if any, is over. */
  welcomed(): void {
    this.attempt = 0;
    this.saidDropped = false;
    this.saidUnreachable = false;
    this.lastWelcomeAt = performance.now();
  }

  /** After a non-fatal close: the wait before the next attempt (the outage logged once), or why to give up. */
  next(code: number, reason: string): { retryInMs: number } | { giveUp: string } {
    const giveUp = this.options.giveUpAfterMs ?? 30_000;
    const url = this.options.url;
    const waited = performance.now() - this.lastWelcomeAt;
    if (waited > giveUp) {
      const why = this.unreachable ? `cannot reach ${url}: ${this.unreachable}` : `server unreachable (last close ${code}${reason ? ` ${reason}` : ''})`;
      return { giveUp: `${why}; gave up after ${Math.round(giveUp / 1000)} s` };
    }
    const base = this.options.backoffMs ?? 50;
    const ceiling = this.options.maxBackoffMs ?? 2000;
    const delay = Math.min(ceiling, base * 2 ** Math.min(10, this.attempt - 1)) * (0.5 + 0.5 * this.rng.uniform());
    const fields = { code, reason, retryInMs: Math.round(delay), attempt: this.attempt };
    if (this.unreachable && !this.saidUnreachable) {
      this.saidUnreachable = true;
      this.log.warn({ url }, `cannot reach ${url}: ${this.unreachable}; retrying for ${Math.max(1, Math.round((giveUp - waited) / 1000))} s`);
    } else if (!this.unreachable && !this.saidDropped) {
      this.saidDropped = true;
      this.log.info(fields, 'link dropped; reconnecting');
    } else {
      this.log.debug(fields, 'still reconnecting');
    }
    return { retryInMs: delay };
  }
}
