import type { Rng } from '../../shared/rng.ts';
import { makeLayout, type ObservationBlock, type ObservationLayout, type RawObservation } from '../env/layout.ts';
import type { EntityInfo, InitialState, LidarScan, Simulation, StepEvents } from '../env/simulation.ts';
import type { EpisodeMetrics } from '../env/episode-metrics.ts';
import { applyDiffDrive, createRobotPhysics, type RobotPhysics, type WorldSpec } from './physics/index.ts';
import { circumradius, expandRobots, extraBody, robotBody, staticBody, type RobotAgent, type RobotBody } from './bodies.ts';
import { ROBOT_LIMITS, type RobotPhysicsMode, type RobotsScenarioFile } from './schema.ts';
import { ACTION_COUNT, actionNames, axisValue } from './actions.ts';
import { Placement } from './placement.ts';

export type RobotSetup = {
  /** Bodies the scenario adds after the robots, in VMAS's creation order (goals, packages, walls). */
  scenarioBodies: RobotBody[];
  /** The scenario's VMAS world (substeps, gravity, bounds); the file's `world` overrides it. */
  world: WorldSpec;
  /** Robots collide with each other and with everything (navigation's `collisions` can turn it off). */
  robotsCollide: boolean;
  /** Observation blocks of each agent before its lidar, in the reference's order. */
  blocks: (agent: number, self: ObservationBlock) => ObservationBlock[];
  stateSize: number;
  /** Half-width of the area bodies start in, for viewers' bounds when the world is unbounded. */
  viewSpan: number;
};

/**
 * What every robot scenario shares: bodies and physics from the file, the 9 discrete actions
 * (holonomic forces or diff-drive commands), lidars, episode bookkeeping and the Simulation
 * arrays. Scenarios place bodies, score steps, and write their observation blocks and state.
 * Rewards are computed before observations, agent 0's call first, as VMAS does.
 */
export abstract class RobotSimulation implements Simulation {
  readonly agentNames: readonly string[];
  readonly actionCounts: readonly number[];
  readonly actionNames: readonly (readonly string[])[];
  readonly layouts: readonly ObservationLayout[];
  readonly stateSize: number;
  readonly maxSteps: number;
  readonly dt: number;
  readonly defaultAction: readonly number[];
  readonly deadAction = 0;
  readonly entities: readonly EntityInfo[];
  readonly bounds: readonly [number, number, number, number];
  readonly alive: Uint8Array;
  readonly positions: Float32Array;
  readonly velocities: Float32Array;
  readonly rotations: Float32Array;
  readonly angularVelocities: Float32Array;
  readonly health: Float32Array;
  readonly shield: Float32Array;
  readonly events: StepEvents = { attacks: [], heals: [] };
  readonly won = false;
  t = 0;
  terminated = false;
  /** The scenario's success measure for the episode so far (episodeMetrics().success). */
  protected succeeded = false;
  abstract readonly successMeasure: string;

  readonly physics: RobotPhysics;
  readonly bodies: readonly RobotBody[];
  readonly robots: readonly RobotAgent[];
  readonly agentCount: number;
  /** Per agent: which bodies its lidar may hit (null without a lidar). */
  private readonly lidarSees: (Uint8Array | null)[];
  private readonly lidarOffset: Int32Array;
  /** Per agent, its scan after the last step or placement (null without a lidar): observations and viewers read it. */
  readonly lidar: readonly (LidarScan | null)[];
  private readonly bodyIndex: ReadonlyMap<string, number>;
  /** Spawns clear of obstacles and start positions checked against them. */
  protected readonly placement: Placement;

