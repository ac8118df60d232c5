import type Matter from 'matter-js';
import { extremeVertices } from './polygon-extremes.ts';

/** matter-js' base delta (Common._baseDelta and Body._baseDelta): velocities are per this many ms. */
export const BASE_DELTA_MS = 1000 / 60;

/** matter-js body fields the port reads once, and which @types/matter-js does not all declare. */
type PortableBody = Omit<Matter.Body, 'vertices'> & {
  positionPrev: Matter.Vector;
  deltaTime: number;
  timeScale: number;
  anglePrev: number;
  totalContacts: number;
  positionImpulse: { x: number; y: number };
  vertices: (Matter.Vector & { index: number })[];
};

/** The port covers only bodies like the units': anything else would step differently from matter-js. */
function checkPortable(body: PortableBody, sides: number, slop: number): void {
  const filter = body.collisionFilter;
  const problems = [
    body.parts.length !== 1 && 'compound body',
    body.isStatic && 'static body',
    body.isSensor && 'sensor',
    body.inertia !== Infinity && 'rotation',
    (body.angle !== 0 || body.anglePrev !== 0) && 'rotated body',
    body.frictionAir !== 0 && 'air friction',
    body.force.x !== 0 || body.force.y !== 0 ? 'force' : false,
    body.torque !== 0 && 'torque',
    body.timeScale !== 1 && 'time scale',
    body.slop !== slop && 'unequal slops',
    filter.group !== 0 && 'collision group',
    filter.mask !== filter.category && 'mask other than its own category',
    (filter.category! & (filter.category! - 1)) !== 0 && 'several categories',
    body.vertices.length !== sides && 'unequal vertex counts',
    body.vertices.some((v, i) => v.index !== i) && 'vertex indices out of order',
  ].filter((p) => p !== false);
  if (problems.length > 0) throw new Error(`body ${body.id} cannot be ported: ${problems.join(', ')}`);
}

/**
 * The state matter-js keeps on the units' bodies, as typed arrays indexed by unit: position,
 * previous position (Verlet), velocity, last delta time, vertices (each translated on its own, as
 * matter-js does, so rounding matches), edge axes, bounds, cached position impulse and contact
 * count. The methods are Body.setPosition, Body.setVelocity and Body.update with the same
 * arithmetic in the same order, for bodies without rotation, force, air friction or parts.
 */
export class PolygonState {
  readonly n: number;
  /** Vertices per body. */
  readonly sides: number;
  /** Room for axes per body (matter-js keeps one per edge direction). */
  readonly axisStride: number;
  /** Every body's slop (contact tolerance). */
  readonly slop: number;
  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly prevX: Float64Array;
  readonly prevY: Float64Array;
  readonly velocityX: Float64Array;
  readonly velocityY: Float64Array;
  readonly deltaTime: Float64Array;
  readonly impulseX: Float64Array;
  readonly impulseY: Float64Array;
  readonly totalContacts: Float64Array;
  /** Vertex coordinates, interleaved x, y, `sides` vertices per body. */
  readonly vertices: Float64Array;
  /** Axis coordinates, interleaved x, y, `axisStride` slots per body. */
  readonly axes: Float64Array;
  readonly axisCount: Int32Array;
  /** The vertices that can be extreme along each axis (`extremeVertices`). */
  readonly extremes: Int32Array;
  readonly minX: Float64Array;
  readonly maxX: Float64Array;
  readonly minY: Float64Array;
  readonly maxY: Float64Array;
  /** Collision category: bodies collide only with bodies of their own. */
  readonly layer: Int32Array;

