import Matter from 'matter-js';
import { PhysicsBase } from './physics-base.ts';
import { LINE_CONTACT_RADIUS, type BodySpec, type WorldSpec } from './types.ts';

/** Lengths ×100: matter-js' slop and tolerances assume pixel-sized bodies. */
const SCALE = 100;
/** matter-js velocities are displacements per base delta (1000/60 ms). */
const VELOCITY_UNIT = SCALE / 60;
const ANGULAR_VELOCITY_UNIT = 1 / 60;
/**
 * matter-js' largest recommended Engine.update delta (Engine._deltaMax, 1000/60 ms): its contact
 * solver is tuned for it and it warns above it. A VMAS substep (100 ms at dt 0.1, S 1) runs as
 * several equal updates no longer than this.
 */
const MAX_UPDATE_MS = 1000 / 60;
/**
 * matter-js has no true circles: Bodies.circle at this scale is a decagon whose flat sides sit 5%
 * inside the radius. A sphere is a regular polygon of this many sides whose inscribed circle is the
 * radius, so contacts are never nearer than VMAS's and at most 1/cos(π/16) - 1 = 2% farther.
 */
const CIRCLE_SIDES = 16;

function matterShape(spec: BodySpec): Matter.Body {
  const common = { frictionAir: 0, friction: 0, frictionStatic: 0, restitution: 0, isStatic: !spec.movable && !spec.rotatable };
  const { shape } = spec;
  if (shape.kind === 'sphere') return Matter.Bodies.polygon(0, 0, CIRCLE_SIDES, (shape.radius * SCALE) / Math.cos(Math.PI / CIRCLE_SIDES), common);
  if (shape.kind === 'box') return Matter.Bodies.rectangle(0, 0, shape.length * SCALE, shape.width * SCALE, common);
  // A line is a capsule of radius ℓ around its segment: a rectangle with fully rounded ends.
  return Matter.Bodies.rectangle(0, 0, (shape.length + 2 * LINE_CONTACT_RADIUS) * SCALE, 2 * LINE_CONTACT_RADIUS * SCALE, {
    ...common,
    chamfer: { radius: LINE_CONTACT_RADIUS * SCALE * 0.999 },
  });
}

/**
 * The same world on matter-js rigid contacts: VMAS's drag (once per env step), action forces and
 * gravity integrated into the velocity by hand each substep, then Engine.update calls of at most
 * 1000/60 ms that together last the substep move the bodies and resolve contacts (no penalty
 * springs), then the position clamps.
 * Bodies with collide=false never enter matter-js and follow VMAS's integrator alone.
 */
export class MatterRobotPhysics extends PhysicsBase {
  readonly mode = 'matter' as const;
  private readonly engine: Matter.Engine;
  /** matter-js body per colliding body, null for the rest. */
  private readonly matterBodies: (Matter.Body | null)[];
  private readonly vector = { x: 0, y: 0 };
  /** Engine.update calls per substep, and the milliseconds of each. */
  private readonly updatesPerSubstep: number;
  private readonly updateMs: number;

  constructor(world: WorldSpec, bodies: readonly BodySpec[]) {
    super(world, bodies);
    bodies.forEach((spec, i) => {
      for (const name of spec.ignores ?? []) {
        const j = bodies.findIndex((b) => b.name === name);
        const bothStatic = j >= 0 && !spec.movable && !spec.rotatable && !bodies[j].movable && !bodies[j].rotatable;
        if (!bothStatic) throw new Error(`bodies[${i}] (${spec.name}).ignores: matter mode can only ignore between two static bodies, not ${name}`);
      }
    });
    this.engine = Matter.Engine.create({ gravity: { x: 0, y: 0, scale: 0 }, enableSleeping: false });
    this.matterBodies = bodies.map((spec) => {
      if (!spec.collide) return null;
      const body = matterShape(spec);
      if (!body.isStatic) {
        Matter.Body.setMass(body, spec.movable ? spec.mass : Infinity);
        Matter.Body.setInertia(body, spec.rotatable ? this.inertia[bodies.indexOf(spec)] * SCALE * SCALE : Infinity);
      }
      return body;
    });
    const substepMs = (world.dt / world.substeps) * 1000;
    this.updatesPerSubstep = Math.ceil(substepMs / MAX_UPDATE_MS - 1e-9);
    this.updateMs = substepMs / this.updatesPerSubstep;
    Matter.Composite.add(this.engine.world, this.matterBodies.filter((b): b is Matter.Body => b !== null));
    this.syncFromState();
  }

