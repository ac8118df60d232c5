import type { Rng } from '../../shared/rng.ts';
import type { ObservationLayout, RawObservation } from './layout.ts';
import type { EpisodeMetrics } from './episode-metrics.ts';

import type { EntityInfo } from '../../shared/entity-info.ts';

export type { EntityInfo, EpisodeMetrics };

/**
 * One agent's lidar after a step: `readings[j]` is the distance along ray j, at angle
 * 2πj/rays plus the agent's rotation, to the nearest body the lidar sees, or `range` when none.
 */
export type LidarScan = { readonly rays: number; readonly range: number; readonly readings: Float32Array };

/**
 * Per-step events worth drawing or counting: attacks (source shoots target), heals.
 * Filled by the simulation during `step`, cleared at the start of each step.
 */
export type StepEvents = {
  /** Pairs of entity indices [source0, target0, source1, target1, ...]. */
  attacks: number[];
  heals: number[];
};

/**
 * The contract a scenario family implements. Indexed and allocation-free on the hot path: the
 * PettingZoo-style `ParallelEnv`, the vectorised env, the network server and the viewer all sit on
 * top of it. Every array here is owned by the simulation and rewritten in place.
 */
export interface Simulation {
  /** Agent names in PettingZoo order ('agent_0', 'speaker_0', ...). */
  readonly agentNames: readonly string[];
  /** Number of discrete actions per agent. */
  readonly actionCounts: readonly number[];
  /** The full (teacher) observation layout per agent; `layouts[i].size` is agent i's obs size. */
  readonly layouts: readonly ObservationLayout[];
  readonly stateSize: number;
  /** Episode length in env steps; reaching it truncates the episode unless the simulation terminates there itself. */
  readonly maxSteps: number;
  /** Seconds of simulated time per env step. */
  readonly dt: number;
  /** The action used for a late, missing or invalid action of a live agent (MPE no-op, SMAC stop). */
  readonly defaultAction: readonly number[];
  /** The only action a dead agent may take (0). */
  readonly deadAction: number;
  /** Entities in a fixed order; positions and velocities below are indexed the same way. */
  readonly entities: readonly EntityInfo[];
  /** World bounds for viewers: [minX, minY, maxX, maxY]. */
  readonly bounds: readonly [number, number, number, number];
  /** Human-readable action names per agent (viewer, logs). Optional: indices are shown otherwise. */
  readonly actionNames?: readonly (readonly string[])[];
  /** Sight and attack ranges per agent where the scenario has them (SMAC); optional. */
  readonly ranges?: readonly { readonly sight: number; readonly attack: number }[];

  // --- dynamic state, valid after reset / step ---
  /** 1 while the agent is alive. MPE agents never die. */
  readonly alive: Uint8Array;
  /** x0, y0, x1, y1, ... per entity. */
  readonly positions: Float32Array;
  readonly velocities: Float32Array;
  /** One angle per entity (radians, counter-clockwise from +x) where bodies turn (robot worlds); absent otherwise. */
  readonly rotations?: Float32Array;
  /** One angular velocity per entity (radians per second) where bodies turn; absent otherwise. */
  readonly angularVelocities?: Float32Array;
  /** Per agent, its lidar (null for an agent without one), filled after each step; absent in scenarios without lidar. */
  readonly lidar?: readonly (LidarScan | null)[];
  /** Health and shield as fractions of their maximum per entity (1 for entities without health). */
  readonly health: Float32Array;
  readonly shield: Float32Array;
  readonly events: StepEvents;
  /** Env steps taken in this episode. */
  readonly t: number;
  /**
   * True once the episode ended by its own rules (all enemies or all allies dead). A simulation
   * whose rules end the episode at maxSteps (SMAC's clock: continuing_episode False) sets it at
   * the limit too, and the env then reports a termination (no bootstrap), not a truncation.
   */
  readonly terminated: boolean;
  /** Team outcome when terminated: 1 win, 0 loss or draw. */
  readonly won: boolean;

  /** Start a new episode. The simulation draws every random number from `rng`. */
  reset(rng: Rng): void;
  /**
   * Advance one env step. `actions[i]` is already valid for agent i (the env wrapper checks masks
   * and ranges). Writes each agent's reward into `rewards[i]`.
   */
  step(actions: Int32Array, rewards: Float32Array): void;
  /** Fill agent i's raw observation table (its full view). A dead agent's table may be left stale: views zero it. */
  observe(agent: number, out: RawObservation): void;
  /** Write agent i's action mask (1 = allowed) at `out[offset ..]`. A dead agent allows only `deadAction`. */
  writeMask(agent: number, out: Uint8Array, offset: number): void;
  /** Write the global state for the centralized critic at `out[offset ..]`. */
  writeState(out: Float32Array, offset: number): void;
  /**
   * Place entities at given positions and velocities (rollout `--init`), and optionally fix each
   * agent's goal landmark. Names not known throw.
   */
  setInitialState(init: InitialState): void;
  /**
   * The scenario's own measures of the episode as it stands (call at its end): battle ends,
   * landmarks covered, goal distance. An empty object when the scenario defines none.
   */
  episodeMetrics(): EpisodeMetrics;
  /** What `episodeMetrics().success` measures, in words, where the scenario has a success measure. */
  readonly successMeasure?: string;
}

export type InitialState = {
  /** Per entity name: position, velocity, and for bodies that turn (robot worlds) angle and angular velocity. */
  entities?: Record<string, { pos?: readonly [number, number]; vel?: readonly [number, number]; rot?: number; ang_vel?: number }>;
  goals?: Record<string, string>;
};