  /** Copies the bodies' state; unit u is bodies[u], and bodies must have increasing ids. */
  constructor(bodies: readonly Matter.Body[]) {
    const n = bodies.length;
    const all = bodies as unknown as readonly PortableBody[];
    this.n = n;
    this.sides = n > 0 ? all[0].vertices.length : 0;
    this.slop = n > 0 ? all[0].slop : 0;
    this.axisStride = all.reduce((m, b) => Math.max(m, b.axes.length), 0);
    const arrays = () => new Float64Array(n);
    this.x = arrays();
    this.y = arrays();
    this.prevX = arrays();
    this.prevY = arrays();
    this.velocityX = arrays();
    this.velocityY = arrays();
    this.deltaTime = arrays();
    this.impulseX = arrays();
    this.impulseY = arrays();
    this.totalContacts = arrays();
    this.minX = arrays();
    this.maxX = arrays();
    this.minY = arrays();
    this.maxY = arrays();
    this.vertices = new Float64Array(n * this.sides * 2);
    this.axes = new Float64Array(n * this.axisStride * 2);
    this.axisCount = new Int32Array(n);
    this.layer = new Int32Array(n);
    for (let u = 0; u < n; u++) {
      const body = all[u];
      checkPortable(body, this.sides, this.slop);
      // Contact pairs are ordered by body id; the port orders them by unit index.
      if (u > 0 && body.id <= all[u - 1].id) throw new Error('bodies must be created in unit order');
      this.x[u] = body.position.x;
      this.y[u] = body.position.y;
      this.prevX[u] = body.positionPrev.x;
      this.prevY[u] = body.positionPrev.y;
      this.velocityX[u] = body.velocity.x;
      this.velocityY[u] = body.velocity.y;
      this.deltaTime[u] = body.deltaTime;
      this.impulseX[u] = body.positionImpulse.x;
      this.impulseY[u] = body.positionImpulse.y;
      this.totalContacts[u] = body.totalContacts;
      this.minX[u] = body.bounds.min.x;
      this.maxX[u] = body.bounds.max.x;
      this.minY[u] = body.bounds.min.y;
      this.maxY[u] = body.bounds.max.y;
      this.layer[u] = body.collisionFilter.category!;
      body.vertices.forEach((v, k) => {
        this.vertices[(u * this.sides + k) * 2] = v.x;
        this.vertices[(u * this.sides + k) * 2 + 1] = v.y;
      });
      this.axisCount[u] = body.axes.length;
      body.axes.forEach((a, k) => {
        this.axes[(u * this.axisStride + k) * 2] = a.x;
        this.axes[(u * this.axisStride + k) * 2 + 1] = a.y;
      });
    }
    this.extremes = extremeVertices(this.vertices, this.axes, this.axisCount, this.axisStride, this.sides);
  }

  /** Vertices.translate: adds (dx, dy) to each of u's vertices. */
  translate(u: number, dx: number, dy: number): void {
    const v = this.vertices;
    const end = (u + 1) * this.sides * 2;
    for (let i = u * this.sides * 2; i < end; i += 2) {
      v[i] += dx;
      v[i + 1] += dy;
    }
  }

  /**
   * Body.setPosition without velocity. matter-js also refits the bounds here, around the
   * vertices widened by the current velocity; the port refits them only in `integrate`, as
   * nothing reads bounds between a body's last integration and its next one.
   */
  setPosition(u: number, x: number, y: number): void {
    const dx = x - this.x[u];
    const dy = y - this.y[u];
    this.prevX[u] += dx;
    this.prevY[u] += dy;
    this.x[u] += dx;
    this.y[u] += dy;
    this.translate(u, dx, dy);
  }

  /** Body.setVelocity: sets the previous position that Verlet integration reads the velocity from. */
  setVelocity(u: number, vx: number, vy: number): void {
    const timeScale = this.deltaTime[u] / BASE_DELTA_MS;
    const px = this.x[u];
    const py = this.y[u];
    this.prevX[u] = px - vx * timeScale;
    this.prevY[u] = py - vy * timeScale;
    this.velocityX[u] = (px - this.prevX[u]) / timeScale;
    this.velocityY[u] = (py - this.prevY[u]) / timeScale;
  }

  /**
   * Body.update for a body without force, air friction or rotation (its air-friction factor is
   * exactly 1; `+ 0` is the zero force term, which turns a velocity of -0 into 0 as matter-js does),
   * then Bounds.update: the vertices' box widened by the velocity.
   */
  integrate(u: number, deltaTime: number): void {
    const last = this.deltaTime[u];
    const correction = deltaTime / (last || deltaTime);
    const px = this.x[u];
    const py = this.y[u];
    const vx = (px - this.prevX[u]) * correction + 0;
    const vy = (py - this.prevY[u]) * correction + 0;
    this.velocityX[u] = vx;
    this.velocityY[u] = vy;
    this.prevX[u] = px;
    this.prevY[u] = py;
    this.x[u] = px + vx;
    this.y[u] = py + vy;
    this.deltaTime[u] = deltaTime;
    const v = this.vertices;
    let minX = Infinity;
    let maxX = -Infinity;
    let minY = Infinity;
    let maxY = -Infinity;
    const end = (u + 1) * this.sides * 2;
    for (let i = u * this.sides * 2; i < end; i += 2) {
      const x = (v[i] += vx);
      const y = (v[i + 1] += vy);
      if (x > maxX) maxX = x;
      if (x < minX) minX = x;
      if (y > maxY) maxY = y;
      if (y < minY) minY = y;
    }
    if (vx > 0) maxX += vx;
    else minX += vx;
    if (vy > 0) maxY += vy;
    else minY += vy;
    this.minX[u] = minX;
    this.maxX[u] = maxX;
    this.minY[u] = minY;
    this.maxY[u] = maxY;
  }
}
