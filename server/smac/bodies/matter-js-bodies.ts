import Matter from 'matter-js';
import type { UnitBodies } from './unit-bodies.ts';

/** Solver state matter-js keeps on a body but @types/matter-js does not declare. */
type BodyInternals = Matter.Body & {
  positionImpulse: { x: number; y: number };
  constraintImpulse: { x: number; y: number; angle: number };
  totalContacts: number;
};
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
 * The units' bodies in a matter-js engine. `engine` steps it with the whole Matter.Engine.update;
 * `positions` with only what moves these bodies (see `updatePositions`); both give the same
 * positions bit for bit.
 */
export class MatterJsBodies implements UnitBodies {
  private readonly engine: Matter.Engine;
  private readonly bodies: readonly Matter.Body[];
  private readonly vector = { x: 0, y: 0 };
  private readonly substepMs: number;
  private readonly fullUpdate: boolean;
  /** Engine.update's damping of the position solver for its iteration count. */
  private readonly positionDamping: number;

  constructor(bodies: readonly Matter.Body[], substepMs: number, positionIterations: number, update: 'positions' | 'engine') {
    this.bodies = bodies;
    this.substepMs = substepMs;
    this.fullUpdate = update === 'engine';
    this.engine = Matter.Engine.create({
      gravity: { x: 0, y: 0, scale: 0 },
      enableSleeping: false,
      positionIterations,
    });
    this.positionDamping = Math.min(1, Math.max(0, 20 / positionIterations));
  }

  clear(): void {
    Matter.Engine.clear(this.engine);
    // Engine.clear empties the detector's body list, which Engine.update refills only from a
    // modified world: without this, an episode after one in which no unit died (nothing joined
    // or left the world) would have no contacts until the first death.
    setModified(this.engine.world, true, false, false);
  }

  add(u: number): void {
    Matter.Composite.add(this.engine.world, this.bodies[u]);
  }

  remove(u: number): void {
    Matter.Composite.remove(this.engine.world, this.bodies[u]);
  }

  setPosition(u: number, x: number, y: number): void {
    this.vector.x = x;
    this.vector.y = y;
    Matter.Body.setPosition(this.bodies[u], this.vector);
  }

  setVelocity(u: number, x: number, y: number): void {
    this.vector.x = x;
    this.vector.y = y;
    Matter.Body.setVelocity(this.bodies[u], this.vector);
  }

  forgetContacts(u: number): void {
    const internal = this.bodies[u] as BodyInternals;
    internal.positionImpulse.x = 0;
    internal.positionImpulse.y = 0;
    internal.constraintImpulse.x = 0;
    internal.constraintImpulse.y = 0;
    internal.constraintImpulse.angle = 0;
    internal.totalContacts = 0;
  }

  positionX(u: number): number {
    return this.bodies[u].position.x;
  }

  positionY(u: number): number {
    return this.bodies[u].position.y;
  }

  update(): void {
    if (this.fullUpdate) Matter.Engine.update(this.engine, this.substepMs);
    else this.updatePositions();
  }

  /**
   * Matter.Engine.update cut to what moves these bodies: integration, collision detection and
   * the position solver. Its velocity solver only rewrites velocities that the next substep sets
   * anew from the movement goals, and there are no constraints, gravity, sleepers or listeners,
   * so the positions are bit for bit those of Engine.update.
   */
  private updatePositions(): void {
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
}
