import Matter from 'matter-js';
import { TICK_SECONDS, type Battle, type Movement } from './battle.ts';
import type { Terrain } from './terrain.ts';

/** How matter-js steps the units: substeps per game tick, position-solver iterations, which update. */
export type MatterSettings = {
  readonly substepsPerTick: number;
  readonly positionIterations: number;
  /**
   * `positions`: only what moves the bodies (integration, detection, the position solver);
   * `engine`: the whole Matter.Engine.update. Both give the same positions bit for bit.
   */
  readonly update: 'positions' | 'engine';
};

/**
 * 2 substeps of 1/32 s per 1/16 s game tick with 12 position iterations: half the integrations
 * and detections of the reference, with touching units sinking no deeper into each other (mean
 * 1.16% of their summed radii on 8m against 1.28%, `bench/smac-overlap.ts`); about 2x the env
 * steps per CPU second (docs/performance.md).
 */
export const MATTER_SETTINGS: MatterSettings = { substepsPerTick: 2, positionIterations: 12, update: 'positions' };
/** The earlier settings (4 substeps of 1/64 s, matter-js' 6 iterations, Engine.update): the benchmark's reference. */
export const MATTER_REFERENCE_SETTINGS: MatterSettings = { substepsPerTick: 4, positionIterations: 6, update: 'engine' };
/** SMAC units have radii of 0.375-0.75; matter-js' slop and tolerances assume pixel-sized bodies. */
const SCALE = 20;
/** matter-js velocities are per base delta (1000/60 ms). */
const VELOCITY_UNIT = SCALE / 60;
/**
 * matter-js circles are polygons (10 sides at this scale). Their inscribed circle is made the
 * unit's radius, so two units never sit closer than their radii allow (5% farther at worst).
 */
const CIRCLE_SIDES = 10;
const GROUND = 0x0001;
/** Solver state matter-js keeps on a body but @types/matter-js does not declare. */
type BodyInternals = Matter.Body & {
  positionImpulse: { x: number; y: number };
  constraintImpulse: { x: number; y: number; angle: number };
  totalContacts: number;
};
const AIR = 0x0002;
/** matter-js 0.20 signatures that @types/matter-js declares with older parameters. */
const bodyUpdate = Matter.Body.update as unknown as (body: Matter.Body, deltaMs: number) => void;
const setModified = (Matter.Composite as unknown as { setModified(c: Matter.Composite, modified: boolean, parents: boolean, children: boolean): void }).setModified;
const solvePosition = Matter.Resolver.solvePosition as unknown as (pairs: Matter.Pair[], deltaMs: number, damping: number) => void;

/** Whether two bodies on the same collision layer have overlapping bounds (the detector's broad phase). */
function boundsOverlap(bodies: readonly Matter.Body[]): boolean {
  for (let i = 0; i < bodies.length; i++) {
    const a = bodies[i].bounds;
    const layer = bodies[i].collisionFilter.category;
    for (let j = i + 1; j < bodies.length; j++) {
      if (bodies[j].collisionFilter.category !== layer) continue;
      const b = bodies[j].bounds;
      if (a.min.x <= b.max.x && b.min.x <= a.max.x && a.min.y <= b.max.y && b.min.y <= a.max.y) return true;
    }
  }
  return false;
}

/**
 * Units as matter-js circles: no gravity, no friction, no rotation; each substep a unit's
 * velocity is set from its movement goal (full speed, slowing so it stops on the goal) and
 * matter-js resolves the contacts, so units push each other. Ground and air units live on
 * separate collision layers. After every substep each unit is put back on the map and each ground
 * unit off unwalkable cells (so one pushed toward a cliff by a collision stops at its edge).
 */
export class MatterMovement implements Movement {
  private readonly battle: Battle;
  private readonly terrain: Terrain;
  private readonly engine: Matter.Engine;
  private readonly bodies: Matter.Body[];
  private readonly inWorld: Uint8Array;
  private readonly vector = { x: 0, y: 0 };
  private readonly settings: MatterSettings;
  private readonly substepSeconds: number;
  private readonly substepMs: number;
  /** Engine.update's damping of the position solver for its iteration count. */
  private readonly positionDamping: number;

  constructor(battle: Battle, terrain: Terrain, settings: MatterSettings = MATTER_SETTINGS) {
    this.battle = battle;
    this.terrain = terrain;
    this.settings = settings;
    this.substepSeconds = TICK_SECONDS / settings.substepsPerTick;
    this.substepMs = this.substepSeconds * 1000;
    this.engine = Matter.Engine.create({
      gravity: { x: 0, y: 0, scale: 0 },
      enableSleeping: false,
      positionIterations: settings.positionIterations,
    });
    this.positionDamping = Math.min(1, Math.max(0, 20 / settings.positionIterations));
    this.bodies = battle.specs.map((_, u) => {
      const layer = battle.air[u] === 1 ? AIR : GROUND;
      const body = Matter.Bodies.circle(0, 0, (battle.radius[u] * SCALE) / Math.cos(Math.PI / CIRCLE_SIDES), {
        frictionAir: 0,
        friction: 0,
        frictionStatic: 0,
        restitution: 0,
        inertia: Infinity,
        collisionFilter: { group: 0, category: layer, mask: layer },
      }, CIRCLE_SIDES);
      return body;
    });
    this.inWorld = new Uint8Array(battle.n);
  }