  syncFromState(): void {
    const { vector } = this;
    for (let i = 0; i < this.matterBodies.length; i++) {
      const body = this.matterBodies[i];
      if (!body) continue;
      vector.x = this.posX[i] * SCALE;
      vector.y = this.posY[i] * SCALE;
      Matter.Body.setPosition(body, vector);
      Matter.Body.setAngle(body, this.rot[i]);
      if (body.isStatic) continue;
      vector.x = this.velX[i] * VELOCITY_UNIT;
      vector.y = this.velY[i] * VELOCITY_UNIT;
      Matter.Body.setVelocity(body, vector);
      Matter.Body.setAngularVelocity(body, this.angVel[i] * ANGULAR_VELOCITY_UNIT);
    }
  }

  step(): void {
    const t = this.table;
    const { dt, substeps, drag, gravity, xSemidim, ySemidim } = t.world;
    const h = dt / substeps;
    const keep = 1 - drag;
    const { posX, posY, velX, velY, rot, angVel, forceX, forceY, torque, inertia } = this;
    const { mass, movable } = t;
    const { vector } = this;
    const n = t.count;
    for (let s = 0; s < substeps; s++) {
      for (let i = 0; i < n; i++) {
        const body = this.matterBodies[i];
        if (body?.isStatic) continue;
        if (movable[i]) {
          const damp = s === 0 ? keep : 1;
          velX[i] = velX[i] * damp + ((forceX[i] + mass[i] * gravity[0]) / mass[i]) * h;
          velY[i] = velY[i] * damp + ((forceY[i] + mass[i] * gravity[1]) / mass[i]) * h;
        }
        if (t.rotatable[i]) angVel[i] = angVel[i] * (s === 0 ? keep : 1) + (torque[i] / inertia[i]) * h;
        if (!body) {
          // Not in matter-js: VMAS's integrator alone.
          if (t.movable[i]) {
            posX[i] += velX[i] * h;
            posY[i] += velY[i] * h;
          }
          if (t.rotatable[i]) rot[i] += angVel[i] * h;
          continue;
        }
        vector.x = t.movable[i] ? velX[i] * VELOCITY_UNIT : 0;
        vector.y = t.movable[i] ? velY[i] * VELOCITY_UNIT : 0;
        Matter.Body.setVelocity(body, vector);
        Matter.Body.setAngularVelocity(body, t.rotatable[i] ? angVel[i] * ANGULAR_VELOCITY_UNIT : 0);
      }
      for (let u = 0; u < this.updatesPerSubstep; u++) Matter.Engine.update(this.engine, this.updateMs);
      for (let i = 0; i < n; i++) {
        const body = this.matterBodies[i];
        if (body && !body.isStatic) {
          const velocity = Matter.Body.getVelocity(body);
          posX[i] = body.position.x / SCALE;
          posY[i] = body.position.y / SCALE;
          velX[i] = velocity.x / VELOCITY_UNIT;
          velY[i] = velocity.y / VELOCITY_UNIT;
          rot[i] = body.angle;
          angVel[i] = Matter.Body.getAngularVelocity(body) / ANGULAR_VELOCITY_UNIT;
        }
        if (!t.movable[i]) continue;
        const x = xSemidim === null ? posX[i] : Math.min(xSemidim, Math.max(-xSemidim, posX[i]));
        const y = ySemidim === null ? posY[i] : Math.min(ySemidim, Math.max(-ySemidim, posY[i]));
        if (x !== posX[i] || y !== posY[i]) {
          posX[i] = x;
          posY[i] = y;
          if (body) {
            vector.x = x * SCALE;
            vector.y = y * SCALE;
            Matter.Body.setPosition(body, vector);
          }
        }
      }
    }
  }
}
