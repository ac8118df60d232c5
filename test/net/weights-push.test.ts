import { randomFillSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadPolicySource } from '../../agents/policy-source.ts';
import { AgentPolicyRuntime } from '../../agents/runtime/policy-runtime.ts';
import { fromRoot } from '../../shared/paths.ts';
import type { NetServer } from '../../server/net/net-server.ts';
import { mapBytesEntry, msgpackProblem } from '../../server/net/msgpack-guard.ts';
import type { Room } from '../../server/net/room.ts';
import { weightsPushHead } from '../../server/net/supervisor-role.ts';
import { LIMITS, PROTOCOL_VERSION, SUPERVISOR_PATH } from '../../shared/protocol.ts';
import { inProcessAgent, packr, RawClient, startServer, stopStarted, ticks } from './helpers/net-helpers.ts';

afterEach(async () => {
  vi.restoreAllMocks();
  await stopStarted();
});

/** The largest weights message an authenticated supervisor may send. */
const LARGEST_POLICY_BYTES = LIMITS.supervisorMaxPayload - 1024;

async function supervisorOf(server: NetServer): Promise<RawClient> {
  const supervisor = new RawClient(server.url.replace(/\/$/, SUPERVISOR_PATH));
  await supervisor.opened();
  supervisor.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'supervisor', token: server.controlToken, teacherObservations: false });
  await supervisor.next('welcome');
  return supervisor;
}

/** The largest frame each of the server's msgpack calls handled while `run` ran. */
async function largestPacked(server: NetServer, run: () => Promise<void>): Promise<{ packed: number; unpacked: number }> {
  const { packr: serverPackr } = (server as unknown as { room: Room }).room;
  const { pack, unpack } = serverPackr;
  const largest = { packed: 0, unpacked: 0 };
  serverPackr.pack = (value: unknown) => {
    const bytes = pack.call(serverPackr, value);
    largest.packed = Math.max(largest.packed, bytes.length);
    return bytes;
  };
  serverPackr.unpack = (bytes: Buffer | Uint8Array) => {
    largest.unpacked = Math.max(largest.unpacked, bytes.length);
    return unpack.call(serverPackr, bytes);
  };
  try {
    await run();
  } finally {
    serverPackr.pack = pack;
    serverPackr.unpack = unpack;
  }
  return largest;
}

describe("an authenticated supervisor's 16 MiB weights push", () => {
  it('leaves the world ticking while it is in flight, and every agent acknowledges it', async () => {
    const server = await startServer({ scenario: 'spread' });
    for (let slot = 0; slot < 3; slot++) await inProcessAgent(server, [slot]);
    await ticks(server, 1);
    const supervisor = await supervisorOf(server);
    let ticksInFlight = 0;
    const count = (): void => {
      ticksInFlight++;
    };
    const largest = await largestPacked(server, async () => {
      server.on('tick', count);
      supervisor.send({ kind: 'weights', policy: new Uint8Array(LARGEST_POLICY_BYTES) });
      expect(await supervisor.next('weights-sent')).toMatchObject({ slots: [0, 1, 2], offline: [] });
      const acks = [await supervisor.next('weights-ack'), await supervisor.next('weights-ack'), await supervisor.next('weights-ack')];
      server.off('tick', count);
      expect(acks.flatMap((ack) => ack.slots as number[]).sort()).toEqual([0, 1, 2]);
      // A policy file of zeros is refused by every agent, which is still an answer.
      expect(acks.every((ack) => ack.ok === false)).toBe(true);
    });
    expect(ticksInFlight).toBeGreaterThan(0);
    // The policy went through the server without being decoded into a copy or encoded again.
    expect(largest.unpacked).toBeLessThan(LIMITS.helloFrameBytes);
    expect(largest.packed).toBeLessThan(LIMITS.helloFrameBytes);
    await ticks(server, 5);
    expect(server.status().agents.every((a) => a.connected)).toBe(true);
  });

  it('leaves an agent that samples (kdmarl agent --sample) sampling from the students it receives', async () => {
    const server = await startServer({ scenario: 'spread' });
    const students = fromRoot('models', 'spread', 'student.policy');
    await inProcessAgent(server, [0, 1, 2], students, { source: await loadPolicySource(students, { sample: true }) });
    await ticks(server, 1);
    const supervisor = await supervisorOf(server);
    supervisor.send({ kind: 'weights', policy: readFileSync(students) });
    expect(await supervisor.next('weights-sent')).toMatchObject({ slots: [0, 1, 2] });
    expect(await supervisor.next('weights-ack')).toMatchObject({ ok: true });
    // Pushed students take over at the next episode: spread's episodes are 25 steps.
    await ticks(server, 26);
    const greedy = vi.spyOn(AgentPolicyRuntime.prototype, 'actGreedy');
    const sampled = vi.spyOn(AgentPolicyRuntime.prototype, 'actSample');
    await ticks(server, 3);
    expect(sampled).toHaveBeenCalled();
    expect(greedy).not.toHaveBeenCalled();
  });

  it('reaches an agent as the same message, byte for byte, as encoding it whole would give', async () => {
    const server = await startServer({ scenario: 'spread', deadlineMs: 20 });
    const agent = new RawClient(server.url);
    await agent.opened();
    agent.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'agent', slots: [{ slot: 0, token: server.tokens[0], caps: {} }] });
    await agent.next('welcome');
    const frames: Buffer[] = [];
    agent.ws.on('message', (data: Buffer) => frames.push(data));
    const supervisor = await supervisorOf(server);
    const bytes = randomFillSync(new Uint8Array(LARGEST_POLICY_BYTES));
    // msgpackr sends a Uint8Array as its typed-array extension and a Buffer as a bin (as other msgpack libraries send bytes).
    for (const policy of [bytes, Buffer.from(bytes.buffer)]) {
      frames.length = 0;
      supervisor.send({ kind: 'weights', policy, slots: [0] });
      const push = await agent.next('weights');
      expect(Buffer.compare(push.policy as Uint8Array, policy)).toBe(0);
      const frame = frames.find((f) => f.length > policy.length)!;
      expect(Buffer.compare(frame, packr.pack({ kind: 'weights', id: push.id, policy }))).toBe(0);
      expect(await supervisor.next('weights-sent')).toMatchObject({ slots: [0], offline: [] });
    }
  });
});