  reset(): void {
    const { battle, bodies } = this;
    Matter.Engine.clear(this.engine);
    for (let u = 0; u < battle.n; u++) {
      const body = bodies[u];
      if (battle.alive[u] === 1 && this.inWorld[u] === 0) {
        Matter.Composite.add(this.engine.world, body);
        this.inWorld[u] = 1;
      } else if (battle.alive[u] === 0 && this.inWorld[u] === 1) {
        this.remove(u);
      }
      this.vector.x = battle.x[u] * SCALE;
      this.vector.y = battle.y[u] * SCALE;
      Matter.Body.setPosition(body, this.vector);
      this.vector.x = 0;
      this.vector.y = 0;
      Matter.Body.setVelocity(body, this.vector);
      // Contact warm-starting state carried over from the last episode would break determinism.
      const internal = body as BodyInternals;
      internal.positionImpulse.x = 0;
      internal.positionImpulse.y = 0;
      internal.constraintImpulse.x = 0;
      internal.constraintImpulse.y = 0;
      internal.constraintImpulse.angle = 0;
      internal.totalContacts = 0;
    }
  }

  /**
   * Matter.Engine.update cut to what moves these bodies: integration, collision detection and
   * the position solver. Its velocity solver only rewrites velocities that the next substep sets
   * anew from the movement goals, and there are no constraints, gravity, sleepers or listeners,
   * so the positions are bit for bit those of Engine.update.
   */
  private updateEngine(): void {
    const engine = this.engine;
    const world = engine.world;
    const timestamp = engine.timing.timestamp;
    engine.timing.timestamp += this.substepMs;
    const bodies = Matter.Composite.allBodies(world);
    if (world.isModified) {
      Matter.Detector.setBodies(engine.detector, bodies);
      setModified(world, false, false, true);
    }
    for (let i = 0; i < bodies.length; i++) bodyUpdate(bodies[i], this.substepMs);
    if (engine.pairs.list.length === 0 && !boundsOverlap(bodies)) {
      // Nothing for the detector to find and no pairs to retire: only cached impulses remain to apply.
      Matter.Resolver.postSolvePosition(bodies);
      return;
    }
    const collisions = Matter.Detector.collisions(engine.detector);
    Matter.Pairs.update(engine.pairs, collisions, timestamp);
    const pairs = engine.pairs.list;
    Matter.Resolver.preSolvePosition(pairs);
    for (let i = 0; i < engine.positionIterations; i++) solvePosition(pairs, this.substepMs, this.positionDamping);
    Matter.Resolver.postSolvePosition(bodies);
  }

  remove(u: number): void {
    if (this.inWorld[u] === 0) return;
    Matter.Composite.remove(this.engine.world, this.bodies[u]);
    this.inWorld[u] = 0;
  }

  advanceTick(): void {
    const { battle, bodies, vector } = this;
    const n = battle.n;
    const { x, y, vx, vy, goalX, goalY, goalSpeed, radius, alive, air } = battle;
    const terrain = this.terrain;
    const substepSeconds = this.substepSeconds;
    const fullUpdate = this.settings.update === 'engine';
    for (let s = 0; s < this.settings.substepsPerTick; s++) {
      for (let u = 0; u < n; u++) {
        if (alive[u] === 0) continue;
        let ux = 0;
        let uy = 0;
        if (goalSpeed[u] > 0) {
          const dx = goalX[u] - x[u];
          const dy = goalY[u] - y[u];
          const d = Math.sqrt(dx * dx + dy * dy);
          if (d > 1e-9) {
            const speed = Math.min(goalSpeed[u], d / substepSeconds);
            ux = (dx / d) * speed;
            uy = (dy / d) * speed;
          }
        }
        vector.x = ux * VELOCITY_UNIT;
        vector.y = uy * VELOCITY_UNIT;
        Matter.Body.setVelocity(bodies[u], vector);
      }
      if (fullUpdate) Matter.Engine.update(this.engine, this.substepMs);
      else this.updateEngine();
      for (let u = 0; u < n; u++) {
        if (alive[u] === 0) continue;
        const body = bodies[u];
        const px = body.position.x / SCALE;
        const py = body.position.y / SCALE;
        const p = terrain.confine(px, py, radius[u], air[u] === 0);
        const cx = p.x;
        const cy = p.y;
        if (cx !== px || cy !== py) {
          vector.x = cx * SCALE;
          vector.y = cy * SCALE;
          Matter.Body.setPosition(body, vector);
        }
        vx[u] = (cx - x[u]) / substepSeconds;
        vy[u] = (cy - y[u]) / substepSeconds;
        x[u] = cx;
        y[u] = cy;
      }
    }
  }
}
