import type { Packr } from 'msgpackr';
import { performance } from 'node:perf_hooks';
import { CLOSE_CODES, FRAME, LIMITS, ROLES, type SupervisorStepFrame } from '../../shared/protocol.ts';
import type { WeightsPush } from '../../shared/session-messages.ts';
import type { Hello } from '../../shared/handshake-protocol.ts';
import { describeZodError } from '../../shared/zod-error.ts';
import { TokenBucket, type ServerClient } from './client.ts';
import type { Connections } from './connections.ts';
import { describeKind, welcome } from './handshake.ts';
import { weightsSchema } from './protocol-schemas.ts';
import type { Room } from './room.ts';
import type { TickLoop } from './tick-loop.ts';
import { tokensEqual } from './tokens.ts';
import type { EpisodeEnd } from './world-session.ts';

/**
 * The supervisor role (a teacher): with the control token it sees every transition (state, every
 * agent's observations, masks, the actions applied, rewards, miss flags) and may push new weights
 * to the agents holding some slots, and use the run controls.
 */
export class SupervisorRole {
  private readonly room: Room;
  private readonly connections: Connections;
  private readonly ticks: TickLoop;
  private readonly control: (client: ServerClient, value: unknown) => void;
  private nextWeightsId = 1;

  constructor(room: Room, connections: Connections, ticks: TickLoop, control: (client: ServerClient, value: unknown) => void) {
    this.room = room;
    this.connections = connections;
    this.ticks = ticks;
    this.control = control;
  }

  hello(client: ServerClient, hello: Extract<Hello, { role: 'supervisor' }>): void {
    if (!tokensEqual(hello.token, this.room.controlToken)) return this.connections.reject(client, CLOSE_CODES.badToken, 'bad supervisor token');
    if (client.handshakeTimer) clearTimeout(client.handshakeTimer);
    client.role = ROLES.supervisor;
    // Authenticated: from now on this client may send policy files.
    client.frameLimit = LIMITS.supervisorMaxPayload;
    client.teacherObservations = hello.teacherObservations;
    client.bucket = new TokenBucket(LIMITS.supervisorRate, performance.now());
    if (this.ticks.inFlight) this.ticks.fillObservations();
    this.room.send(client, welcome(this.room, ROLES.supervisor, [], true));
  }

  message(client: ServerClient, value: unknown): void {
    const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
    if (kind === 'weights') return this.weights(client, value);
    if (kind === 'control') return this.control(client, value);
    if (Array.isArray(value)) return this.connections.reject(client, CLOSE_CODES.notAllowed, 'supervisors cannot act for agents');
    return this.connections.reject(client, CLOSE_CODES.badMessage, `supervisors send weights and control messages, not '${describeKind(kind)}'`);
  }

  private weights(client: ServerClient, value: unknown): void {
    const { room, connections } = this;
    const parsed = weightsSchema.safeParse(value);
    if (!parsed.success) return connections.reject(client, CLOSE_CODES.badMessage, `bad weights message: ${describeZodError(parsed.error)}`);
    const holders = room.slots.client;
    const slots = parsed.data.slots ?? room.world.sim.agentNames.map((_, i) => i);
    for (const s of slots) if (s >= room.world.agentCount) return connections.reject(client, CLOSE_CODES.wrongSlot, `weights for slot ${s}, which does not exist`);
    const byClient = new Map<ServerClient, number[]>();
    for (const s of slots) {
      const holder = holders[s];
      if (!holder) continue;
      const list = byClient.get(holder) ?? [];
      list.push(s);
      byClient.set(holder, list);
    }
    // One id for every holder (ids are per connection). The policy bytes are never copied: each
    // agent gets the push as two fragments of one message, the encoded head and the bytes as received.
    const id = this.nextWeightsId++;
    const policy = parsed.data.policy;
    let head: Buffer | null = null;
    for (const [holder, held] of byClient) {
      if (holder.closed || holder.ws.readyState !== holder.ws.OPEN) continue;
      holder.pendingWeights.set(id, held);
      head ??= weightsPushHead(room.packr, id, policy);
      holder.ws.send(head, { fin: false });
      holder.ws.send(policy, { fin: true });
    }
    const offline = slots.filter((s) => !holders[s]);
    room.send(client, { kind: 'weights-sent', slots: slots.filter((s) => holders[s]), offline });
  }

  /** One env step to every supervisor; a supervisor backed up past the limit misses it (counted). */
  sendStep(tick: number, episode: number, t: number, end: EpisodeEnd | null): void {
    const { room } = this;
    const buffers = room.buffers;
    room.world.writeRewards(buffers.rewards);
    const frame: SupervisorStepFrame = [
      FRAME.step,
      tick,
      episode,
      t,
      buffers.state,
      buffers.teacher,
      buffers.student,
      buffers.masks,
      buffers.actions,
      buffers.rewards,
      room.slots.missedThisTick,
      end ? (end.terminated ? 1 : 2) : 0,
      end ? end.won : false,
      room.slots.sampling,
    ];
    let withTeacher: Buffer | null = null;
    let withoutTeacher: Buffer | null = null;
    for (const client of room.clients) {
      if (client.role !== ROLES.supervisor || client.closed) continue;
      if (client.ws.bufferedAmount > LIMITS.supervisorBufferedBytes) {
        client.droppedSteps++;
        continue;
      }
      if (client.teacherObservations) {
        frame[5] = buffers.teacher;
        withTeacher ??= room.packr.pack(frame);
        client.ws.send(withTeacher);
      } else {
        frame[5] = NO_VALUES;
        withoutTeacher ??= room.packr.pack(frame);
        client.ws.send(withoutTeacher);
      }
    }
  }
}

const NO_VALUES = new Float32Array(0);

/**
 * Every byte of `packr.pack({kind: 'weights', id, policy})` before the policy's own bytes: the
 * message with a nil policy, whose last byte (the nil) becomes the policy's header as msgpackr
 * writes it (a Buffer as a bin, any other Uint8Array as its typed-array extension). Followed by
 * the policy bytes it is the same frame.
 */
export function weightsPushHead(packr: Packr, id: number, policy: Uint8Array): Buffer {
  const message = packr.pack({ kind: 'weights', id, policy: null } satisfies Omit<WeightsPush, 'policy'> & { policy: null });
  const header = Buffer.isBuffer(policy) ? lengthHeader(BIN, policy.length, []) : lengthHeader(EXT, policy.length + 1, TYPED_UINT8_ARRAY);
  return Buffer.concat([message.subarray(0, message.length - 1), header]);
}

/** The 8-, 16- and 32-bit length forms of msgpack's bin and ext types. */
const BIN = [0xc4, 0xc5, 0xc6] as const;
const EXT = [0xc7, 0xc8, 0xc9] as const;
/** msgpackr's typed-array extension type and its code for Uint8Array; its length counts the code. */
const TYPED_UINT8_ARRAY = [0x74, 1];

function lengthHeader(types: readonly [number, number, number], length: number, after: number[]): Buffer {
  if (length < 0x100) return Buffer.from([types[0], length, ...after]);
  if (length < 0x10000) return Buffer.from([types[1], length >> 8, length & 0xff, ...after]);
  const header = Buffer.from([types[2], 0, 0, 0, 0, ...after]);
  header.writeUInt32BE(length, 1);
  return header;
}
