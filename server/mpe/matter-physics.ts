import Matter from 'matter-js';
import { MPE_DAMPING, MPE_DT, type MpeWorld } from './mpe-world.ts';

/** Substeps per 0.1 s env step: 1/60 s each, so crowded bodies sink only 1-4% of a radius. */
export const MATTER_SUBSTEPS = 6;
/** MPE units are ~1 with radii of 0.05-0.15; matter-js' slop and tolerances assume pixels. */
const SCALE = 100;
const SUBSTEP_SECONDS = MPE_DT / MATTER_SUBSTEPS;
const SUBSTEP_MS = SUBSTEP_SECONDS * 1000;
/** matter-js velocities are per base delta (1000/60 ms). */
const VELOCITY_UNIT = SCALE / 60;
const DAMPING_PER_SUBSTEP = Math.pow(1 - MPE_DAMPING, 1 / MATTER_SUBSTEPS);

/**
 * The MPE world on matter-js: the same action forces, damping and speed limits as MPE, integrated
 * over 1/60 s substeps, with rigid contacts resolved by matter-js instead of MPE's softplus force.
 * Movable entities are dynamic circles (non-colliding ones in a collision group of their own);
 * colliding immovable entities (tag's obstacles) are static circles.
 */
export class MatterPhysics {
  private readonly world: MpeWorld;
  private readonly engine: Matter.Engine;
  /** Body per entity, or null for immovable non-colliding entities (never touched by physics). */
  private readonly bodies: (Matter.Body | null)[];
  private readonly velocity = { x: 0, y: 0 };
  private readonly position = { x: 0, y: 0 };

  constructor(world: MpeWorld) {
    this.world = world;
    this.engine = Matter.Engine.create({ gravity: { x: 0, y: 0, scale: 0 }, enableSleeping: false });
    this.bodies = world.specs.map((spec) => {
      if (!spec.movable && !spec.collide) return null;
      return Matter.Bodies.circle(0, 0, spec.size * SCALE, {
        isStatic: !spec.movable,
        frictionAir: 0,
        friction: 0,
        frictionStatic: 0,
        restitution: 0,
        inertia: Infinity,
        // Non-colliding movers overlap freely; everything else collides.
        collisionFilter: spec.collide ? { group: 0, category: 1, mask: 1 } : { group: -1, category: 2, mask: 0 },
      });
    });
    for (let i = 0; i < this.bodies.length; i++) {
      const body = this.bodies[i];
      if (body && world.specs[i].movable) Matter.Body.setMass(body, world.specs[i].mass);
    }
    Matter.Composite.add(this.engine.world, this.bodies.filter((b): b is Matter.Body => b !== null));
  }

  /** Copy the world's positions and velocities into the bodies (after a reset or an --init). */
  syncFromWorld(): void {
    const { pos, vel } = this.world;
    for (let i = 0; i < this.bodies.length; i++) {
      const body = this.bodies[i];
      if (!body) continue;
      this.position.x = pos[2 * i] * SCALE;
      this.position.y = pos[2 * i + 1] * SCALE;
      Matter.Body.setPosition(body, this.position);
      this.velocity.x = vel[2 * i] * VELOCITY_UNIT;
      this.velocity.y = vel[2 * i + 1] * VELOCITY_UNIT;
      Matter.Body.setVelocity(body, this.velocity);
    }
  }

  /** One env step: integrate action forces with damping per substep, let matter-js resolve contacts. */
  step(): void {
    const { pos, vel, force, specs } = this.world;
    for (let s = 0; s < MATTER_SUBSTEPS; s++) {
      for (let i = 0; i < this.bodies.length; i++) {
        const body = this.bodies[i];
        const spec = specs[i];
        if (!body || !spec.movable) continue;
        let vx = vel[2 * i] * DAMPING_PER_SUBSTEP + (force[2 * i] / spec.mass) * SUBSTEP_SECONDS;
        let vy = vel[2 * i + 1] * DAMPING_PER_SUBSTEP + (force[2 * i + 1] / spec.mass) * SUBSTEP_SECONDS;
        if (spec.maxSpeed !== null) {
          const speed = Math.sqrt(vx * vx + vy * vy);
          if (speed > spec.maxSpeed) {
            vx = (vx / speed) * spec.maxSpeed;
            vy = (vy / speed) * spec.maxSpeed;
          }
        }
        this.velocity.x = vx * VELOCITY_UNIT;
        this.velocity.y = vy * VELOCITY_UNIT;
        Matter.Body.setVelocity(body, this.velocity);
      }
      Matter.Engine.update(this.engine, SUBSTEP_MS);
      for (let i = 0; i < this.bodies.length; i++) {
        const body = this.bodies[i];
        if (!body || !specs[i].movable) continue;
        pos[2 * i] = body.position.x / SCALE;
        pos[2 * i + 1] = body.position.y / SCALE;
        const v = Matter.Body.getVelocity(body);
        vel[2 * i] = v.x / VELOCITY_UNIT;
        vel[2 * i + 1] = v.y / VELOCITY_UNIT;
      }
    }
  }
}
