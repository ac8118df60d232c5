import { z } from 'zod';
import { scenarioBaseShape } from '../scenarios/schema.ts';

export const ROBOT_PHYSICS_MODES = ['vmas', 'matter'] as const;
export type RobotPhysicsMode = (typeof ROBOT_PHYSICS_MODES)[number];

/** What a lidar can be told to see: other robots, the scenario's walls, the file's obstacles, movable bodies. */
export const LIDAR_TARGETS = ['robots', 'walls', 'obstacles', 'bodies'] as const;
export type LidarTarget = (typeof LIDAR_TARGETS)[number];

/**
 * Bounds on every number that reaches the physics. VMAS's worlds span a few units; within these
 * bounds forces, speeds, distances and rewards stay finite (far inside float32) for any episode
 * length, so no file, init file or kwarg can put NaN or Infinity into the physics.
 */
export const ROBOT_LIMITS = {
  /** Largest length, coordinate, angle (rad), speed, range, force scale or gravity. */
  magnitude: 1e3,
  /** Masses lie in [mass, 1/mass]. */
  mass: 1e-3,
  /** Largest reward weight. */
  reward: 1e6,
} as const;

const { magnitude: MAX, mass: MIN_MASS, reward: MAX_REWARD } = ROBOT_LIMITS;
const signed = (what: string) => z.number().min(-MAX, `${what} must be within ±${MAX}`).max(MAX, `${what} must be within ±${MAX}`);
const point = z.tuple([signed('a coordinate'), signed('a coordinate')]);
const positive = (what: string) => z.number().positive(`${what} must be > 0`).max(MAX, `${what} must be at most ${MAX}`);
const massOf = (what: string) => z.number().positive(`${what} must be > 0`).min(MIN_MASS, `${what} must be at least ${MIN_MASS}`).max(1 / MIN_MASS, `${what} must be at most ${1 / MIN_MASS}`);
const weight = (what: string) => z.number().min(-MAX_REWARD, `${what} must be within ±${MAX_REWARD}`).max(MAX_REWARD, `${what} must be within ±${MAX_REWARD}`);

/** A shape in VMAS units: circle (VMAS Sphere), box (length along local x, width along y), segment (VMAS Line). */
export const shapeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('circle'), radius: positive('radius') }),
  z.strictObject({ kind: z.literal('box'), length: positive('length'), width: positive('width') }),
  z.strictObject({ kind: z.literal('segment'), length: positive('length') }),
]);
export type ShapeData = z.infer<typeof shapeSchema>;

/** A static wall or obstacle: never moves, collides with robots and bodies, seen by lidars that see its kind. */
const staticSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_]+$/, 'letters, digits and _ only'),
  /** 'wall' or 'obstacle': which lidar target kind it counts as. */
  kind: z.enum(['wall', 'obstacle']).default('obstacle'),
  shape: shapeSchema,
  pos: point,
  rot: signed('rot').default(0),
});
export type StaticData = z.infer<typeof staticSchema>;

/** An extra movable rigid body (a crate, a plank): pushed by robots, seen by lidars that see 'bodies'. */
const bodySchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_]+$/, 'letters, digits and _ only'),
  shape: shapeSchema,
  mass: massOf('mass'),
  rotatable: z.boolean().default(false),
  pos: point,
  rot: signed('rot').default(0),
});
export type BodyData = z.infer<typeof bodySchema>;

const lidarSchema = z.strictObject({
  rays: z.number().int('rays must be a whole number').min(1, 'a lidar needs at least 1 ray').max(360),
  range: positive('range'),
  sees: z.array(z.enum(LIDAR_TARGETS)).min(1, 'a lidar must see something'),
});
export type LidarData = z.infer<typeof lidarSchema>;

/**
 * A group of identical robots. `holonomic`: the action is a force per axis (VMAS's default).
 * `diff_drive`: the action is a forward-speed and a yaw-rate command (VMAS's DiffDrive, RK4).
 */
