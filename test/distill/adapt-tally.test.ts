import { afterEach, describe, expect, it } from 'vitest';
import { EpisodeTally } from '../../agents/distill/adapt-experiment.ts';
import type { EpisodeEnd } from '../../server/net/world-session.ts';
import { inProcessAgent, nextEvent, startServer, stopStarted } from '../net/helpers/net-helpers.ts';

afterEach(stopStarted);

describe("the adaptation experiment's episode tally", () => {
  it('scores the next episodes of a networked world by wins, and a stretch by what ended in it', async () => {
    const server = await startServer({ scenario: '3m' });
    const tally = new EpisodeTally(server, true);
    const seen: EpisodeEnd[] = [];
    server.on('episode', (end) => seen.push(end));
    await inProcessAgent(server, [0, 1, 2], 'scripted');
    const score = await tally.next(3);
    expect(score.episodes).toBe(3);
    expect(score.value).toBeCloseTo(seen.slice(0, 3).filter((e) => e.won).length / 3);
    // Nothing ended since: an empty stretch has no score.
    expect(tally.take()).toEqual({ episodes: 0, value: Number.NaN });
    await nextEvent<[EpisodeEnd]>(server, 'episode');
    expect(tally.take().episodes).toBe(1);
  });

  it('scores by mean return where the scenario has no wins', async () => {
    const server = await startServer({ scenario: 'spread' });
    const tally = new EpisodeTally(server, false);
    const seen: EpisodeEnd[] = [];
    server.on('episode', (end) => seen.push(end));
    await inProcessAgent(server, [0, 1, 2], 'random');
    const score = await tally.next(2);
    const last = seen.slice(0, 2);
    expect(score).toEqual({ episodes: 2, value: (last[0].return + last[1].return) / 2 });
    expect(Number.isFinite(score.value)).toBe(true);
  });
});