  constructor(file: RobotsScenarioFile, mode: RobotPhysicsMode, setup: RobotSetup) {
    this.robots = expandRobots(file.robots);
    this.agentCount = this.robots.length;
    const agents = this.robots.map((r, i) => robotBody(`agent_${i}`, r.spec, setup.robotsCollide));
    const bodies = [...agents, ...setup.scenarioBodies, ...file.world.statics.map(staticBody), ...file.world.bodies.map(extraBody)];
    const seen = new Set<string>();
    for (const body of bodies) {
      if (seen.has(body.name)) throw new Error(`world: entity name '${body.name}' is used twice (the scenario names its own bodies: ${[...agents, ...setup.scenarioBodies].map((b) => b.name).join(', ')})`);
      seen.add(body.name);
    }
    this.bodies = bodies;
    this.bodyIndex = new Map(bodies.map((b, i) => [b.name, i]));
    const world: WorldSpec = {
      ...setup.world,
      substeps: file.world.substeps ?? setup.world.substeps,
      gravity: file.world.gravity ?? setup.world.gravity,
      xSemidim: file.world.bounds ? file.world.bounds.x : setup.world.xSemidim,
      ySemidim: file.world.bounds ? file.world.bounds.y : setup.world.ySemidim,
    };
    this.physics = createRobotPhysics(mode, world, bodies);
    this.dt = world.dt;
    this.placement = new Placement(this.physics, bodies, file.world.statics.length, file.world.bodies.length);
    this.placement.placeFixedBodies();
    this.placement.checkFileBodiesApart();

    this.agentNames = agents.map((a) => a.name);
    this.actionCounts = agents.map(() => ACTION_COUNT);
    this.actionNames = this.robots.map((r) => actionNames(r.spec.dynamics));
    this.defaultAction = agents.map(() => 0);
    this.lidarSees = this.robots.map((r, i) => (r.spec.lidar ? this.lidarFilter(i, r.spec.lidar.sees) : null));
    this.layouts = this.robots.map((r, i) => {
      const self: ObservationBlock = { name: 'self', rows: 1, features: selfFeatures(r), spatial: false };
      const blocks = setup.blocks(i, self);
      if (r.spec.lidar) blocks.push({ name: 'lidar', rows: 1, features: Array.from({ length: r.spec.lidar.rays }, (_, j) => `ray_${j}`), spatial: false });
      return makeLayout(blocks);
    });
    // The lidar block is last in every layout.
    this.lidarOffset = Int32Array.from(this.robots, (r, i) => this.layouts[i].size - (r.spec.lidar?.rays ?? 0));
    this.lidar = this.robots.map((r) => (r.spec.lidar ? { rays: r.spec.lidar.rays, range: r.spec.lidar.range, readings: new Float32Array(r.spec.lidar.rays) } : null));
    this.stateSize = setup.stateSize;
    this.maxSteps = file.maxSteps;
    this.entities = bodies.map((b, i) => ({
      name: b.name,
      kind: b.category === 'robot' ? 'agent' : b.category,
      team: b.category === 'robot' ? 0 : -1,
      type: b.category === 'robot' ? this.robots[i].spec.type : b.category,
      radius: circumradius(b.shape),
      agent: i < agents.length ? i : -1,
      color: null,
      shape: b.shape,
    }));
    // Viewers see the clamp box, the spawn area and every static body.
    const staticExtent = bodies.map((b) => (b.fixed ? Math.max(Math.abs(b.fixed.pos[0]), Math.abs(b.fixed.pos[1])) + circumradius(b.shape) : 0));
    const span = Math.max(world.xSemidim ?? 0, world.ySemidim ?? 0, setup.viewSpan, ...staticExtent);
    this.bounds = [-span, -span, span, span];
    const n = bodies.length;
    this.alive = new Uint8Array(agents.length).fill(1);
    this.positions = new Float32Array(2 * n);
    this.velocities = new Float32Array(2 * n);
    this.rotations = new Float32Array(n);
    this.angularVelocities = new Float32Array(n);
    this.health = new Float32Array(n).fill(1);
    this.shield = new Float32Array(n);
  }

  /** Place the scenario's bodies for a new episode (statics from the file are already in place). */
  protected abstract resetBodies(rng: Rng): void;
  /** Recompute what the scenario keeps from its reset (shaping distances) from the current positions. */
  protected abstract resetMemories(): void;
  /** Rewards for every agent, agent 0's call first; also sets `terminated` and `succeeded`. */
  protected abstract computeRewards(rewards: Float32Array): void;
  /** Write the scenario's blocks (everything before the lidar) into `v`. */
  protected abstract writeObservation(agent: number, v: Float32Array): void;
  abstract writeState(out: Float32Array, offset: number): void;

