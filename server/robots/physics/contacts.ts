import { BOX, LINE, SPHERE, type BodyTable } from './body-table.ts';
import {
  EDGE_STRIDE,
  boxEdges,
  closestBoxBox,
  closestBoxSegment,
  closestOnBoxEdges,
  closestOnSegment,
  closestSegmentSegment,
  inner,
  innerPointOfBox,
  pair,
  point,
} from './geometry.ts';
import { LINE_CONTACT_RADIUS } from './types.ts';

/** VMAS `_get_constraint_forces`: below this distance the direction is undefined and the force is 0. */
const MIN_CONTACT_DISTANCE = 1e-6;

/** ln(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/**
 * VMAS's penalty contacts (core.py `_apply_vectorized_enviornment_force` and the six
 * `_*_vectorized_collision` methods) for every colliding pair, added into force and torque
 * accumulators. Positions are read as they stand at the start of the substep.
 */
export class ContactSolver {
  private readonly table: BodyTable;
  private readonly candidates: Int32Array;
  private readonly stiffness: number;
  private readonly margin: number;
  /** Box edges per body, refreshed once per accumulate() for the boxes that take part. */
  private readonly edges: Float64Array;
  private readonly edgeStamp: Uint32Array;
  private stamp = 0;
  private fx!: Float64Array;
  private fy!: Float64Array;
  private tq!: Float64Array;
  /** Force on the first point of the last penalty() call. */
  private forceX = 0;
  private forceY = 0;

  constructor(table: BodyTable) {
    this.table = table;
    this.candidates = table.contactCandidates();
    this.stiffness = table.world.collisionForce;
    this.margin = table.world.contactMargin;
    this.edges = new Float64Array(EDGE_STRIDE * table.count);
    this.edgeStamp = new Uint32Array(table.count);
  }

  /** Adds every contact force and torque into fx, fy, tq (indexed like the bodies). */
  accumulate(fx: Float64Array, fy: Float64Array, tq: Float64Array): void {
    this.fx = fx;
    this.fy = fy;
    this.tq = tq;
    this.stamp++;
    const { posX, posY, boundRadius, kind } = this.table;
    const pairs = this.candidates;
    for (let p = 0; p < pairs.length; p += 2) {
      const a = pairs[p];
      const b = pairs[p + 1];
      const dx = posX[a] - posX[b];
      const dy = posY[a] - posY[b];
      const reach = boundRadius[a] + boundRadius[b];
      // VMAS's `collides` bound check: centres farther apart than the two circumscribed radii never touch.
      if (dx * dx + dy * dy > reach * reach) continue;
      const ka = kind[a];
      const kb = kind[b];
      if (ka === SPHERE && kb === SPHERE) this.sphereSphere(a, b);
      else if (ka === LINE && kb === SPHERE) this.lineSphere(a, b);
      else if (ka === SPHERE && kb === LINE) this.lineSphere(b, a);
      else if (ka === LINE && kb === LINE) this.lineLine(a, b);
      else if (ka === BOX && kb === SPHERE) this.boxSphere(a, b);
      else if (ka === SPHERE && kb === BOX) this.boxSphere(b, a);
      else if (ka === BOX && kb === LINE) this.boxLine(a, b);
      else if (ka === LINE && kb === BOX) this.boxLine(b, a);
      else this.boxBox(a, b);
    }
  }

  /** The force on point A from the penalty spring between A and B (VMAS `_get_constraint_forces`); false if zero. */
  private penalty(ax: number, ay: number, bx: number, by: number, restDistance: number): boolean {
    const dx = ax - bx;
    const dy = ay - by;
    const d = Math.sqrt(dx * dx + dy * dy);
    if (d < MIN_CONTACT_DISTANCE || d > restDistance) return false;
    const k = this.margin;
    const scale = (this.stiffness * k * softplus((restDistance - d) / k)) / d;
    this.forceX = dx * scale;
    this.forceY = dy * scale;
    return true;
  }

  /** Adds force (sign · current force) at lever arm (rx, ry) to body i, as `update_env_forces` does. */
  private push(i: number, sign: number, rx: number, ry: number, withTorque: boolean): void {
    const fx = sign * this.forceX;
    const fy = sign * this.forceY;
    if (this.table.movable[i]) {
      this.fx[i] += fx;
      this.fy[i] += fy;
    }
    if (withTorque && this.table.rotatable[i]) this.tq[i] += rx * fy - ry * fx;
  }

