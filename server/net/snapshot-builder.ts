import type { LidarReading, SnapshotMessage } from '../../shared/protocol.ts';
import type { Simulation } from '../env/simulation.ts';
import type { SnapshotStructure } from './distributions.ts';
import type { WorldSession } from './world-session.ts';

/** What a snapshot reads from the simulation. */
export type SnapshotSimulation = Pick<
  Simulation,
  'entities' | 'alive' | 'positions' | 'velocities' | 'health' | 'shield' | 'events' | 't' | 'rotations' | 'lidar'
>;

/** What a snapshot reads from the running world (a WorldSession). */
export type SnapshotWorld = Pick<
  WorldSession,
  'tick' | 'episode' | 'agentCount' | 'episodes' | 'wins' | 'losses' | 'lastReturn' | 'meanReturn' | 'lastAction'
> & { readonly sim: SnapshotSimulation };

export type AgentStatusArrays = {
  connected: Uint8Array;
  latencyMs: Float32Array;
  misses: Int32Array;
  invalid: Int32Array;
  flops: Float64Array;
};

/**
 * Builds spectator snapshots into one reused message object. The simulation's own arrays are put
 * in by reference: the message is encoded synchronously right after `build`, so nothing is copied.
 */
export class SnapshotBuilder {
  private readonly message: SnapshotMessage;
  private readonly lastAction: Int16Array;
  /** Reused lidar entries per agent, and the list of those a snapshot carries. */
  private readonly lidarEntries: (LidarReading | undefined)[] = [];
  private readonly lidarList: LidarReading[] = [];

  constructor(world: SnapshotWorld, agents: AgentStatusArrays) {
    const sim = world.sim;
    this.lastAction = new Int16Array(world.agentCount);
    this.message = {
      kind: 'snap',
      tick: 0,
      episode: 0,
      t: 0,
      time: 0,
      positions: sim.positions,
      velocities: sim.velocities,
      health: sim.health,
      shield: sim.shield,
      alive: aliveOfEntities(world),
      attacks: sim.events.attacks,
      heals: sim.events.heals,
      score: { episodes: 0, wins: 0, losses: 0, lastReturn: 0, meanReturn: 0 },
      tickRate: 0,
      paused: false,
      agents: {
        connected: agents.connected,
        lastAction: this.lastAction,
        latencyMs: agents.latencyMs,
        misses: agents.misses,
        invalid: agents.invalid,
        flops: agents.flops,
      },
      // Only robot worlds have the key at all: MPE and SMAC snapshots stay as they were.
      ...(sim.rotations ? { rotations: sim.rotations } : {}),
    };
    this.world = world;
  }

  private readonly world: SnapshotWorld;

  /**
   * `structure`: relations and roles from the agents' action distributions (the graph and role
   * overlays), or null to leave them out of this snapshot. `lidar`: per agent, 1 where the
   * snapshot should carry its scan (see `wantedLidar`), or null for none.
   */
  build(now: number, tickRate: number, paused: boolean, structure: SnapshotStructure | null = null, lidar: Uint8Array | null = null): SnapshotMessage {
    const world = this.world;
    const sim = world.sim;
    const m = this.message;
    m.tick = world.tick;
    m.episode = world.episode;
    m.t = sim.t;
    m.time = now;
    // Arrays a simulation may replace on reset are re-read each time.
    m.positions = sim.positions;
    m.velocities = sim.velocities;
    m.health = sim.health;
    m.shield = sim.shield;
    m.attacks = sim.events.attacks;
    m.heals = sim.events.heals;
    if (sim.rotations) m.rotations = sim.rotations;
    this.fillLidar(lidar);
    fillAlive(world, m.alive);
    for (let i = 0; i < world.agentCount; i++) this.lastAction[i] = world.lastAction(i);
    m.score.episodes = world.episodes;
    m.score.wins = world.wins;
    m.score.losses = world.losses;
    m.score.lastReturn = world.lastReturn;
    m.score.meanReturn = world.meanReturn;
    m.tickRate = tickRate;
    m.paused = paused;
    if (structure) {
      m.relations = structure.relations;
      m.roles = structure.roles;
      m.roleNames = structure.roleNames;
      m.probabilities = structure.probabilities;
    } else if (m.relations !== undefined) {
      // Deleted, not set to undefined: msgpack would still write the keys.
      delete m.relations;
      delete m.roles;
      delete m.roleNames;
      delete m.probabilities;
    }
    return m;
  }

  /** The wanted agents' scans, by reference (the message is encoded before the next step). */
  private fillLidar(wanted: Uint8Array | null): void {
    const m = this.message;
    const scans = this.world.sim.lidar;
    const list = this.lidarList;
    list.length = 0;
    if (scans && wanted) {
      for (let i = 0; i < scans.length; i++) {
        const scan = scans[i];
        if (!scan || wanted[i] !== 1) continue;
        const entry = (this.lidarEntries[i] ??= { agent: i, range: scan.range, readings: scan.readings });
        entry.range = scan.range;
        entry.readings = scan.readings;
        list.push(entry);
      }
    }
    if (list.length > 0) m.lidar = list;
    else if (m.lidar !== undefined) delete m.lidar;
  }
}

/** Snapshots carry liveness per entity; the simulation keeps it per agent, other entities count as alive unless dead by health. */
function aliveOfEntities(world: SnapshotWorld): Uint8Array {
  const out = new Uint8Array(world.sim.entities.length);
  fillAlive(world, out);
  return out;
}

function fillAlive(world: SnapshotWorld, out: Uint8Array): void {
  const sim = world.sim;
  const entities = sim.entities;
  for (let e = 0; e < entities.length; e++) {
    const agent = entities[e].agent;
    out[e] = agent >= 0 ? sim.alive[agent] : sim.health[e] > 0 ? 1 : 0;
  }
}