  reset(rng: Rng): void {
    const p = this.physics;
    p.velX.fill(0);
    p.velY.fill(0);
    p.angVel.fill(0);
    p.rot.fill(0);
    this.placement.placeFixedBodies();
    this.resetBodies(rng);
    this.t = 0;
    this.terminated = false;
    this.succeeded = false;
    this.afterBodiesMoved();
  }

  step(actions: Int32Array, rewards: Float32Array): void {
    const p = this.physics;
    p.forceX.fill(0);
    p.forceY.fill(0);
    p.torque.fill(0);
    for (let i = 0; i < this.agentCount; i++) this.applyAction(i, actions[i]);
    p.step();
    this.t++;
    this.computeRewards(rewards);
    this.syncOutputs();
  }

  observe(agent: number, out: RawObservation): void {
    const v = out.values;
    this.writeObservation(agent, v);
    const scan = this.lidar[agent];
    if (scan) {
      // VMAS navigation observes max_range - distance: 0 for nothing in range, larger when closer.
      // Readings are float32, so a ray that hits nothing reads fround(range): subtract that, not the float64 range.
      const o = this.lidarOffset[agent];
      const range = Math.fround(scan.range);
      for (let j = 0; j < scan.rays; j++) v[o + j] = range - scan.readings[j];
    }
  }

  writeMask(agent: number, out: Uint8Array, offset: number): void {
    out.fill(1, offset, offset + ACTION_COUNT);
  }

  setInitialState(init: InitialState): void {
    const p = this.physics;
    for (const [name, value] of Object.entries(init.entities ?? {})) {
      const e = this.bodyIndex.get(name);
      if (e === undefined) throw new Error(`init.entities: unknown entity '${name}' (entities: ${[...this.bodyIndex.keys()].join(', ')})`);
      const where = `init.entities.${name}`;
      if (value.pos) {
        p.posX[e] = finite(value.pos[0], `${where}.pos[0]`);
        p.posY[e] = finite(value.pos[1], `${where}.pos[1]`);
      }
      if (value.vel) {
        p.velX[e] = finite(value.vel[0], `${where}.vel[0]`);
        p.velY[e] = finite(value.vel[1], `${where}.vel[1]`);
      }
      if (value.rot !== undefined) p.rot[e] = finite(value.rot, `${where}.rot`);
      if (value.ang_vel !== undefined) p.angVel[e] = finite(value.ang_vel, `${where}.ang_vel`);
    }
    if (init.goals && Object.keys(init.goals).length > 0) throw new Error('init.goals: robot scenarios place goals as entities (goal_0 ...): give their pos instead');
    this.checkInitPlacement(init);
    this.afterBodiesMoved();
  }

  /**
   * What an init file may not do: put a robot or goal inside a static body, or a static or body of
   * the scenario file onto another. Moving a static also re-checks the robots and goals the reset
   * placed, which it may now cover.
   */
  private checkInitPlacement(init: InitialState): void {
    const given = Object.entries(init.entities ?? {}).filter(([, v]) => v.pos || v.rot !== undefined);
    const moved = new Map(given.map(([name]) => [this.bodyIndex.get(name)!, name]));
    const placedHere = (e: number) => init.entities?.[this.bodies[e].name]?.pos !== undefined;
    for (const [e, name] of moved) {
      if (placedHere(e) && startsOutsideStatics(this.bodies[e].category)) this.placement.checkNotInside(e, `init.entities.${name}.pos`);
    }
    if (![...moved.keys()].some((e) => !this.bodies[e].movable || this.bodies[e].fixed)) return;
    this.placement.checkFileBodiesApart((e) => (moved.has(e) ? `init.entities.${moved.get(e)}` : this.placement.fileField(e)));
    this.bodies.forEach((b, e) => {
      if (startsOutsideStatics(b.category) && !placedHere(e)) this.placement.checkNotInside(e, `init.entities: ${b.name} (where the reset put it)`);
    });
  }

  episodeMetrics(): EpisodeMetrics {
    return { success: this.succeeded ? 1 : 0 };
  }

