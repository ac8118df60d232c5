import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { AgentClient } from '../../agents/process/agent-client.ts';
import type { NetServer } from '../../server/net/net-server.ts';
import { CLOSE_CODES, FRAME, LIMITS, PROTOCOL_VERSION } from '../../shared/protocol.ts';
import { pino } from 'pino';
import { inProcessAgent, nextEvent, RawClient, startServer, stopStarted, ticks } from './helpers/net-helpers.ts';

// Re-created by every beforeEach, so `agents[slot]` is this test's agent even after an earlier test replaced one.
let server: NetServer;
let agents: AgentClient[];

beforeEach(async () => {
  server = await startServer({ scenario: 'spread', heartbeatMs: 100, handshakeTimeoutMs: 300 });
  agents = [];
  for (let slot = 0; slot < 3; slot++) agents.push(await inProcessAgent(server, [slot]));
  await ticks(server, 1);
});

afterEach(async () => {
  // A failed check here must still stop this test's server and agents, or they run into the next test.
  try {
    // Every bad client was closed on its own: the honest agents never noticed.
    const before = server.world.tick;
    await ticks(server, 10);
    expect(server.world.tick).toBeGreaterThanOrEqual(before + 10);
    expect(server.status().agents.every((a) => a.connected)).toBe(true);
  } finally {
    await stopStarted();
  }
});

async function raw(): Promise<RawClient> {
  const client = new RawClient(server.url);
  await client.opened();
  return client;
}

const agentHello = (slot: number, token: string, extra: Record<string, unknown> = {}) => ({
  kind: 'hello',
  version: PROTOCOL_VERSION,
  role: 'agent',
  slots: [{ slot, token, ...extra }],
});

