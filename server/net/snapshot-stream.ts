import { performance } from 'node:perf_hooks';
import { LIMITS, ROLES } from '../../shared/protocol.ts';
import type { ServerClient } from './client.ts';
import type { AgentDistributions } from './distributions.ts';
import { ReplayRecorder } from './replay-recorder.ts';
import type { Room } from './room.ts';
import { INSPECT_LAPSE_MS } from './spectator-role.ts';

/** What decides whose lidar a snapshot carries: a spectator's toggle and its inspection. */
export type LidarSpectator = Pick<ServerClient, 'role' | 'closed' | 'lidarAll' | 'inspecting' | 'inspectedAt'>;

/**
 * Per agent, 1 where snapshots should carry its lidar scan: every agent while recording or while a
 * spectator shows all lidar, else the agents spectators inspect (an inspection lapses unrenewed).
 * Written into `out`; returns null when no agent's scan is wanted.
 */
export function wantedLidar(clients: Iterable<LidarSpectator>, now: number, recording: boolean, out: Uint8Array): Uint8Array | null {
  out.fill(recording ? 1 : 0);
  if (recording) return out;
  let any = false;
  for (const client of clients) {
    if (client.role !== ROLES.spectator || client.closed) continue;
    if (client.lidarAll) {
      out.fill(1);
      return out;
    }
    const agent = client.inspecting;
    if (agent >= 0 && agent < out.length && now - client.inspectedAt < INSPECT_LAPSE_MS) {
      out[agent] = 1;
      any = true;
    }
  }
  return any ? out : null;
}

/**
 * Spectator snapshots, latest wins: each spectator at its own rate, skipped while its socket is
 * backed up; the optional replay recording gets every tick's snapshot.
 */
export class SnapshotStream {
  private readonly room: Room;
  private readonly tickRate: () => number;
  private readonly currentRound: () => number;
  readonly recorder: ReplayRecorder | null;
  private lidarWanted = new Uint8Array(0);

  constructor(room: Room, tickRate: () => number, currentRound: () => number) {
    this.room = room;
    this.tickRate = tickRate;
    this.currentRound = currentRound;
    this.recorder = room.options.record ? new ReplayRecorder(room.options.record) : null;
  }

  /** A new scene (start or scenario switch): into the recording and to every spectator. */
  newScene(): void {
    const scene = this.room.world.scene();
    this.recorder?.startScene(scene);
    for (const client of this.room.clients) if (client.role === ROLES.spectator) this.room.send(client, scene);
  }

  /** After a step: every spectator whose interval has passed, and the recording. */
  afterStep(now: number): void {
    if (!this.recorder && this.room.countRole(ROLES.spectator) === 0) return;
    let bytes: Buffer | null = null;
    const snapshot = (): Buffer => {
      if (!bytes) {
        const message = this.build();
        bytes = this.room.packr.pack(message);
        this.recorder?.write(message);
      }
      return bytes;
    };
    if (this.recorder) snapshot();
    for (const client of this.room.clients) {
      if (client.role !== ROLES.spectator || client.closed) continue;
      if (now - client.lastSnapshotAt < client.snapshotIntervalMs) continue;
      if (client.ws.bufferedAmount > LIMITS.spectatorBufferedBytes) {
        // Latest wins: this one is skipped, the next due snapshot is the current world.
        client.skippedSnapshots++;
        continue;
      }
      client.lastSnapshotAt = now;
      client.ws.send(snapshot());
    }
  }

  sendTo(client: ServerClient, now: number, force: boolean): void {
    if (!force && client.ws.bufferedAmount > LIMITS.spectatorBufferedBytes) return;
    client.lastSnapshotAt = now;
    client.ws.send(this.room.packr.pack(this.build()));
  }

  /** Paused or idle worlds still tell spectators so (once a second). */
  idle(): void {
    const now = performance.now();
    for (const client of this.room.clients) {
      if (client.role !== ROLES.spectator || client.closed) continue;
      if (now - client.lastSnapshotAt >= 1000) this.sendTo(client, now, false);
    }
  }

  private build(): ReturnType<Room['snapshots']['build']> {
    const room = this.room;
    room.slots.updateLatencyMedians();
    return room.snapshots.build(Date.now(), this.tickRate(), room.paused, this.structure(), this.lidar());
  }

  /** Whose lidar scans go into this snapshot; nothing is looked at when the simulation has no lidar. */
  private lidar(): Uint8Array | null {
    const room = this.room;
    if (!room.world.sim.lidar) return null;
    if (this.lidarWanted.length !== room.world.agentCount) this.lidarWanted = new Uint8Array(room.world.agentCount);
    return wantedLidar(room.clients, performance.now(), this.recorder !== null, this.lidarWanted);
  }

  /** Relations and roles for snapshots, only while a spectator shows them and distributions are coming in. */
  private structure(): ReturnType<AgentDistributions['compute']> {
    const room = this.room;
    return room.structureWanted ? room.distributions.compute(room.world.sim.alive, this.currentRound()) : null;
  }
}
