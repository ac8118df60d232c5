import type { BodySpec, WorldSpec } from './types.ts';

export const SPHERE = 0;
export const BOX = 1;
export const LINE = 2;

/** Moment of inertia of a shape (VMAS core.py `moment_of_inertia`). */
export function momentOfInertia(spec: BodySpec): number {
  const { shape, mass } = spec;
  if (shape.kind === 'sphere') return 0.5 * mass * shape.radius * shape.radius;
  if (shape.kind === 'box') return (mass * (shape.length * shape.length + shape.width * shape.width)) / 12;
  return (mass * shape.length * shape.length) / 12;
}

/** Radius of the circle around the body's centre that holds the whole shape (VMAS `circumscribed_radius`). */
export function circumscribedRadius(spec: BodySpec): number {
  const { shape } = spec;
  if (shape.kind === 'sphere') return shape.radius;
  if (shape.kind === 'box') return Math.sqrt((shape.length / 2) ** 2 + (shape.width / 2) ** 2);
  return shape.length / 2;
}

function requirePositive(value: number, field: string): void {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${field} must be a finite number > 0, got ${value}`);
}

function validateBody(spec: BodySpec, index: number): void {
  const where = `bodies[${index}] (${spec.name})`;
  requirePositive(spec.mass, `${where}.mass`);
  const { shape } = spec;
  if (shape.kind === 'sphere') requirePositive(shape.radius, `${where}.shape.radius`);
  else if (shape.kind === 'box') {
    requirePositive(shape.length, `${where}.shape.length`);
    requirePositive(shape.width, `${where}.shape.width`);
  } else if (shape.kind === 'line') requirePositive(shape.length, `${where}.shape.length`);
  else throw new Error(`${where}.shape.kind must be sphere, box or line`);
}

function validateWorld(world: WorldSpec): void {
  requirePositive(world.dt, 'world.dt');
  if (!Number.isInteger(world.substeps) || world.substeps < 1) throw new Error(`world.substeps must be an integer >= 1, got ${world.substeps}`);
  if (!Number.isFinite(world.drag) || world.drag < 0 || world.drag > 1) throw new Error(`world.drag must be in [0, 1], got ${world.drag}`);
  if (!Number.isFinite(world.gravity[0]) || !Number.isFinite(world.gravity[1])) throw new Error('world.gravity must be two finite numbers');
  if (world.xSemidim !== null) requirePositive(world.xSemidim, 'world.xSemidim');
  if (world.ySemidim !== null) requirePositive(world.ySemidim, 'world.ySemidim');
  requirePositive(world.collisionForce, 'world.collisionForce');
  requirePositive(world.contactMargin, 'world.contactMargin');
}

/**
 * The bodies' state and shape parameters as flat typed arrays, shared by both physics modes and by
 * the geometry (lidar, distances) that reads them.
 */
export class BodyTable {
  readonly bodies: readonly BodySpec[];
  readonly world: WorldSpec;
  readonly count: number;
  readonly posX: Float64Array;
  readonly posY: Float64Array;
  readonly velX: Float64Array;
  readonly velY: Float64Array;
  readonly rot: Float64Array;
  readonly angVel: Float64Array;
  readonly forceX: Float64Array;
  readonly forceY: Float64Array;
  readonly torque: Float64Array;
  readonly inertia: Float64Array;
  readonly mass: Float64Array;
  /** SPHERE, BOX or LINE. */
  readonly kind: Uint8Array;
  /** Sphere radius, box length (local x) or line length. */
  readonly sizeA: Float64Array;
  /** Box width (local y); 0 for the other shapes. */
  readonly sizeB: Float64Array;
  readonly boundRadius: Float64Array;
  readonly movable: Uint8Array;
  readonly rotatable: Uint8Array;
  readonly collide: Uint8Array;

  constructor(world: WorldSpec, bodies: readonly BodySpec[]) {
    validateWorld(world);
    bodies.forEach(validateBody);
    const seen = new Set<string>();
    for (const body of bodies) {
      if (seen.has(body.name)) throw new Error(`bodies: the name ${body.name} is used twice`);
      seen.add(body.name);
    }
    this.world = world;
    this.bodies = bodies;
    const n = bodies.length;
    this.count = n;
    this.posX = new Float64Array(n);
    this.posY = new Float64Array(n);
    this.velX = new Float64Array(n);
    this.velY = new Float64Array(n);
    this.rot = new Float64Array(n);
    this.angVel = new Float64Array(n);
    this.forceX = new Float64Array(n);
    this.forceY = new Float64Array(n);
    this.torque = new Float64Array(n);
    this.inertia = new Float64Array(n);
    this.mass = new Float64Array(n);
    this.kind = new Uint8Array(n);
    this.sizeA = new Float64Array(n);
    this.sizeB = new Float64Array(n);
    this.boundRadius = new Float64Array(n);
    this.movable = new Uint8Array(n);
    this.rotatable = new Uint8Array(n);
    this.collide = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const spec = bodies[i];
      const shape = spec.shape;
      this.kind[i] = shape.kind === 'sphere' ? SPHERE : shape.kind === 'box' ? BOX : LINE;
      this.sizeA[i] = shape.kind === 'sphere' ? shape.radius : shape.length;
      this.sizeB[i] = shape.kind === 'box' ? shape.width : 0;
      this.mass[i] = spec.mass;
      this.inertia[i] = momentOfInertia(spec);
      this.boundRadius[i] = circumscribedRadius(spec);
      this.movable[i] = spec.movable ? 1 : 0;
      this.rotatable[i] = spec.rotatable ? 1 : 0;
      this.collide[i] = spec.collide ? 1 : 0;
    }
  }

  /**
   * Pairs (a < b) that VMAS's `collides` can accept: both collide, neither ignores the other, at
   * least one movable or rotatable. Flat [a0, b0, a1, b1, ...].
   */
  contactCandidates(): Int32Array {
    const out: number[] = [];
    const ignored = this.bodies.map((b) => new Set(b.ignores ?? []));
    for (let a = 0; a < this.count; a++) {
      if (!this.collide[a]) continue;
      for (let b = a + 1; b < this.count; b++) {
        if (!this.collide[b]) continue;
        if (!this.movable[a] && !this.rotatable[a] && !this.movable[b] && !this.rotatable[b]) continue;
        if (ignored[a].has(this.bodies[b].name) || ignored[b].has(this.bodies[a].name)) continue;
        out.push(a, b);
      }
    }
    return Int32Array.from(out);
  }
}
