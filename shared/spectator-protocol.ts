/**
 * The spectator part of the wire protocol: what the viewer renders and what replay files hold.
 * Re-exported by shared/protocol.ts, the network part; no runtime dependencies, so the viewer
 * bundles it as is.
 */
import type { EntityInfo } from './entity-info.ts';

/** Sent to a spectator after its handshake and again whenever the scenario changes. */
export type SceneMessage = {
  kind: 'scene';
  scenario: string;
  /** 'mpe' | 'smac' */
  family: string;
  /** [minX, minY, maxX, maxY] */
  bounds: [number, number, number, number];
  /** Simulated seconds per env step. */
  dt: number;
  maxSteps: number;
  entities: EntityInfo[];
  agents: SceneAgent[];
};

export type SceneAgent = {
  name: string;
  /** Index of this agent's entity in `entities`. */
  entity: number;
  actionCount: number;
  actionNames: string[];
  /** Feature labels of the teacher (full) view and of the agent's student view. */
  teacherLabels: string[];
  studentLabels: string[];
  /** Sight and attack ranges where the scenario has them (SMAC), else 0. */
  sightRange: number;
  attackRange: number;
};

/** One world snapshot for spectators, at the spectator's own rate (latest wins). */
export type SnapshotMessage = {
  kind: 'snap';
  tick: number;
  episode: number;
  /** Env step within the episode. */
  t: number;
  /** Server wall clock, ms, for interpolation. */
  time: number;
  positions: Float32Array;
  velocities: Float32Array;
  /** Per entity, fractions of maximum. */
  health: Float32Array;
  shield: Float32Array;
  /** Per entity: 1 alive, 0 dead. */
  alive: Uint8Array;
  /** Entity index pairs [src, dst, ...] of this tick's attacks and heals. */
  attacks: number[];
  heals: number[];
  score: { episodes: number; wins: number; losses: number; lastReturn: number; meanReturn: number };
  tickRate: number;
  paused: boolean;
  /** Per agent, in scene order. */
  agents: {
    connected: Uint8Array;
    lastAction: Int16Array;
    /** Median round trip (ms, observation sent to action received) of the slot's last 64 answers, as the server measured it. */
    latencyMs: Float32Array;
    /** Late, lost or offline decisions replaced by the fallback, since the scenario started. */
    misses: Int32Array;
    /** Answers that were not an allowed action (masked, out of range, ...) and were replaced; absent in replays recorded before it existed. */
    invalid?: Int32Array;
    flops: Float64Array;
  };
  /**
   * Optional, for streams that carry the method's structure (distillation's relation matrix and
   * k-means roles): row-major agents x agents coordination weights, a role index per agent and
   * the role names. The viewer draws them as its graph and role overlays when present.
   */
  relations?: Float32Array;
  roles?: Int32Array;
  roleNames?: string[];
  /**
   * Optional, sent with `relations` by a live server: every agent's latest action distribution
   * (what the relations and roles were computed from), concatenated in agent order, each agent's
   * actionCount values; zeros for an agent without one (its role is -1).
   */
  probabilities?: Float32Array;
  /**
   * Optional, only from simulations whose bodies turn (robot worlds): one angle per entity,
   * radians counter-clockwise from +x. Absent for MPE and SMAC.
   */
  rotations?: Float32Array;
  /**
   * Optional, only from simulations with lidar: the scans of the agents some spectator inspects,
   * of every agent while a spectator shows all lidar (`OverlaysMessage.lidar`) or while the
   * server records. Absent when no agent's scan is wanted.
   */
  lidar?: LidarReading[];
};

/**
 * One agent's lidar in a snapshot: ray j points at 2πj/readings.length plus the agent entity's
 * rotation (0 without `rotations`); `readings[j]` is the distance to the nearest body the lidar
 * sees along it, or `range` when it sees none.
 */
export type LidarReading = { agent: number; range: number; readings: Float32Array };

/** Replay files: concatenated msgpack values, a header then snapshot messages (see `kdmarl serve --record`). */
export const REPLAY_FORMAT = 'kdmarl-replay';
export type ReplayHeader = { kind: 'replay'; format: typeof REPLAY_FORMAT; version: number; scene: SceneMessage };
