/**
 * The wire protocol between the server and its clients (agent processes, the supervisor, the
 * viewer). One source of truth: every constant and message shape lives here. Frames are binary,
 * msgpack-encoded with `shared/codec.ts` (typed arrays stay typed arrays).
 *
 * The network issue extends this file (handshake, observation, action, supervisor and control
 * messages); the spectator part below is what the viewer renders and what replay files hold.
 */
import type { EntityInfo } from '../server/env/simulation.ts';

export const PROTOCOL_VERSION = 1;

export const ROLES = { agent: 'agent', supervisor: 'supervisor', spectator: 'spectator' } as const;
export type Role = (typeof ROLES)[keyof typeof ROLES];

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
    /** Median decision latency (ms) over the last episode window, as the server measured it. */
    latencyMs: Float32Array;
    misses: Int32Array;
    flops: Float64Array;
  };
};

/** Replay files: concatenated msgpack values, a header then snapshot messages (see `kdmarl serve --record`). */
export const REPLAY_FORMAT = 'kdmarl-replay';
export type ReplayHeader = { kind: 'replay'; format: typeof REPLAY_FORMAT; version: number; scene: SceneMessage };
