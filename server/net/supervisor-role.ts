import { performance } from 'node:perf_hooks';
import { CLOSE_CODES, FRAME, LIMITS, ROLES, type Hello, type SupervisorStepFrame, type WeightsPush } from '../../shared/protocol.ts';
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
    // One id and one encoding for every holder (ids are per connection): a policy file is packed once, not once per agent process.
    const id = this.nextWeightsId++;
    let push: Buffer | null = null;
    for (const [holder, held] of byClient) {
      if (holder.closed || holder.ws.readyState !== holder.ws.OPEN) continue;
      holder.pendingWeights.set(id, held);
      push ??= room.packr.pack({ kind: 'weights', id, policy: parsed.data.policy } satisfies WeightsPush);
      holder.ws.send(push);
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
