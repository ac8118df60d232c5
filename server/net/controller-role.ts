import { performance } from 'node:perf_hooks';
import { CLOSE_CODES, FRAME, LIMITS, ROLES, type ControllerResultFrame, type ResetReply } from '../../shared/protocol.ts';
import type { Hello } from '../../shared/handshake-protocol.ts';
import { describeZodError } from '../../shared/zod-error.ts';
import type { AgentSlots } from './agent-slots.ts';
import { TokenBucket, type ServerClient } from './client.ts';
import type { Connections } from './connections.ts';
import { describeKind, welcome } from './handshake.ts';
import { resetSchema } from './protocol-schemas.ts';
import type { Room } from './room.ts';
import type { TickLoop } from './tick-loop.ts';
import { tokensEqual } from './tokens.ts';
import type { EpisodeEnd } from './world-session.ts';

/**
 * The controller role: one client, authorised by the control token, supplies every slot's action
 * and gets each step's rewards, episode end and state back, so the server can be trained against
 * as an environment (agents/python's KdmarlParallelEnv). It holds every slot like an agent host
 * does, with no deadline (the world waits for it), and may reset the episode with a seed. The
 * step itself is the world's, as for agents.
 */
export class ControllerRole {
  private readonly room: Room;
  private readonly connections: Connections;
  private readonly ticks: TickLoop;
  private readonly agents: AgentSlots;
  private readonly control: (client: ServerClient, value: unknown) => void;
  /** The ended episode's last state and observations, read before the automatic reset. */
  private finalState = new Float32Array(0);
  private finalObservations = new Float32Array(0);
  private ended = false;

  constructor(room: Room, connections: Connections, ticks: TickLoop, agents: AgentSlots, control: (client: ServerClient, value: unknown) => void) {
    this.room = room;
    this.connections = connections;
    this.ticks = ticks;
    this.agents = agents;
    this.control = control;
  }

  hello(client: ServerClient, hello: Extract<Hello, { role: 'controller' }>): void {
    const { room, connections } = this;
    const world = room.world;
    if (!tokensEqual(hello.token, room.controlToken)) return connections.reject(client, CLOSE_CODES.badToken, 'bad controller token (the control token)');
    if (room.mode !== 'lockstep') return connections.reject(client, CLOSE_CODES.notAllowed, 'a controller needs a lockstep server (serve --mode lockstep)');
    if (client.handshakeTimer) clearTimeout(client.handshakeTimer);
    client.role = ROLES.controller;
    client.slots = world.sim.agentNames.map((_, i) => i);
    client.frameLimit = LIMITS.agentFrameBytesBase + LIMITS.agentFrameBytesPerSlot * client.slots.length;
    client.distributionCount = world.sim.actionCounts.reduce((sum, count) => sum + count, 0);
    client.bucket = new TokenBucket(LIMITS.agentRate, performance.now());
    const infos = client.slots.map((slot) => {
      // The scenario's default student views: what the in-process env gives.
      world.setStudentView(slot, world.compileStudentView(slot, undefined));
      const info = this.agents.claim(client, { slot, token: room.tokens[slot], caps: {}, policy: 'controller' }, undefined);
      room.slots.deadlineMs[slot] = Number.POSITIVE_INFINITY;
      return { ...info, deadlineMs: 0 };
    });
    room.buffers.layout(room.clients);
    this.ticks.refillIfInFlight();
    room.send(client, welcome(room, ROLES.controller, infos, true));
    this.ticks.joined(client);
  }

  message(client: ServerClient, value: unknown, now: number): void {
    if (Array.isArray(value)) return this.ticks.onAction(client, value, now);
    const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
    if (kind === 'reset') return this.reset(client, value);
    if (kind === 'control') return this.control(client, value);
    return this.connections.reject(client, CLOSE_CODES.badMessage, `controllers send action frames, reset and control messages, not '${describeKind(kind)}'`);
  }

  private reset(client: ServerClient, value: unknown): void {
    const { room, ticks } = this;
    const parsed = resetSchema.safeParse(value);
    if (!parsed.success) return this.connections.reject(client, CLOSE_CODES.badMessage, `bad reset message: ${describeZodError(parsed.error)}`);
    room.world.resetEpisode(parsed.data.seed);
    // The fresh episode's first observation frame goes out here, before the reply naming its round.
    if (ticks.inFlight) ticks.restartRound();
    else if (ticks.started) ticks.beginRound();
    const state = new Float32Array(room.world.sim.stateSize);
    room.world.writeState(state);
    room.send(client, { kind: 'reset', round: ticks.round, state } satisfies ResetReply);
  }

  hasController(): boolean {
    for (const client of this.room.clients) if (client.role === ROLES.controller && !client.closed) return true;
    return false;
  }

  /** The episode ended: keep its last state and observations before the world resets. */
  beforeReset(): void {
    if (!this.hasController()) return;
    const world = this.room.world;
    const sizes = world.studentViews.map((v) => v.size);
    const offsets = [0];
    for (const size of sizes) offsets.push(offsets[offsets.length - 1] + size);
    if (this.finalObservations.length !== offsets[sizes.length]) this.finalObservations = new Float32Array(offsets[sizes.length]);
    if (this.finalState.length !== world.sim.stateSize) this.finalState = new Float32Array(world.sim.stateSize);
    world.writeObservations(this.finalObservations, offsets, null, []);
    world.writeState(this.finalState);
    this.ended = true;
  }

  /** The step's result to every controller, before the next round's observations. */
  sendResult(tick: number, episode: number, t: number, end: EpisodeEnd | null): void {
    const { room } = this;
    const world = room.world;
    const rewards = new Float32Array(world.agentCount);
    world.writeRewards(rewards);
    let state: Float32Array;
    let final: Float32Array;
    if (end && this.ended) {
      state = this.finalState;
      final = this.finalObservations;
    } else {
      state = new Float32Array(world.sim.stateSize);
      world.writeState(state);
      final = NO_VALUES;
    }
    this.ended = false;
    const frame: ControllerResultFrame = [FRAME.result, tick, episode, t, rewards, end ? (end.terminated ? 1 : 2) : 0, end ? end.won : false, state, final, room.slots.missedThisTick];
    const bytes = room.packr.pack(frame);
    for (const client of room.clients) if (client.role === ROLES.controller && !client.closed) client.ws.send(bytes);
  }
}

const NO_VALUES = new Float32Array(0);
