import { performance } from 'node:perf_hooks';
import { LIMITS, ROLES } from '../../shared/protocol.ts';
import type { ServerClient } from './client.ts';
import type { AgentDistributions } from './distributions.ts';
import { ReplayRecorder } from './replay-recorder.ts';
import type { Room } from './room.ts';

/**
 * Spectator snapshots, latest wins: each spectator at its own rate, skipped while its socket is
 * backed up; the optional replay recording gets every tick's snapshot.
 */
export class SnapshotStream {
  private readonly room: Room;
  private readonly tickRate: () => number;
  private readonly currentRound: () => number;
  readonly recorder: ReplayRecorder | null;

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
    return room.snapshots.build(Date.now(), this.tickRate(), room.paused, this.structure());
  }

  /** Relations and roles for snapshots, only while a spectator shows them and distributions are coming in. */
  private structure(): ReturnType<AgentDistributions['compute']> {
    const room = this.room;
    return room.structureWanted ? room.distributions.compute(room.world.sim.alive, this.currentRound()) : null;
  }
}
