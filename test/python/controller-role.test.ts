import { afterEach, describe, expect, it } from 'vitest';
import { CLOSE_CODES, FRAME, PROTOCOL_VERSION, SUPERVISOR_PATH } from '../../shared/protocol.ts';
import { inProcessAgent, RawClient, startServer, stopStarted } from '../net/helpers/net-helpers.ts';

afterEach(stopStarted);

async function controller(url: string, token: string): Promise<RawClient> {
  const client = new RawClient(url);
  await client.opened();
  client.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'controller', token });
  return client;
}

describe('the controller role', () => {
  it('takes every slot over, has no deadline, answers a seeded reset with the first observation frame then the reply, and steps', async () => {
    const server = await startServer({ scenario: 'spread', deadlineMs: 5 });
    const agent = await inProcessAgent(server, [0, 1, 2]);
    const dropped = new Promise<number>((resolve) => agent.once('disconnected', (code) => resolve(code)));
    const env = await controller(server.url, server.controlToken);
    const welcome = await env.next('welcome');
    expect(await dropped).toBe(CLOSE_CODES.slotReplaced);
    const slots = welcome.slots as { slot: number; observationSize: number; actionCount: number; deadlineMs: number }[];
    expect(slots.map((s) => s.slot)).toEqual([0, 1, 2]);
    expect(slots.every((s) => s.deadlineMs === 0)).toBe(true);

    env.send({ kind: 'reset', seed: 3 });
    const reply = await env.next('reset');
    // The reset episode's first observation frame came just before the reply, naming its round.
    const frame = env.arrays.splice(0).reverse().find((f) => f[0] === FRAME.obs)!;
    expect(frame[1]).toBe(reply.round);
    expect(frame[3]).toBe(0);
    expect((reply.state as Float32Array).length).toBe(server.world.sim.stateSize);
    const missesBefore = server.status().agents.map((a) => a.misses);
    // Asking the server over HTTP takes longer than the 5 ms deadline agents would have; the controller has none.
    await (await fetch(`${server.httpUrl}status`)).text();
    env.send([FRAME.act, frame[1], [0, 0, 99]]);
    const result = await env.nextArray();
    expect(result[0]).toBe(FRAME.result);
    expect(result[5]).toBe(0);
    expect([...(result[9] as Uint8Array)]).toEqual([0, 0, 1]);
    expect((result[4] as Float32Array).length).toBe(3);
    expect((await env.nextArray())[0]).toBe(FRAME.obs);
    expect(server.status().agents.map((a) => a.invalid)).toEqual([0, 0, 1]);
    expect(server.status().agents.map((a) => a.misses)).toEqual(missesBefore);
  });

  it('is refused with a wrong token, and on a realtime server', async () => {
    const lockstep = await startServer({ scenario: 'spread' });
    expect((await (await controller(lockstep.url, 'wrong')).closed).code).toBe(CLOSE_CODES.badToken);
    const realtime = await startServer({ scenario: 'spread', mode: 'realtime', hz: 10 });
    const refused = await controller(realtime.url, realtime.controlToken);
    expect((await refused.closed).code).toBe(CLOSE_CODES.notAllowed);
    expect((await refused.next('error')).message).toMatch(/lockstep/);
  });

  it("the supervisor frame of an episode's last step carries that step's rewards, not the next episode's zeros", async () => {
    const server = await startServer({ scenario: 'spread' });
    const supervisor = new RawClient(server.url.replace(/\/$/, SUPERVISOR_PATH));
    await supervisor.opened();
    supervisor.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'supervisor', token: server.controlToken, teacherObservations: false });
    await supervisor.next('welcome');
    await inProcessAgent(server, [0, 1, 2]);
    let frame: unknown[];
    do frame = await supervisor.nextArray();
    while (frame[11] === 0);
    // spread rewards are negative distances: never all zero.
    expect([...(frame[9] as Float32Array)].some((r) => r !== 0)).toBe(true);
  });
});
