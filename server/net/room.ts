import type { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { createPackr } from '../../shared/codec.ts';
import { ROLES } from '../../shared/protocol.ts';
import type { Fallback, TickMode } from '../../shared/handshake-protocol.ts';
import type { ServerClient } from './client.ts';
import { AgentDistributions } from './distributions.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import { ObservationBuffers } from './observation-buffers.ts';
import { SlotTable } from './slot-table.ts';
import { SnapshotBuilder } from './snapshot-builder.ts';
import type { TlsFiles } from './tls-listener.ts';
import type { EpisodeEnd, WorldSession } from './world-session.ts';

export type HttpHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

export type NetServerOptions = {
  scenario: string;
  /** `params.numAgents` override (spread-like scenarios). */
  agents?: number;
  host?: string;
  /** 0 = ephemeral. */
  port?: number;
  mode?: TickMode;
  /** Realtime tick rate. */
  hz?: number;
  /** Default per-agent deadline (ms) when an agent declares none. */
  deadlineMs?: number;
  fallback?: Fallback;
  seed?: number;
  /** Slot tokens in agent order; generated when absent. */
  tokens?: string[];
  controlToken?: string;
  /** Hold the first tick until every slot is claimed (default true). */
  waitForAgents?: boolean;
  heartbeatMs?: number;
  handshakeTimeoutMs?: number;
  /** Realtime: most steps run back to back to catch up after a stall before time is dropped. */
  maxCatchUp?: number;
  record?: string;
  httpHandler?: HttpHandler;
  /** Serve wss:// and https:// with this certificate and key (server/net/tls-listener.ts). */
  tls?: TlsFiles;
  logger?: Logger;
};

export type ServerEvents = {
  listening: [url: string];
  tick: [tick: number];
  episode: [end: EpisodeEnd];
  claim: [slot: number, reconnect: boolean];
  release: [slot: number];
  rejected: [code: number, reason: string, role: string | null];
  scenario: [name: string, tokens: string[]];
  weightsAck: [ack: Record<string, unknown>];
  /** Every client closed and the port released. */
  closed: [];
};

/**
 * The state every part of the server shares: the world and its slots, the connected clients, the
 * run settings and counters. The parts (connections, roles, tick loop, streams) each own their
 * behaviour and read and write this.
 */
export class Room {
  readonly options: NetServerOptions;
  readonly log: Logger;
  readonly events: EventEmitter<ServerEvents>;
  readonly packr = createPackr();
  readonly clients = new Set<ServerClient>();
  readonly controlToken: string;
  readonly baseHz: number;
  readonly defaultDeadlineMs: number;
  readonly roundTrips = new LatencyHistogram();
  /** Closed clients by reason (close code names and other counted refusals). */
  readonly rejected: Record<string, number> = {};
  world!: WorldSession;
  tokens: string[] = [];
  slots!: SlotTable;
  buffers!: ObservationBuffers;
  snapshots!: SnapshotBuilder;
  distributions!: AgentDistributions;
  mode: TickMode;
  hz: number;
  paused = false;
  closing = false;
  /** Answers received over all slots, and live agent-ticks (decisions that were due: the miss rate's denominator). */
  decisions = 0;
  due = 0;
  /** Realtime steps dropped after falling too far behind. */
  deferredSteps = 0;
  /** Some spectator shows the graph or role overlay: snapshots carry relations and roles. */
  structureWanted = false;

  constructor(options: NetServerOptions, log: Logger, events: EventEmitter<ServerEvents>, controlToken: string) {
    this.options = options;
    this.log = log;
    this.events = events;
    this.controlToken = controlToken;
    this.mode = options.mode ?? 'lockstep';
    this.baseHz = options.hz ?? 10;
    this.hz = this.baseHz;
    this.defaultDeadlineMs = options.deadlineMs ?? 50;
  }

  /** Start over with a (new) world: fresh slots, buffers and counters. */
  useWorld(world: WorldSession, tokens: string[]): void {
    this.world = world;
    this.tokens = tokens;
    this.slots = new SlotTable(world.agentCount, this.defaultDeadlineMs);
    this.buffers = new ObservationBuffers(world);
    this.buffers.layout(this.clients);
    this.snapshots = this.snapshotBuilder();
    this.distributions = new AgentDistributions(world.sim.actionNames ?? [], world.sim.actionCounts, world.maskOffsets);
    this.roundTrips.clear();
    this.decisions = 0;
    this.due = 0;
  }

  /** The world's simulation was replaced (same spaces): snapshots read the new one's arrays. */
  simulationChanged(): void {
    this.buffers.layout(this.clients);
    this.snapshots = this.snapshotBuilder();
  }

  private snapshotBuilder(): SnapshotBuilder {
    const slots = this.slots;
    return new SnapshotBuilder(this.world, { connected: slots.connected, latencyMs: slots.latencyMedian, misses: slots.misses, invalid: slots.invalid, flops: slots.flops });
  }

  send(client: ServerClient, message: unknown): void {
    if (client.closed || client.ws.readyState !== client.ws.OPEN) return;
    client.ws.send(this.packr.pack(message));
  }

  count(reason: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
  }

  /** Open clients with this role. */
  countRole(role: string): number {
    let count = 0;
    for (const client of this.clients) if (client.role === role && !client.closed) count++;
    return count;
  }

  hasSupervisor(): boolean {
    for (const client of this.clients) if (client.role === ROLES.supervisor && !client.closed) return true;
    return false;
  }

  /** Teacher views cost a second view per agent per tick: only when a supervisor asked for them. */
  wantsTeacher(): boolean {
    for (const client of this.clients) if (client.role === ROLES.supervisor && !client.closed && client.teacherObservations) return true;
    return false;
  }
}
