import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NetServer } from '../../server/net/net-server.ts';
import { msgpackProblem } from '../../server/net/msgpack-guard.ts';
import { CLOSE_CODES, FRAME, LIMITS, PROTOCOL_VERSION, SUPERVISOR_PATH } from '../../shared/protocol.ts';
import { inProcessAgent, packr, RawClient, startServer, stopStarted, ticks } from './helpers/net-helpers.ts';

let server: NetServer;

beforeEach(async () => {
  server = await startServer({ scenario: 'spread' });
  for (let slot = 0; slot < 3; slot++) await inProcessAgent(server, [slot]);
  await ticks(server, 1);
});

afterEach(async () => {
  try {
    // The honest agents never noticed.
    await ticks(server, 10);
    expect(server.status().agents.every((a) => a.connected)).toBe(true);
  } finally {
    await stopStarted();
  }
});

/** A msgpack array32 of `n` nils followed by one stray byte: decoding it used to render the whole value as text. */
function nilArrayWithTrailingByte(n: number): Buffer {
  const bytes = Buffer.alloc(n + 6);
  bytes[0] = 0xdd;
  bytes.writeUInt32BE(n, 1);
  bytes[n + 5] = 0xc0;
  return bytes;
}

/** Send `bytes` as the first frame on `path` and count the ticks the world stepped until the server closed the socket. */
async function attack(path: string, bytes: Buffer): Promise<{ code: number; ticksDuring: number }> {
  const client = new RawClient(server.url.replace(/\/$/, path));
  await client.opened();
  let ticksDuring = 0;
  const count = (): void => {
    ticksDuring++;
  };
  server.on('tick', count);
  client.ws.send(bytes);
  const { code } = await client.closed;
  server.off('tick', count);
  return { code, ticksDuring };
}

describe('a large frame before authentication is refused on every path while the world keeps ticking', () => {
  it('8 MiB on the supervisor path (the largest any path allows) gets tooLarge, never decoded', async () => {
    const { code, ticksDuring } = await attack(SUPERVISOR_PATH, nilArrayWithTrailingByte(8 << 20));
    expect(code).toBe(CLOSE_CODES.tooLarge);
    expect(ticksDuring).toBeGreaterThan(0);
    expect(server.rejected.tooLarge).toBe(1);
  });

  it('300 KiB of junk on the supervisor path gets tooLarge, not badFrame', async () => {
    const { code, ticksDuring } = await attack(SUPERVISOR_PATH, Buffer.alloc(300 * 1024, 0xc1));
    expect(code).toBe(CLOSE_CODES.tooLarge);
    expect(ticksDuring).toBeGreaterThan(0);
  });

  it('a frame over the hello limit on the main path gets tooLarge', async () => {
    const { code, ticksDuring } = await attack('/', nilArrayWithTrailingByte(LIMITS.helloFrameBytes * 3));
    expect(code).toBe(CLOSE_CODES.tooLarge);
    expect(ticksDuring).toBeGreaterThan(0);
  });
});

describe('frames are checked before they are decoded, and never rendered as text', () => {
  it('a small frame with trailing bytes is refused with a reason that does not quote it', async () => {
    const client = new RawClient(server.url);
    await client.opened();
    const hello = packr.pack({ kind: 'hello', version: PROTOCOL_VERSION, role: 'spectator', secret: 'payload-marker' });
    client.ws.send(Buffer.concat([hello, Buffer.from([0xc0])]));
    const error = await client.next('error');
    expect(String(error.message)).toMatch(/bytes after the msgpack value/);
    expect(String(error.message)).not.toMatch(/payload-marker/);
    expect((await client.closed).code).toBe(CLOSE_CODES.badFrame);
  });

  it('the structural check accepts every message kind the protocol sends and refuses hostile shapes', () => {
    const messages = [
      { kind: 'hello', version: 1, role: 'agent', slots: [{ slot: 0, token: 't', caps: { flops: 5290 } }] },
      [FRAME.act, 12, Int16Array.from([1, 2, 3]), Float32Array.from([0.2, 0.8])],
      [FRAME.obs, 1, 2, 3, new Float32Array(40), new Uint8Array(15)],
      { kind: 'weights', policy: new Uint8Array(100_000), slots: [0, 1] },
      { kind: 'report', slots: [{ slot: 0, decideMs: 0.5, replyMs: 1.5, flops: -1, decisions: 2 ** 40 }], rssMb: 1.25, heapMb: 3 },
      { text: 'é'.repeat(300), big: 2 ** 53, neg: -(2 ** 31), nested: [[[null, true, false]]] },
    ];
    for (const message of messages) expect(msgpackProblem(packr.pack(message), LIMITS.maxFrameValues)).toBeNull();
    expect(msgpackProblem(Buffer.from([0xc1]), 100)).toMatch(/not msgpack/);
    expect(msgpackProblem(Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff]), 100)).toMatch(/truncated/);
    expect(msgpackProblem(Buffer.from([0x92, 0x01]), 100)).toMatch(/truncated/);
    expect(msgpackProblem(Buffer.from([0x01, 0x02]), 100)).toMatch(/1 bytes after/);
    expect(msgpackProblem(nilArrayWithTrailingByte(1000).subarray(0, 1005), 100)).toMatch(/more than 100 msgpack values/);
  });

  it('an authenticated supervisor may still send a large policy file', async () => {
    const supervisor = new RawClient(server.url.replace(/\/$/, SUPERVISOR_PATH));
    await supervisor.opened();
    supervisor.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'supervisor', token: server.controlToken, teacherObservations: false });
    await supervisor.next('welcome');
    supervisor.send({ kind: 'weights', policy: new Uint8Array(LIMITS.helloFrameBytes * 4), slots: [0] });
    expect(await supervisor.next('weights-sent')).toMatchObject({ slots: [0], offline: [] });
    expect(await supervisor.next('weights-ack')).toMatchObject({ ok: false, slots: [0] });
    supervisor.close();
  });
});
