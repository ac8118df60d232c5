import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { EpisodeStall, EpisodeTally, MAX_TIMER_MS, stallBoundMs, type StallTimers } from '../../agents/distill/adapt-tally.ts';
import type { EpisodeEnd } from '../../server/net/world-session.ts';
import { inProcessAgent, nextEvent, startServer, stopStarted } from '../net/helpers/net-helpers.ts';

afterEach(stopStarted);

/** A clock that moves only when the test says so. */
class ManualClock implements StallTimers {
  now = 0;
  private readonly due = new Map<number, { at: number; fire: () => void }>();
  private nextId = 1;
  set(fire: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.due.set(id, { at: this.now + ms, fire });
    return id;
  }
  clear(handle: unknown): void {
    this.due.delete(handle as number);
  }
  get pending(): number {
    return this.due.size;
  }
  advance(ms: number): void {
    this.now += ms;
    for (const [id, timer] of [...this.due]) {
      if (timer.at > this.now) continue;
      this.due.delete(id);
      timer.fire();
    }
  }
}

const episodeEnd = (won: boolean): EpisodeEnd => ({ return: won ? 1 : 0, won, steps: 10 }) as EpisodeEnd;

describe("the adaptation experiment's episode tally", () => {
  it('scores the next episodes of a networked world by wins, and a stretch by what ended in it', async () => {
    const server = await startServer({ scenario: '3m' });
    const tally = new EpisodeTally(server, true, { ms: 1000, timers: new ManualClock() });
    const seen: EpisodeEnd[] = [];
    server.on('episode', (end) => seen.push(end));
    await inProcessAgent(server, [0, 1, 2], 'scripted');
    const score = await tally.next(3, 'of the scripted agents');
    expect(score.episodes).toBe(3);
    expect(score.value).toBeCloseTo(seen.slice(0, 3).filter((e) => e.won).length / 3);
    // Nothing ended since: an empty stretch has no score.
    expect(tally.take()).toEqual({ episodes: 0, value: Number.NaN });
    await nextEvent<[EpisodeEnd]>(server, 'episode');
    expect(tally.take().episodes).toBe(1);
  });

  it('scores by mean return where the scenario has no wins', async () => {
    const server = await startServer({ scenario: 'spread' });
    const tally = new EpisodeTally(server, false, { ms: 1000, timers: new ManualClock() });
    const seen: EpisodeEnd[] = [];
    server.on('episode', (end) => seen.push(end));
    await inProcessAgent(server, [0, 1, 2], 'random');
    const score = await tally.next(2, 'of the random agents');
    const last = seen.slice(0, 2);
    expect(score).toEqual({ episodes: 2, value: (last[0].return + last[1].return) / 2 });
    expect(Number.isFinite(score.value)).toBe(true);
  });

  it('bounds the wait by the scenario: three worst-case episodes at the deadline plus the start-up slack', () => {
    expect(stallBoundMs(60, 250)).toBe(3 * 60 * 250 + 60_000);
    expect(stallBoundMs(120, 250)).toBeGreaterThan(stallBoundMs(60, 250));
  });

  it('keeps the bound within what a timer can wait (a longer delay fires at once)', async () => {
    // 3 x 12,000 steps x 60 s is past 2^31 - 1 ms: uncapped, setTimeout would fire after 1 ms.
    expect(3 * 12_000 * 60_000).toBeGreaterThan(MAX_TIMER_MS);
    expect(stallBoundMs(12_000, 60_000)).toBe(MAX_TIMER_MS);
    const source = new EventEmitter<{ episode: [EpisodeEnd] }>();
    const clock = new ManualClock();
    const tally = new EpisodeTally(source, true, { ms: 3 * 12_000 * 60_000, timers: clock });
    tally.watch();
    const waiting = tally.next(1, 'of a very long scenario');
    clock.advance(MAX_TIMER_MS - 1);
    expect(clock.pending).toBe(1);
    clock.advance(1);
    await expect(waiting).rejects.toThrow(`no episode ended for ${(MAX_TIMER_MS / 1000).toFixed(0)} s`);
  });

  it('stops waiting on a source that goes silent, naming what it waited for and what ended', async () => {
    const source = new EventEmitter<{ episode: [EpisodeEnd] }>();
    const clock = new ManualClock();
    const tally = new EpisodeTally(source, true, { ms: 1000, timers: clock });
    tally.watch();
    const waiting = tally.next(5, 'of the students before the change');
    source.emit('episode', episodeEnd(true));
    clock.advance(999);
    // Each episode end restarts the bound: 999 + 999 ms is past one bound, but not without an episode.
    source.emit('episode', episodeEnd(false));
    clock.advance(999);
    expect(clock.pending).toBe(1);
    clock.advance(1);
    await expect(waiting).rejects.toThrow(EpisodeStall);
    await expect(waiting).rejects.toThrow(/^waited for 5 episodes of the students before the change: no episode ended for 1 s since the last one \(2 of 5 ended\); the agents or the server stopped$/);
    // What ended before the stall is still there to write down.
    expect(tally.peek()).toEqual({ episodes: 2, value: 0.5 });
    // Any later wait fails at once with the same stall.
    await expect(tally.guard('anything', new Promise(() => {}))).rejects.toThrow(/^waited for 5 episodes/);
  });

  it('guards other work while agents run, and keeps no clock while not watching', async () => {
    const source = new EventEmitter<{ episode: [EpisodeEnd] }>();
    const clock = new ManualClock();
    const tally = new EpisodeTally(source, false, { ms: 500, timers: clock });
    source.emit('episode', episodeEnd(false));
    expect(clock.pending).toBe(0);
    tally.watch();
    await expect(tally.guard('a finished run', Promise.resolve('done'))).resolves.toBe('done');
    tally.unwatch();
    clock.advance(10_000);
    tally.watch();
    const hung = tally.guard('online distillation (arm as-is)', new Promise<string>(() => {}));
    clock.advance(500);
    await expect(hung).rejects.toThrow(/^waited for online distillation \(arm as-is\): no episode ended for 1 s since the agents were started \(1 ended in this stretch\)/);
  });

  it('stops waiting when the agents of a real server die', async () => {
    const server = await startServer({ scenario: '3m' });
    const clock = new ManualClock();
    const tally = new EpisodeTally(server, true, { ms: stallBoundMs(60, 200), timers: clock });
    const agent = await inProcessAgent(server, [0, 1, 2], 'scripted');
    tally.watch();
    const waiting = tally.next(1_000_000, 'of the scripted agents');
    await nextEvent<[EpisodeEnd]>(server, 'episode');
    agent.stop();
    await nextEvent<[number]>(server, 'release');
    clock.advance(stallBoundMs(60, 200));
    await expect(waiting).rejects.toThrow(/^waited for 1000000 episodes of the scripted agents: no episode ended for 96 s since the last one \((\d+) of 1000000 ended\)/);
  });
});
