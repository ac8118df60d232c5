import { ContactSolver } from './contacts.ts';
import { PhysicsBase } from './physics-base.ts';
import type { BodySpec, WorldSpec } from './types.ts';

/**
 * VMAS's World.step (core.py) on one environment: per substep, action forces, gravity and penalty
 * contacts, then semi-implicit Euler with drag at substep 0 only and position clamps that keep the
 * velocity. Allocation-free after construction.
 */
export class VmasPhysics extends PhysicsBase {
  readonly mode = 'vmas' as const;
  private readonly contacts: ContactSolver;
  private readonly accX: Float64Array;
  private readonly accY: Float64Array;
  private readonly accT: Float64Array;

  constructor(world: WorldSpec, bodies: readonly BodySpec[]) {
    super(world, bodies);
    this.contacts = new ContactSolver(this.table);
    this.accX = new Float64Array(bodies.length);
    this.accY = new Float64Array(bodies.length);
    this.accT = new Float64Array(bodies.length);
  }

  /** The state arrays are the whole state: nothing to sync. */
  syncFromState(): void {}

  step(): void {
    const t = this.table;
    const { dt, substeps, drag, gravity, xSemidim, ySemidim } = t.world;
    const h = dt / substeps;
    const keep = 1 - drag;
    const [gx, gy] = gravity;
    const n = t.count;
    const { accX, accY, accT } = this;
    const { posX, posY, velX, velY, rot, angVel, mass, inertia, movable, rotatable } = t;
    for (let s = 0; s < substeps; s++) {
      for (let i = 0; i < n; i++) {
        if (movable[i]) {
          accX[i] = t.forceX[i] + mass[i] * gx;
          accY[i] = t.forceY[i] + mass[i] * gy;
        } else {
          accX[i] = 0;
          accY[i] = 0;
        }
        accT[i] = rotatable[i] ? t.torque[i] : 0;
      }
      this.contacts.accumulate(accX, accY, accT);
      for (let i = 0; i < n; i++) {
        if (movable[i]) {
          let vx = velX[i];
          let vy = velY[i];
          if (s === 0) {
            vx *= keep;
            vy *= keep;
          }
          vx += (accX[i] / mass[i]) * h;
          vy += (accY[i] / mass[i]) * h;
          velX[i] = vx;
          velY[i] = vy;
          let x = posX[i] + vx * h;
          let y = posY[i] + vy * h;
          if (xSemidim !== null) x = x < -xSemidim ? -xSemidim : x > xSemidim ? xSemidim : x;
          if (ySemidim !== null) y = y < -ySemidim ? -ySemidim : y > ySemidim ? ySemidim : y;
          posX[i] = x;
          posY[i] = y;
        }
        if (rotatable[i]) {
          let w = angVel[i];
          if (s === 0) w *= keep;
          w += (accT[i] / inertia[i]) * h;
          angVel[i] = w;
          rot[i] += w * h;
        }
      }
    }
  }
}