export const robotGroupSchema = z.strictObject({
  /** The robots' type name: entity type for viewers and `studentViews.byType`. */
  type: z.string().regex(/^[A-Za-z0-9_]+$/, 'letters, digits and _ only').default('robot'),
  count: z.number().int().min(1).max(256),
  dynamics: z.enum(['holonomic', 'diff_drive'], { error: "unknown dynamics: use 'holonomic' or 'diff_drive'" }),
  radius: positive('radius'),
  mass: massOf('mass').default(1),
  /** VMAS u_range: the largest action magnitude per axis before the multiplier. */
  uRange: positive('uRange').default(1),
  /** VMAS u_multiplier: force (holonomic) or command (diff drive) = action × uRange × uMultiplier. */
  uMultiplier: positive('uMultiplier').default(1),
  lidar: lidarSchema.nullable().default(null),
});
export type RobotGroup = z.infer<typeof robotGroupSchema>;

const worldSchema = z
  .strictObject({
    /** Physics substeps per 0.1 s env step; absent: the scenario's VMAS value. */
    substeps: z.number().int().min(1).max(100).optional(),
    /** Absent: the scenario's VMAS value (only balance has gravity). */
    gravity: point.optional(),
    /** Position clamps |x| ≤ x, |y| ≤ y (null: unbounded); absent: the scenario's VMAS value. */
    bounds: z.strictObject({ x: positive('bounds.x').nullable(), y: positive('bounds.y').nullable() }).optional(),
    statics: z.array(staticSchema).default([]),
    bodies: z.array(bodySchema).default([]),
  })
  .default({ statics: [], bodies: [] });
export type WorldData = z.infer<typeof worldSchema>;

const common = {
  ...scenarioBaseShape,
  family: z.literal('robots'),
  /** 'vmas' reproduces VMAS's step exactly; 'matter' runs the same task on matter-js. */
  physics: z.enum(ROBOT_PHYSICS_MODES).default('vmas'),
  /** Robot groups in agent order (agent_0 is the first robot of the first group). */
  robots: z.array(robotGroupSchema).min(1),
  world: worldSchema,
};

/** Scenario parameters carry VMAS's scenario kwargs under VMAS's own names, so `scenario_kwargs` maps one to one. */
const navigationParams = z
  .strictObject({
    shared_rew: z.boolean().default(false),
    pos_shaping_factor: weight('pos_shaping_factor').default(1),
    final_reward: weight('final_reward').default(0.01),
    agent_collision_penalty: weight('agent_collision_penalty').default(-1),
    collisions: z.boolean().default(true),
    world_spawning_x: positive('world_spawning_x').default(1),
    world_spawning_y: positive('world_spawning_y').default(1),
    enforce_bounds: z.boolean().default(false),
    /** The goal's radius: on_goal (the final reward) needs a robot centre within it. */
    goal_radius: positive('goal_radius').default(0.05),
    /**
     * Not a VMAS kwarg: the distance the shaping pays for. 'euclidean' is VMAS's straight distance to
     * the goal; 'path' is the shortest path around the statics inflated by the robot's radius
     * (server/robots/path-distance.ts), so a detour around an obstacle is paid for instead of being a
     * dip in the reward. Success and the final reward still use the straight distance.
     */
    pos_shaping: z.enum(['euclidean', 'path'], { error: "pos_shaping must be 'euclidean' (VMAS) or 'path'" }).default('euclidean'),
    /**
     * Not a VMAS kwarg: a 'path' block in each robot's full view, after the goal: the unit direction
     * of the shortest path around the statics from where the robot stands (the straight direction
     * once the goal is in sight) and that path's length. Map knowledge a robot's own sensors do not
     * give: for teachers; a student view leaves the block out.
     */
    path_hint: z.boolean().default(false),
  })
  .prefault({});

