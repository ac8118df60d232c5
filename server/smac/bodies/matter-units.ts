import Matter from 'matter-js';

/** SMAC units have radii of 0.375-0.75; matter-js' slop and tolerances assume pixel-sized bodies. */
export const SCALE = 20;
/** matter-js velocities are per base delta (1000/60 ms). */
export const VELOCITY_UNIT = SCALE / 60;
/**
 * matter-js circles are polygons (10 sides at this scale). Their inscribed circle is made the
 * unit's radius, so two units never sit closer than their radii allow (5% farther at worst).
 */
const CIRCLE_SIDES = 10;
const GROUND = 0x0001;
const AIR = 0x0002;

/**
 * A unit's matter-js body at the origin: a frictionless, non-rotating polygon on its layer's
 * collision category (ground units collide only with ground units, air with air).
 */
export function createUnitBody(radius: number, air: boolean): Matter.Body {
  const layer = air ? AIR : GROUND;
  return Matter.Bodies.circle(0, 0, (radius * SCALE) / Math.cos(Math.PI / CIRCLE_SIDES), {
    frictionAir: 0,
    friction: 0,
    frictionStatic: 0,
    restitution: 0,
    inertia: Infinity,
    collisionFilter: { group: 0, category: layer, mask: layer },
  }, CIRCLE_SIDES);
}
