import { afterEach, describe, expect, it } from 'vitest';
import type { EpisodeEnd } from '../../server/net/world-session.ts';
import { inProcessAgent, nextEvent, spawnAgent, startServer, stopStarted } from './helpers/net-helpers.ts';

afterEach(stopStarted);

describe('lockstep episodes over the network', () => {
  it('plays full spread episodes with three real agent processes', async () => {
    const server = await startServer({ scenario: 'spread' });
    const episode = nextEvent<[EpisodeEnd]>(server, 'episode');
    for (let slot = 0; slot < 3; slot++) spawnAgent(server, slot, ['--model', 'scripted']);
    const [end] = await episode;
    expect(end.steps).toBe(server.world.sim.maxSteps);
    expect(end.terminated).toBe(false);
    await nextEvent(server, 'episode');
    const status = server.status();
    expect(status.episodes).toBeGreaterThanOrEqual(2);
    expect(status.agents.every((a) => a.connected && a.policy === 'scripted')).toBe(true);
    expect(status.decisions).toBeGreaterThanOrEqual(2 * 25 * 3);
    expect(status.roundTripMs.count).toBe(status.decisions);
    // Scripted spread agents reach their landmarks: far better than the ~ -60 of standing still.
    expect(status.lastReturn).toBeGreaterThan(-40);
  });

  it('runs a host connection holding every slot, with auto-reset and score', async () => {
    const server = await startServer({ scenario: 'spread', agents: 6 });
    await inProcessAgent(server, [0, 1, 2, 3, 4, 5], 'random');
    await nextEvent(server, 'episode');
    await nextEvent(server, 'episode');
    const status = server.status();
    expect(status.scenario).toBe('spread_6');
    expect(status.episodes).toBeGreaterThanOrEqual(2);
    expect(status.misses).toBe(0);
    expect(status.agents.map((a) => a.claims)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('counts SMAC wins and losses', async () => {
    const server = await startServer({ scenario: '3m' });
    await inProcessAgent(server, [0, 1, 2], 'scripted');
    const [end] = await nextEvent<[EpisodeEnd]>(server, 'episode');
    const status = server.status();
    expect(status.episodes).toBe(1);
    expect(status.wins + status.losses).toBe(1);
    expect(status.winRate).toBe(end.won ? 1 : 0);
  });
});