describe('forwarding policy bytes without decoding them', () => {
  it('the push head followed by the policy is what msgpackr encodes, for every length form of a Uint8Array or a Buffer', () => {
    for (const length of [0, 1, 254, 255, 256, 300, 65534, 65535, 65536, 70_000]) {
      const policy = randomFillSync(new Uint8Array(length));
      for (const sent of [policy, Buffer.from(policy)]) {
        const whole = packr.pack({ kind: 'weights', id: 7, policy: sent });
        expect(Buffer.compare(Buffer.concat([weightsPushHead(packr, 7, sent), sent]), whole)).toBe(0);
      }
    }
  });

  it('finds a map entry holding bytes (typed-array extension or bin) as a view of the frame', () => {
    const policy = Uint8Array.from([9, 8, 7, 6]);
    for (const frame of [
      packr.pack({ kind: 'weights', policy, slots: [0, 1] }),
      packr.pack({ kind: 'weights', slots: [2], policy: Buffer.from(policy) }),
      packr.pack({ policy: 'not bytes', kind: 'weights', nested: { policy: 1 }, list: [[1, 'x'], null], policy2: policy }),
    ]) {
      expect(msgpackProblem(frame, LIMITS.maxFrameValues)).toBeNull();
      const entry = mapBytesEntry(frame, 'policy');
      if (entry === null) {
        expect(packr.unpack(frame).policy).toBe('not bytes');
        continue;
      }
      expect([...entry.bytes]).toEqual([...policy]);
      expect(entry.bytes.buffer).toBe(frame.buffer);
      const rest = packr.unpack(Buffer.concat([frame.subarray(0, entry.start), Buffer.from([0xc0]), frame.subarray(entry.end)]));
      expect({ ...rest, policy: entry.bytes }).toEqual(packr.unpack(frame));
    }
  });

  it('takes the last of a repeated key, as msgpackr does, and refuses what is not a map of bytes', () => {
    // {policy: <4 bytes bin>, policy: <2 bytes bin>} written by hand: no encoder writes a key twice.
    const repeated = Buffer.from([0x82, 0xa6, ...Buffer.from('policy'), 0xc4, 4, 1, 2, 3, 4, 0xa6, ...Buffer.from('policy'), 0xc4, 2, 5, 6]);
    expect(msgpackProblem(repeated, 100)).toBeNull();
    expect([...mapBytesEntry(repeated, 'policy')!.bytes]).toEqual([5, 6]);
    expect([...(packr.unpack(repeated) as { policy: Uint8Array }).policy]).toEqual([5, 6]);
    expect(mapBytesEntry(packr.pack([1, 2, 3]), 'policy')).toBeNull();
    expect(mapBytesEntry(packr.pack({ policy: new Float32Array(4) }), 'policy')).toBeNull();
    expect(mapBytesEntry(packr.pack({ other: new Uint8Array(4) }), 'policy')).toBeNull();
  });
});