const transportParams = z
  .strictObject({
    n_packages: z.number().int().min(1).max(8).default(1),
    package_width: positive('package_width').default(0.15),
    package_length: positive('package_length').default(0.15),
    package_mass: massOf('package_mass').default(50),
    /**
     * Not a VMAS kwarg: each robot is also paid this weight × the decrease of its distance to the
     * push point of the nearest package not on the goal (the point just behind it, on the side away
     * from the goal, where a robot touching it pushes it goalwards). VMAS pays nothing for reaching
     * the package, so a random policy almost never touches it and learns to keep away (docs/robots.md);
     * a potential, so it changes no optimal policy of the undiscounted task. 0 is VMAS's reward.
     */
    approach_shaping: weight('approach_shaping').default(0),
  })
  .prefault({});

const passageParams = z
  .strictObject({
    n_passages: z.number().int().min(1, 'n_passages must be 1 to 20').max(20, 'n_passages must be 1 to 20').default(1),
    shared_reward: z.boolean().default(false),
    /**
     * Not a VMAS kwarg: how collision penalties enter a shared reward. 'cumulative' is VMAS's own
     * (it subtracts each robot's penalty in place from the one shared tensor, so robot k receives
     * the penalties of robots 0..k); 'own' gives each robot the shared shaping plus its own penalty.
     * Without shared_reward every robot gets only its own penalty either way. The same in both
     * physics modes.
     */
    shared_penalty: z.enum(['cumulative', 'own'], { error: "shared_penalty must be 'cumulative' (VMAS) or 'own'" }).default('cumulative'),
    /**
     * Not a VMAS kwarg: the distance the shaping pays for. 'euclidean' is VMAS's straight distance
     * to the goal, which on the far side of the wall pays for walking into it; 'path' runs through
     * the gap that makes it shortest (to the gap's opening on this side, across the wall, then
     * straight to the goal), so the way through a gap is paid for. The reward is the decrease of
     * either distance, a potential, so the choice changes no optimal policy of the undiscounted
     * task; success still uses the straight distance.
     */
    pos_shaping: z.enum(['euclidean', 'path'], { error: "pos_shaping must be 'euclidean' (VMAS) or 'path'" }).default('euclidean'),
    /**
     * Not a VMAS kwarg: the reward per step for each robot or wall box a robot overlaps. VMAS's is
     * −10, which the gap's 0.0515 clearance makes hard to avoid while going through it; a smaller
     * charge while learning lets the way through be found. Success does not depend on it.
     */
    collision_penalty: weight('collision_penalty').max(0, 'collision_penalty must be ≤ 0').default(-10),
    /**
     * Not a VMAS kwarg: paid to every robot on the step all robots are home (the success). VMAS pays
     * none: its shaping is a potential, so once home a robot gains nothing from the episode ending
     * and nothing teaches the five to be within half a radius of their goals at once. 0 is VMAS's.
     */
    final_reward: weight('final_reward').min(0, 'final_reward must be ≥ 0').default(0),
  })
  .prefault({});

const balanceParams = z
  .strictObject({
    package_mass: massOf('package_mass').default(5),
    random_package_pos_on_line: z.boolean().default(true),
  })
  .prefault({});

export const robotsScenarioSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...common, kind: z.literal('navigation'), params: navigationParams }),
  z.strictObject({ ...common, kind: z.literal('transport'), params: transportParams }),
  z.strictObject({ ...common, kind: z.literal('passage'), params: passageParams }),
  z.strictObject({ ...common, kind: z.literal('balance'), params: balanceParams }),
]);
export type RobotsScenarioFile = z.infer<typeof robotsScenarioSchema>;
export type NavigationFile = Extract<RobotsScenarioFile, { kind: 'navigation' }>;
export type TransportFile = Extract<RobotsScenarioFile, { kind: 'transport' }>;
export type PassageFile = Extract<RobotsScenarioFile, { kind: 'passage' }>;
export type BalanceFile = Extract<RobotsScenarioFile, { kind: 'balance' }>;
