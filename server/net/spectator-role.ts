import { performance } from 'node:perf_hooks';
import { CLOSE_CODES, LIMITS, ROLES, type ProbabilitiesRequest } from '../../shared/protocol.ts';
import type { ControlReply } from '../../shared/session-messages.ts';
import type { Hello } from '../../shared/handshake-protocol.ts';
import { describeZodError } from '../../shared/zod-error.ts';
import type { ServerClient } from './client.ts';
import type { Connections } from './connections.ts';
import { probabilityKind } from './distributions.ts';
import { describeKind, welcome } from './handshake.ts';
import { controlSchema, inspectSchema, overlaysSchema } from './protocol-schemas.ts';
import type { Room } from './room.ts';
import type { SnapshotStream } from './snapshot-stream.ts';
import { tokensEqual } from './tokens.ts';

/** Applies a run control; returns an error message or null. */
export type ControlAction = (action: string, value?: number | string) => string | null;

/**
 * The spectator role (the viewer): the scene and snapshots at its own rate; with the control token
 * the run controls; inspection of one agent (both of its views, caps and its action distribution)
 * and the graph and role overlays, which make agents send their action distributions.
 */
export class SpectatorRole {
  private readonly room: Room;
  private readonly connections: Connections;
  private readonly stream: SnapshotStream;
  private readonly applyControl: ControlAction;
  private readonly currentRound: () => number;
  private inspected = new Uint8Array(0);

  constructor(room: Room, connections: Connections, stream: SnapshotStream, applyControl: ControlAction, currentRound: () => number) {
    this.room = room;
    this.connections = connections;
    this.stream = stream;
    this.applyControl = applyControl;
    this.currentRound = currentRound;
  }

  hello(client: ServerClient, hello: Extract<Hello, { role: 'spectator' }>): void {
    const room = this.room;
    if (client.handshakeTimer) clearTimeout(client.handshakeTimer);
    client.role = ROLES.spectator;
    client.frameLimit = LIMITS.spectatorFrameBytes;
    client.control = hello.token !== undefined && tokensEqual(hello.token, room.controlToken);
    const rate = clampNumber(hello.rate, 1, LIMITS.spectatorMaxHz, LIMITS.spectatorDefaultHz);
    client.snapshotIntervalMs = 1000 / rate;
    room.send(client, welcome(room, ROLES.spectator, [], client.control));
    room.send(client, room.world.scene());
    this.stream.sendTo(client, performance.now(), true);
  }

  message(client: ServerClient, value: unknown): void {
    const { room, connections } = this;
    const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
    if (kind === 'control') return this.control(client, value);
    if (kind === 'inspect') {
      const parsed = inspectSchema.safeParse(value);
      if (!parsed.success || parsed.data.agent >= room.world.agentCount) return connections.reject(client, CLOSE_CODES.badMessage, 'bad inspect request');
      client.inspecting = parsed.data.agent;
      client.inspectedAt = performance.now();
      this.updateDistributionRequests();
      return room.send(client, this.inspectReply(parsed.data.agent));
    }
    if (kind === 'overlays') {
      const parsed = overlaysSchema.safeParse(value);
      if (!parsed.success) return connections.reject(client, CLOSE_CODES.badMessage, `bad overlays message: ${describeZodError(parsed.error)}`);
      client.overlays = parsed.data.graph || parsed.data.roles;
      client.lidarAll = parsed.data.lidar === true;
      this.updateDistributionRequests();
      return;
    }
    if (Array.isArray(value) || kind === 'weights') return connections.reject(client, CLOSE_CODES.notAllowed, 'spectators cannot act');
    return connections.reject(client, CLOSE_CODES.badMessage, `spectators send control, inspect and overlays messages, not '${describeKind(kind)}'`);
  }

