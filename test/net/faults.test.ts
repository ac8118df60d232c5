import { afterEach, describe, expect, it } from 'vitest';
import type { AgentClient } from '../../agents/process/agent-client.ts';
import { WorldSession } from '../../server/net/world-session.ts';
import { inProcessAgent, nextEvent, spawnAgent, startServer, stopStarted, ticks, type SpawnedAgent } from './helpers/net-helpers.ts';

afterEach(stopStarted);

describe('faults: slow, dead and dropped agents', () => {
  it('counts deadline misses for a slow agent and never waits past its deadline', async () => {
    const server = await startServer({ scenario: 'spread' });
    await inProcessAgent(server, [0, 1]);
    // Slot 2 declares a 5 ms deadline and holds every reply 40 ms.
    await inProcessAgent(server, [2], 'random', { caps: { deadlineMs: 5 }, extraDelayMs: 40 });
    await ticks(server, 30);
    const status = server.status();
    expect(status.agents[2].misses).toBeGreaterThanOrEqual(25);
    expect(status.agents[0].misses).toBe(0);
    expect(status.agents[1].misses).toBe(0);
    expect(status.agents[2].connected).toBe(true);
  });

  it('replaces a bad action with the fallback and counts it as invalid', async () => {
    const server = await startServer({ scenario: 'spread' });
    await inProcessAgent(server, [0, 1]);
    const bad = await inProcessAgent(server, [2]);
    await ticks(server, 2);
    // Out of range for a 5-action agent: lenient policy replaces it.
    bad.runners[0].policy = { label: 'bad', flops: 0, observationSize: bad.runners[0].info.observationSize, decide: () => 99 };
    await ticks(server, 10);
    const status = server.status();
    expect(status.agents[2].invalid).toBeGreaterThanOrEqual(5);
    expect(status.agents[2].misses).toBe(0);
  });

  it('holds the last action as fallback when asked to', () => {
    const world = new WorldSession({ scenario: 'spread', fallback: 'hold' });
    [3, 4, 1].forEach((action, i) => world.applyAction(i, action));
    world.step();
    expect(world.fallbackAction(0)).toBe(3);
    expect(world.fallbackAction(1)).toBe(4);
    const stop = new WorldSession({ scenario: 'spread', fallback: 'stop' });
    [3, 4, 1].forEach((action, i) => stop.applyAction(i, action));
    stop.step();
    expect(stop.fallbackAction(0)).toBe(stop.sim.defaultAction[0]);
  });

  it('goes on without a killed agent process and takes it back when it restarts', async () => {
    const server = await startServer({ scenario: 'spread' });
    const spawned: SpawnedAgent[] = [];
    for (let slot = 0; slot < 3; slot++) spawned.push(spawnAgent(server, slot));
    await ticks(server, 20);
    const released = nextEvent<[number]>(server, 'release', (slot) => slot === 1);
    spawned[1].child.kill('SIGKILL');
    await released;
    await ticks(server, 20);
    expect(server.status().agents[1].offlineTicks).toBeGreaterThanOrEqual(19);
    const claimed = nextEvent<[number, boolean]>(server, 'claim', (slot) => slot === 1);
    spawnAgent(server, 1);
    const [, reconnect] = await claimed;
    expect(reconnect).toBe(true);
    await ticks(server, 20);
    const status = server.status();
    expect(status.agents[1].connected).toBe(true);
    expect(status.agents[1].reconnects).toBe(1);
  });

  it('an agent whose link drops reconnects to its slot within the same episode', async () => {
    const server = await startServer({ scenario: 'spread', mode: 'realtime', hz: 20 });
    const agents: AgentClient[] = [];
    for (let slot = 0; slot < 3; slot++) agents.push(await inProcessAgent(server, [slot]));
    await ticks(server, 3);
    const episode = server.world.episode;
    const t = server.world.sim.t;
    const claimed = nextEvent<[number, boolean]>(server, 'claim', (slot) => slot === 0);
    const welcomed = nextEvent(agents[0], 'welcome');
    expect(server.dropSlot(0)).toBe(true);
    const [, reconnect] = await claimed;
    await welcomed;
    expect(reconnect).toBe(true);
    expect(agents[0].reconnects).toBe(1);
    if (t < 15) expect(server.world.episode).toBe(episode);
    await ticks(server, 3);
    expect(server.status().agents[0].connected).toBe(true);
  });
});
