import type { SnapshotMessage } from '../../shared/protocol.ts';
import type { SnapshotStructure } from './distributions.ts';
import type { WorldSession } from './world-session.ts';

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

  constructor(world: WorldSession, agents: AgentStatusArrays) {
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
    };
    this.world = world;
  }

  private readonly world: WorldSession;

  /**
   * `structure`: relations and roles from the agents' action distributions (the graph and role
   * overlays), or null to leave them out of this snapshot.
   */
  build(now: number, tickRate: number, paused: boolean, structure: SnapshotStructure | null = null): SnapshotMessage {
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
}

/** Snapshots carry liveness per entity; the simulation keeps it per agent, other entities count as alive unless dead by health. */
function aliveOfEntities(world: WorldSession): Uint8Array {
  const out = new Uint8Array(world.sim.entities.length);
  fillAlive(world, out);
  return out;
}

function fillAlive(world: WorldSession, out: Uint8Array): void {
  const sim = world.sim;
  const entities = sim.entities;
  for (let e = 0; e < entities.length; e++) {
    const agent = entities[e].agent;
    out[e] = agent >= 0 ? sim.alive[agent] : sim.health[e] > 0 ? 1 : 0;
  }
}