  /** A control message from a spectator or a supervisor: obeyed with the control token, answered either way. */
  control(client: ServerClient, value: unknown): void {
    const { room } = this;
    const parsed = controlSchema.safeParse(value);
    if (!parsed.success) return this.connections.reject(client, CLOSE_CODES.badMessage, `bad control message: ${describeZodError(parsed.error)}`);
    const control = parsed.data;
    const reply = (ok: boolean, error?: string): void => {
      const message: ControlReply = { kind: 'control', action: control.action, ok, ...(error ? { error } : {}) };
      room.send(client, message);
    };
    if (!tokensEqual(control.token, room.controlToken)) {
      room.count('controlRefused');
      room.log.warn({ client: client.id, action: control.action }, 'control refused: bad token');
      return reply(false, 'bad control token');
    }
    room.log.info({ client: client.id, action: control.action, value: control.value }, 'control');
    const error = control.action === 'speed' && control.hz !== undefined ? this.applyControl('hz', control.hz) : this.applyControl(control.action, control.value);
    reply(error === null, error ?? undefined);
  }

  private inspectReply(agent: number): Record<string, unknown> {
    const { world, slots } = this.room;
    const teacher = new Float32Array(world.teacherViews[agent].size);
    const student = new Float32Array(world.studentViews[agent].size);
    world.writeStudent(agent, student, 0);
    world.writeTeacherFromRaw(agent, teacher, 0);
    return {
      kind: 'inspect',
      agent,
      teacher,
      student,
      flopsCap: slots.caps[agent]?.flops ?? null,
      deadlineMs: slots.deadlineMs[agent],
      flops: slots.flops[agent],
      policy: slots.policy[agent],
      cpuCap: slots.caps[agent]?.cpu ?? null,
      memoryCapMb: slots.caps[agent]?.memoryMb ?? null,
      enforcement: slots.client[agent]?.enforcement ?? null,
      ...this.inspectedDistribution(agent),
    };
  }

  /** The inspected agent's action distribution (asked for by the inspection itself), or why there is none yet. */
  private inspectedDistribution(agent: number): Record<string, unknown> {
    const { world, slots, distributions } = this.room;
    const probs = distributions.of(agent, this.currentRound());
    if (probs) return { probs, probsKind: probabilityKind(slots.policy[agent]) };
    if (!slots.client[agent]) return { probs: null, probsNote: 'no agent holds this slot' };
    if (world.sim.alive[agent] !== 1) return { probs: null, probsNote: 'dead: no decisions' };
    return { probs: null, probsNote: 'asked the agent; arrives with its next answer' };
  }

  /**
   * Ask agent connections to start or stop sending action distributions: all of them while a
   * spectator shows the graph or role overlay, else only those holding an inspected agent
   * (an inspection lapses when the viewer stops renewing it). Only changes are sent.
   */
  updateDistributionRequests(): void {
    const room = this.room;
    const now = performance.now();
    const n = room.world.agentCount;
    if (this.inspected.length !== n) this.inspected = new Uint8Array(n);
    const inspected = this.inspected;
    inspected.fill(0);
    let structure = false;
    for (const client of room.clients) {
      if (client.role !== ROLES.spectator || client.closed) continue;
      if (client.overlays) structure = true;
      if (client.inspecting >= 0 && client.inspecting < n && now - client.inspectedAt < INSPECT_LAPSE_MS) inspected[client.inspecting] = 1;
    }
    room.structureWanted = structure;
    for (const client of room.clients) {
      if (client.role !== ROLES.agent || client.closed) continue;
      let want = structure;
      for (const s of client.slots) if (inspected[s] === 1) want = true;
      if (want === client.distributionsOn) continue;
      client.distributionsOn = want;
      room.send(client, { kind: 'probabilities', on: want } satisfies ProbabilitiesRequest);
    }
  }
}

/** The viewer renews an open inspection every 500 ms; without renewal the agent stops sending distributions. */
export const INSPECT_LAPSE_MS = 3000;

function clampNumber(value: number | undefined, min: number, max: number, fallback: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, value));
}
