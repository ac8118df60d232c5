import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_CODES, PROTOCOL_VERSION, SUPERVISOR_PATH } from '../../shared/protocol.ts';
import { inProcessAgent, RawClient, startServer, stopStarted, ticks } from './helpers/net-helpers.ts';

afterEach(stopStarted);

describe('what the protocol documents', () => {
  it("the supervisor frame's missed flag is 1 where an invalid action was replaced, and it counts as invalid, not missed", async () => {
    const server = await startServer({ scenario: 'spread' });
    await inProcessAgent(server, [0, 1]);
    const bad = await inProcessAgent(server, [2]);
    await ticks(server, 2);
    const supervisor = new RawClient(server.url.replace(/\/$/, SUPERVISOR_PATH));
    await supervisor.opened();
    supervisor.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'supervisor', token: server.controlToken, teacherObservations: false });
    await supervisor.next('welcome');
    // Out of range for a 5-action agent: replaced by the fallback.
    bad.runners[0].policy = { label: 'bad', flops: 0, observationSize: bad.runners[0].info.observationSize, decide: () => 99 };
    let missed: Uint8Array = new Uint8Array(0);
    while (missed[2] !== 1) missed = (await supervisor.nextArray())[10] as Uint8Array;
    expect([...missed]).toEqual([0, 0, 1]);
    const status = server.status();
    expect(status.agents[2].invalid).toBeGreaterThanOrEqual(1);
    expect(status.agents[2].misses).toBe(0);
  });

  it('an agent sending weights is closed with notAllowed', async () => {
    const server = await startServer({ scenario: 'spread' });
    const agent = new RawClient(server.url);
    await agent.opened();
    agent.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'agent', slots: [{ slot: 0, token: server.tokens[0] }] });
    await agent.next('welcome');
    agent.send({ kind: 'weights', policy: new Uint8Array([1, 2, 3]) });
    expect((await agent.closed).code).toBe(CLOSE_CODES.notAllowed);
  });
});