describe('bad input closes only the offending client, with an application close code', () => {
  it('garbage bytes', async () => {
    const c = await raw();
    c.ws.send(Buffer.from([0xc1, 0xff, 0x00, 0x13]));
    expect((await c.closed).code).toBe(CLOSE_CODES.badFrame);
  });

  it('a text frame', async () => {
    const c = await raw();
    c.ws.send('{"kind":"hello"}');
    expect((await c.closed).code).toBe(CLOSE_CODES.badFrame);
  });

  it('an oversized frame', async () => {
    const c = await raw();
    c.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'spectator', pad: 'x'.repeat(LIMITS.helloFrameBytes + 10) });
    expect((await c.closed).code).toBe(CLOSE_CODES.tooLarge);
  });

  it('a wrong protocol version', async () => {
    const c = await raw();
    c.send({ ...agentHello(0, server.tokens[0]), version: PROTOCOL_VERSION + 1 });
    const error = await c.next('error');
    expect(error.message).toMatch(/protocol version/);
    expect((await c.closed).code).toBe(CLOSE_CODES.protocolVersion);
  });

  it('a bad slot token', async () => {
    const c = await raw();
    c.send(agentHello(1, server.tokens[0]));
    expect((await c.closed).code).toBe(CLOSE_CODES.badToken);
  });

  it('a slot that does not exist, and a report for a slot the client does not hold', async () => {
    const a = await raw();
    a.send(agentHello(7, 'whatever'));
    expect((await a.closed).code).toBe(CLOSE_CODES.wrongSlot);
    // A host taking over slot 1 legitimately, then reporting about slot 2.
    const host = await raw();
    const taken = nextEvent(agents[1], 'disconnected');
    host.send(agentHello(1, server.tokens[1]));
    await host.next('welcome');
    await taken;
    host.send({ kind: 'report', slots: [{ slot: 2, decideMs: 0, replyMs: 0, flops: 0, decisions: 0 }], rssMb: 1, heapMb: 1 });
    expect((await host.closed).code).toBe(CLOSE_CODES.wrongSlot);
    // Slot 1's own agent was replaced (slotReplaced is final for it): put a fresh one back.
    agents[1].stop();
    agents[1] = await inProcessAgent(server, [1]);
    await nextEvent(agents[1], 'welcome');
  });

  it('a malformed action frame', async () => {
    const host = await raw();
    host.send({ ...agentHello(2, server.tokens[2]) });
    await host.next('welcome');
    const obs = await host.nextArray();
    host.send([FRAME.act, obs[1], [1, 2, 3]]);
    expect((await host.closed).code).toBe(CLOSE_CODES.badMessage);
    agents[2].stop();
    agents[2] = await inProcessAgent(server, [2]);
    await nextEvent(agents[2], 'welcome');
  });

  it('NaN, fractional and out-of-range actions are replaced, not applied', async () => {
    const host = await raw();
    host.send(agentHello(2, server.tokens[2]));
    await host.next('welcome');
    const before = server.status().agents[2].invalid;
    for (const bad of [Number.NaN, 1.5, 99, -7]) {
      const obs = await host.nextArray();
      host.send([FRAME.act, obs[1], [bad]]);
    }
    await host.nextArray();
    expect(server.status().agents[2].invalid - before).toBe(4);
    host.close();
    await host.closed;
    agents[2].stop();
    agents[2] = await inProcessAgent(server, [2]);
    await nextEvent(agents[2], 'welcome');
  });

  it('a spectator that tries to act', async () => {
    const c = await raw();
    c.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'spectator' });
    await c.next('scene');
    c.send([FRAME.act, 1, [0]]);
    expect((await c.closed).code).toBe(CLOSE_CODES.notAllowed);
  });

  it('a flood of messages', async () => {
    const c = await raw();
    c.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'spectator' });
    await c.next('scene');
    for (let k = 0; k < LIMITS.spectatorRate.burst + 50; k++) c.send({ kind: 'inspect', agent: 0 });
    expect((await c.closed).code).toBe(CLOSE_CODES.rateLimit);
  });

  it('a hello that does not validate', async () => {
    const c = await raw();
    c.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'agent', slots: [{ slot: -1, token: '' }] });
    const error = await c.next('error');
    expect(error.message).toMatch(/slots/);
    expect((await c.closed).code).toBe(CLOSE_CODES.badMessage);
  });

  it('a hello with one bad view changes no slot', async () => {
    const size = server.world.studentViews[0].size;
    const c = await raw();
    c.send({
      kind: 'hello',
      version: PROTOCOL_VERSION,
      role: 'agent',
      slots: [
        { slot: 0, token: server.tokens[0], view: { blocks: ['self'] } },
        { slot: 1, token: server.tokens[1], view: { blocks: ['no_such_block'] } },
      ],
    });
    expect(String((await c.next('error')).message)).toMatch(/no_such_block/);
    expect((await c.closed).code).toBe(CLOSE_CODES.badMessage);
    expect(server.world.studentViews[0].size).toBe(size);
  });

  it('no hello within the handshake timeout', async () => {
    const c = await raw();
    expect((await c.closed).code).toBe(CLOSE_CODES.handshakeTimeout);
  });

  it('a silent socket is terminated by the heartbeat', async () => {
    const c = new RawClient(server.url, { autoPong: false } as WebSocket.ClientOptions);
    await c.opened();
    c.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'spectator' });
    const { code } = await c.closed;
    expect(code).toBe(1006);
    expect(server.status().rejected.heartbeat).toBeGreaterThanOrEqual(1);
  });

  it('an unknown path', async () => {
    const ws = new WebSocket(server.url + 'nope');
    const status = await new Promise<number>((resolve) => ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)).on('error', () => resolve(-1)));
    expect(status).toBe(404);
  });
});

describe('logging', () => {
  it('logs one line naming the close code for each rejected client', async () => {
    const lines: string[] = [];
    const logged = await startServer({ scenario: 'spread', logger: pino({ level: 'warn' }, { write: (line: string) => lines.push(line) }) });
    const c = new RawClient(logged.url);
    await c.opened();
    c.ws.send(Buffer.from([0xc1, 0xff, 0x00, 0x13]));
    await c.closed;
    await logged.close();
    const record = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.code === CLOSE_CODES.badFrame);
    expect(record?.msg).toBe('closing client: badFrame');
  });
});