  private edgesOf(i: number): number {
    const o = EDGE_STRIDE * i;
    if (this.edgeStamp[i] !== this.stamp) {
      const t = this.table;
      boxEdges(t.posX[i], t.posY[i], t.rot[i], t.sizeA[i], t.sizeB[i], this.edges, o);
      this.edgeStamp[i] = this.stamp;
    }
    return o;
  }

  private sphereSphere(a: number, b: number): void {
    const t = this.table;
    if (!this.penalty(t.posX[a], t.posY[a], t.posX[b], t.posY[b], t.sizeA[a] + t.sizeA[b])) return;
    this.push(a, 1, 0, 0, false);
    this.push(b, -1, 0, 0, false);
  }

  private lineSphere(line: number, sphere: number): void {
    const t = this.table;
    const lx = t.posX[line];
    const ly = t.posY[line];
    const sx = t.posX[sphere];
    const sy = t.posY[sphere];
    closestOnSegment(lx, ly, Math.cos(t.rot[line]), Math.sin(t.rot[line]), t.sizeA[line] / 2, sx, sy);
    const cx = point[0];
    const cy = point[1];
    if (!this.penalty(sx, sy, cx, cy, t.sizeA[sphere] + LINE_CONTACT_RADIUS)) return;
    this.push(sphere, 1, 0, 0, false);
    this.push(line, -1, cx - lx, cy - ly, true);
  }

  private lineLine(a: number, b: number): void {
    const t = this.table;
    const ra = t.rot[a];
    const rb = t.rot[b];
    closestSegmentSegment(
      t.posX[a], t.posY[a], Math.cos(ra), Math.sin(ra), t.sizeA[a] / 2,
      t.posX[b], t.posY[b], Math.cos(rb), Math.sin(rb), t.sizeA[b] / 2,
    );
    const pax = pair[0], pay = pair[1], pbx = pair[2], pby = pair[3];
    if (!this.penalty(pax, pay, pbx, pby, LINE_CONTACT_RADIUS)) return;
    this.push(a, 1, pax - t.posX[a], pay - t.posY[a], true);
    this.push(b, -1, pbx - t.posX[b], pby - t.posY[b], true);
  }

  private boxSphere(box: number, sphere: number): void {
    const t = this.table;
    const bx = t.posX[box];
    const by = t.posY[box];
    const sx = t.posX[sphere];
    const sy = t.posY[sphere];
    closestOnBoxEdges(this.edges, this.edgesOf(box), sx, sy);
    const cx = point[0];
    const cy = point[1];
    innerPointOfBox(sx, sy, cx, cy, bx, by);
    if (!this.penalty(sx, sy, inner[0], inner[1], t.sizeA[sphere] + LINE_CONTACT_RADIUS + inner[2])) return;
    this.push(sphere, 1, 0, 0, false);
    // The box's lever arm is its perimeter point, not the shifted one.
    this.push(box, -1, cx - bx, cy - by, true);
  }

  private boxLine(box: number, line: number): void {
    const t = this.table;
    const bx = t.posX[box];
    const by = t.posY[box];
    const lx = t.posX[line];
    const ly = t.posY[line];
    const rl = t.rot[line];
    closestBoxSegment(this.edges, this.edgesOf(box), lx, ly, Math.cos(rl), Math.sin(rl), t.sizeA[line] / 2);
    const pbx = pair[0], pby = pair[1], plx = pair[2], ply = pair[3];
    innerPointOfBox(plx, ply, pbx, pby, bx, by);
    if (!this.penalty(inner[0], inner[1], plx, ply, LINE_CONTACT_RADIUS + inner[2])) return;
    this.push(box, 1, pbx - bx, pby - by, true);
    this.push(line, -1, plx - lx, ply - ly, true);
  }

  private boxBox(a: number, b: number): void {
    const t = this.table;
    const oa = this.edgesOf(a);
    const ob = this.edgesOf(b);
    closestBoxBox(this.edges, oa, ob);
    const pax = pair[0], pay = pair[1], pbx = pair[2], pby = pair[3];
    innerPointOfBox(pbx, pby, pax, pay, t.posX[a], t.posY[a]);
    const iax = inner[0], iay = inner[1], depthA = inner[2];
    innerPointOfBox(pax, pay, pbx, pby, t.posX[b], t.posY[b]);
    if (!this.penalty(iax, iay, inner[0], inner[1], depthA + inner[2] + LINE_CONTACT_RADIUS)) return;
    this.push(a, 1, pax - t.posX[a], pay - t.posY[a], true);
    this.push(b, -1, pbx - t.posX[b], pby - t.posY[b], true);
  }
}