  /** A body's index by its VMAS name. */
  protected body(name: string): number {
    const e = this.bodyIndex.get(name);
    if (e === undefined) throw new Error(`no body '${name}'`);
    return e;
  }

  /** Distance between two bodies' centres. */
  protected centreDistance(a: number, b: number): number {
    const p = this.physics;
    return Math.hypot(p.posX[a] - p.posX[b], p.posY[a] - p.posY[b]);
  }

  /** Writes the agent's own features (position, velocity, heading for diff drive); returns the next offset. */
  protected writeSelf(agent: number, v: Float32Array): number {
    const p = this.physics;
    v[0] = p.posX[agent];
    v[1] = p.posY[agent];
    v[2] = p.velX[agent];
    v[3] = p.velY[agent];
    if (this.robots[agent].spec.dynamics !== 'diff_drive') return 4;
    v[4] = Math.cos(p.rot[agent]);
    v[5] = Math.sin(p.rot[agent]);
    return 6;
  }

  /** Writes x, y, vx, vy (and the heading for diff drive) of every robot; returns the next offset. */
  protected writeRobotsState(out: Float32Array, offset: number): number {
    let o = offset;
    const scratch = this.stateScratch;
    for (let i = 0; i < this.agentCount; i++) {
      const n = this.writeSelf(i, scratch);
      for (let k = 0; k < n; k++) out[o++] = scratch[k];
    }
    return o;
  }
  private readonly stateScratch = new Float32Array(6);

  private applyAction(agent: number, action: number): void {
    const spec = this.robots[agent].spec;
    const scale = spec.uRange * spec.uMultiplier;
    const ux = axisValue(Math.floor(action / 3)) * scale;
    const uy = axisValue(action % 3) * scale;
    if (spec.dynamics === 'diff_drive') {
      applyDiffDrive(this.physics, agent, ux, uy, this.dt);
    } else {
      this.physics.forceX[agent] = ux;
      this.physics.forceY[agent] = uy;
    }
  }

  private lidarFilter(agent: number, sees: readonly string[]): Uint8Array {
    const kinds = new Set<string>();
    if (sees.includes('robots')) kinds.add('robot');
    if (sees.includes('walls')) kinds.add('wall');
    if (sees.includes('obstacles')) kinds.add('obstacle');
    if (sees.includes('bodies')) kinds.add('body');
    return Uint8Array.from(this.bodies, (b, i) => (i !== agent && b.collide && kinds.has(b.category) ? 1 : 0));
  }

  private afterBodiesMoved(): void {
    this.physics.syncFromState();
    this.resetMemories();
    this.syncOutputs();
  }

  private syncOutputs(): void {
    const p = this.physics;
    const n = this.bodies.length;
    for (let i = 0; i < n; i++) {
      this.positions[2 * i] = p.posX[i];
      this.positions[2 * i + 1] = p.posY[i];
      this.velocities[2 * i] = p.velX[i];
      this.velocities[2 * i + 1] = p.velY[i];
      this.rotations[i] = p.rot[i];
      this.angularVelocities[i] = p.angVel[i];
    }
    // VMAS measures the lidar when it observes, after physics and rewards: the same state as here.
    this.lidar.forEach((scan, i) => {
      const sees = this.lidarSees[i];
      if (scan && sees) p.lidar(i, scan.rays, scan.range, sees, scan.readings, 0);
    });
  }
}

/** Robots and goals: bodies that must not start inside a static. */
function startsOutsideStatics(category: string): boolean {
  return category === 'robot' || category === 'goal';
}

function selfFeatures(robot: RobotAgent): string[] {
  const features = ['pos_x', 'pos_y', 'vel_x', 'vel_y'];
  if (robot.spec.dynamics === 'diff_drive') features.push('heading_cos', 'heading_sin');
  return features;
}

/** An init-file number within the schema's bounds (ROBOT_LIMITS): nothing else may reach the physics. */
function finite(value: number, where: string): number {
  const max = ROBOT_LIMITS.magnitude;
  if (!Number.isFinite(value)) throw new Error(`${where}: must be a finite number, got ${value}`);
  if (Math.abs(value) > max) throw new Error(`${where}: must be within ±${max}, got ${value}`);
  return value;
}
