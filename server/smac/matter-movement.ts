import { TICK_SECONDS, type Battle, type Movement } from './battle.ts';
import { MatterJsBodies } from './bodies/matter-js-bodies.ts';
import { SCALE, VELOCITY_UNIT, createUnitBody } from './bodies/matter-units.ts';
import { PolygonBodies } from './bodies/polygon-bodies.ts';
import type { Terrain } from './terrain.ts';
import type { UnitBodies } from './bodies/unit-bodies.ts';

/** How matter-js steps the units: substeps per game tick, position-solver iterations, which update. */
export type MatterSettings = {
  readonly substepsPerTick: number;
  readonly positionIterations: number;
  /**
   * `port`: our typed-array port of the part of matter-js that moves these bodies
   * (`PolygonBodies`); `positions`: matter-js' integration, detection and position solver only;
   * `engine`: the whole Matter.Engine.update. All three give the same positions bit for bit.
   */
  readonly update: 'port' | 'positions' | 'engine';
};

/**
 * 2 substeps of 1/32 s per 1/16 s game tick with 12 position iterations: half the integrations
 * and detections of the reference, with touching units sinking no deeper into each other (mean
 * 1.16% of their summed radii on 8m against 1.28%, `bench/smac-overlap.ts`); about 2x the env
 * steps per CPU second (docs/performance.md). Stepped by the port, which moves the units exactly
 * as matter-js would, faster.
 */
export const MATTER_SETTINGS: MatterSettings = { substepsPerTick: 2, positionIterations: 12, update: 'port' };
/** The earlier settings (4 substeps of 1/64 s, matter-js' 6 iterations, Engine.update): the benchmark's reference. */
export const MATTER_REFERENCE_SETTINGS: MatterSettings = { substepsPerTick: 4, positionIterations: 6, update: 'engine' };

/**
 * Units as matter-js circles: no gravity, no friction, no rotation; each substep a unit's
 * velocity is set from its movement goal (full speed, slowing so it stops on the goal) and
 * the physics resolves the contacts, so units push each other. Ground and air units live on
 * separate collision layers. After every substep each unit is put back on the map and each ground
 * unit off unwalkable cells (so one pushed toward a cliff by a collision stops at its edge).
 */
export class MatterMovement implements Movement {
  private readonly battle: Battle;
  private readonly terrain: Terrain;
  private readonly bodies: UnitBodies;
  private readonly inWorld: Uint8Array;
  private readonly substepsPerTick: number;
  private readonly substepSeconds: number;

  constructor(battle: Battle, terrain: Terrain, settings: MatterSettings = MATTER_SETTINGS) {
    this.battle = battle;
    this.terrain = terrain;
    this.substepsPerTick = settings.substepsPerTick;
    this.substepSeconds = TICK_SECONDS / settings.substepsPerTick;
    const substepMs = this.substepSeconds * 1000;
    const bodies = battle.specs.map((_, u) => createUnitBody(battle.radius[u], battle.air[u] === 1));
    this.bodies = settings.update === 'port'
      ? new PolygonBodies(bodies, substepMs, settings.positionIterations)
      : new MatterJsBodies(bodies, substepMs, settings.positionIterations, settings.update);
    this.inWorld = new Uint8Array(battle.n);
  }

  reset(): void {
    const { battle, bodies } = this;
    bodies.clear();
    for (let u = 0; u < battle.n; u++) {
      if (battle.alive[u] === 1 && this.inWorld[u] === 0) {
        bodies.add(u);
        this.inWorld[u] = 1;
      } else if (battle.alive[u] === 0 && this.inWorld[u] === 1) {
        this.remove(u);
      }
      bodies.setPosition(u, battle.x[u] * SCALE, battle.y[u] * SCALE);
      bodies.setVelocity(u, 0, 0);
      // Contact warm-starting state carried over from the last episode would break determinism.
      bodies.forgetContacts(u);
    }
  }

  remove(u: number): void {
    if (this.inWorld[u] === 0) return;
    this.bodies.remove(u);
    this.inWorld[u] = 0;
  }

  advanceTick(): void {
    const { battle, bodies } = this;
    const n = battle.n;
    const { x, y, vx, vy, goalX, goalY, goalSpeed, radius, alive, air } = battle;
    const terrain = this.terrain;
    const substepSeconds = this.substepSeconds;
    for (let s = 0; s < this.substepsPerTick; s++) {
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
        bodies.setVelocity(u, ux * VELOCITY_UNIT, uy * VELOCITY_UNIT);
      }
      bodies.update();
      for (let u = 0; u < n; u++) {
        if (alive[u] === 0) continue;
        const px = bodies.positionX(u) / SCALE;
        const py = bodies.positionY(u) / SCALE;
        const p = terrain.confine(px, py, radius[u], air[u] === 0);
        const cx = p.x;
        const cy = p.y;
        if (cx !== px || cy !== py) bodies.setPosition(u, cx * SCALE, cy * SCALE);
        vx[u] = (cx - x[u]) / substepSeconds;
        vy[u] = (cy - y[u]) / substepSeconds;
        x[u] = cx;
        y[u] = cy;
      }
    }
  }
}
