import type Matter from 'matter-js';
import { ContactPairs } from './contact-pairs.ts';
import { PolygonDetector } from './polygon-detector.ts';
import { PolygonState } from './polygon-state.ts';
import { applyPositionImpulses, solvePositions } from './position-solver.ts';
import type { UnitBodies } from './unit-bodies.ts';

/**
 * The units' bodies stepped by a typed-array port of the part of matter-js 0.20 that moves them
 * (Body.update, Detector, Collision, Pairs, Resolver's position solver), with matter-js'
 * arithmetic in matter-js' order, so positions are bit for bit those of `MatterJsBodies`. It
 * copies the starting state from matter-js bodies and refuses bodies it does not cover.
 */
export class PolygonBodies implements UnitBodies {
  private readonly state: PolygonState;
  private readonly pairs: ContactPairs;
  private readonly detector: PolygonDetector;
  /** Matter.Composite's body list: bodies join at the end and leave from where they are. */
  private readonly world: Int32Array;
  private worldLength = 0;
  /** world.isModified: the detector takes the world's list at the next update. */
  private worldModified = false;
  private readonly substepMs: number;
  private readonly positionIterations: number;
  /** Engine.update's damping of the position solver for its iteration count. */
  private readonly positionDamping: number;

  constructor(bodies: readonly Matter.Body[], substepMs: number, positionIterations: number) {
    const n = bodies.length;
    this.state = new PolygonState(bodies);
    this.pairs = new ContactPairs(n);
    this.detector = new PolygonDetector(n);
    this.world = new Int32Array(n);
    this.substepMs = substepMs;
    this.positionIterations = positionIterations;
    this.positionDamping = Math.min(1, Math.max(0, 20 / positionIterations));
  }

  clear(): void {
    this.pairs.clear();
    this.detector.clear();
    // As MatterJsBodies.clear: the detector takes the world's list again at the next update.
    this.worldModified = true;
  }

  add(u: number): void {
    this.world[this.worldLength++] = u;
    this.worldModified = true;
  }

  remove(u: number): void {
    const world = this.world;
    const at = world.subarray(0, this.worldLength).indexOf(u);
    if (at < 0) return;
    world.copyWithin(at, at + 1, this.worldLength);
    this.worldLength--;
    this.worldModified = true;
  }

  setPosition(u: number, x: number, y: number): void {
    this.state.setPosition(u, x, y);
  }

  setVelocity(u: number, x: number, y: number): void {
    this.state.setVelocity(u, x, y);
  }

  forgetContacts(u: number): void {
    this.state.impulseX[u] = 0;
    this.state.impulseY[u] = 0;
    this.state.totalContacts[u] = 0;
  }

  positionX(u: number): number {
    return this.state.x[u];
  }

  positionY(u: number): number {
    return this.state.y[u];
  }

  update(): void {
    const { state, world, worldLength } = this;
    if (this.worldModified) {
      this.detector.setBodies(world, worldLength);
      this.worldModified = false;
    }
    for (let i = 0; i < worldLength; i++) state.integrate(world[i], this.substepMs);
    if (this.pairs.length > 0 || this.boundsOverlap()) {
      this.detector.collisions(state, this.pairs);
      solvePositions(state, this.pairs, this.positionIterations, this.substepMs, this.positionDamping);
    }
    // Otherwise the detector would find nothing and there are no pairs to retire: only cached impulses remain to apply.
    applyPositionImpulses(state, world, worldLength);
  }

  /** Whether two bodies on the same collision layer have overlapping bounds (the detector's broad phase). */
  private boundsOverlap(): boolean {
    const { world, worldLength } = this;
    const { minX, maxX, minY, maxY, layer } = this.state;
    for (let i = 0; i < worldLength; i++) {
      const a = world[i];
      for (let j = i + 1; j < worldLength; j++) {
        const b = world[j];
        if (layer[b] !== layer[a]) continue;
        if (minX[a] <= maxX[b] && minX[b] <= maxX[a] && minY[a] <= maxY[b] && minY[b] <= maxY[a]) return true;
      }
    }
    return false;
  }
}
