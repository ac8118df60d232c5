/** VMAS's LINE_MIN_DIST: lines (and box edges) are capsules of this radius for contacts. */
export const LINE_CONTACT_RADIUS = 4 / 600;

export type ShapeSpec =
  | { kind: 'sphere'; radius: number }
  /** length along the body's local x, width along local y; solid (VMAS `hollow=False`). */
  | { kind: 'box'; length: number; width: number }
  /** A segment along local x, a capsule of radius LINE_CONTACT_RADIUS for contacts. */
  | { kind: 'line'; length: number };

export type BodySpec = {
  /** VMAS names: agent_0, goal_0, package, line, floor, passage_7, obstacle_0, wall_0 ... */
  name: string;
  shape: ShapeSpec;
  /** > 0 */
  mass: number;
  movable: boolean;
  rotatable: boolean;
  /** false: invisible to contacts and lidar. */
  collide: boolean;
  /**
   * Names of bodies this one never collides with (VMAS's `collision_filter` returning false).
   * Either side listing the other is enough to skip the pair.
   */
  ignores?: readonly string[];
};

export type WorldSpec = {
  dt: number;
  substeps: number;
  /** Velocity multiplier (1 - drag) applied once per env step, at substep 0. */
  drag: number;
  gravity: readonly [number, number];
  /** Position clamps (velocity kept); null = unbounded. */
  xSemidim: number | null;
  ySemidim: number | null;
  /** VMAS: 100 */
  collisionForce: number;
  /** VMAS: 1e-3, the softplus sharpness. */
  contactMargin: number;
};

/** VMAS's World defaults (core.py), for scenarios to spread and override. */
export const VMAS_WORLD_DEFAULTS: WorldSpec = {
  dt: 0.1,
  substeps: 1,
  drag: 0.25,
  gravity: [0, 0],
  xSemidim: null,
  ySemidim: null,
  collisionForce: 100,
  contactMargin: 1e-3,
};

export type PhysicsMode = 'vmas' | 'matter';

export interface RobotPhysics {
  readonly mode: PhysicsMode;
  readonly bodies: readonly BodySpec[];
  // State, struct of arrays indexed like `bodies`. Scenarios write them directly at reset and read them after step().
  readonly posX: Float64Array;
  readonly posY: Float64Array;
  readonly velX: Float64Array;
  readonly velY: Float64Array;
  readonly rot: Float64Array;
  readonly angVel: Float64Array;
  /** The action force/torque on each body for the next step (scenarios write agents' entries before step()). */
  readonly forceX: Float64Array;
  readonly forceY: Float64Array;
  readonly torque: Float64Array;
  /** Moment of inertia per body from its shape and mass (ROBOTS-REFERENCE 1.1). */
  readonly inertia: Float64Array;
  /** After the scenario moved bodies by hand (reset, rollout --init): sync any engine state. */
  syncFromState(): void;
  /** One env step: S substeps; drag once at substep 0; gravity m·g; contact forces; semi-implicit Euler; clamps. */
  step(): void;
  /**
   * Lidar of body `from`: `rays` distances (ray j at angle 2πj/rays + rot[from]), capped at `range`;
   * `sees[b]` = 1 for bodies it may hit. Writes out[offset..offset+rays).
   */
  lidar(from: number, rays: number, range: number, sees: Uint8Array, out: Float32Array, offset: number): void;
  /**
   * VMAS's World.get_distance(a, b): surface distance for the pair (negative when overlapping), as
   * VMAS's is_overlapping uses it, independent of `collide`.
   */
  distance(a: number, b: number): number;
  /** VMAS's World.is_overlapping(a, b). */
  overlapping(a: number, b: number): boolean;
}
