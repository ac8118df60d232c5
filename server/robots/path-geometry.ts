import { LINE_CONTACT_RADIUS, type ShapeSpec } from './physics/index.ts';

/** A static body where it stands: shortest paths go around it. */
export type PlacedStatic = { shape: ShapeSpec; x: number; y: number; rot: number };

/** A static in its own frame, to be kept `clearance` from (a robot radius, plus a line's thickness). */
export type InflatedStatic = {
  shape: ShapeSpec;
  x: number;
  y: number;
  cos: number;
  sin: number;
  /** How far a robot centre must keep from the shape (its centre line, for a segment). */
  clearance: number;
  /** Circles whose convex hull is the inflated shape (x, y, radius each): its corners grown by the clearance. */
  hull: readonly (readonly [number, number, number])[];
};

export function inflate(s: PlacedStatic, radius: number): InflatedStatic {
  const cos = Math.cos(s.rot);
  const sin = Math.sin(s.rot);
  const clearance = radius + (s.shape.kind === 'line' ? LINE_CONTACT_RADIUS : 0);
  const world = (lx: number, ly: number, r: number) => [s.x + cos * lx - sin * ly, s.y + sin * lx + cos * ly, r] as const;
  const shape = s.shape;
  const hull =
    shape.kind === 'sphere'
      ? [world(0, 0, shape.radius + clearance)]
      : shape.kind === 'line'
        ? [world(-shape.length / 2, 0, clearance), world(shape.length / 2, 0, clearance)]
        : [[-1, -1], [1, -1], [1, 1], [-1, 1]].map(([a, b]) => world((a * shape.length) / 2, (b * shape.width) / 2, clearance));
  return { shape, x: s.x, y: s.y, cos, sin, clearance, hull };
}

/**
 * The cone from a viewpoint that holds an inflated static, for cheap sight-line rejection: a
 * segment from the viewpoint can only come within the clearance when its far end lies inside the
 * cone (cross(u1, v) ≥ 0 and cross(v, u2) ≥ 0) and at least `reach` away.
 */
export type Cone = { u1x: number; u1y: number; u2x: number; u2y: number; reach: number; everywhere: boolean };

export function coneFrom(o: InflatedStatic, gx: number, gy: number): Cone {
  const cx = o.x - gx;
  const cy = o.y - gy;
  const base = Math.atan2(cy, cx);
  let low = Infinity;
  let high = -Infinity;
  let reach = Infinity;
  for (const [x, y, r] of o.hull) {
    const dx = x - gx;
    const dy = y - gy;
    const d = Math.hypot(dx, dy);
    reach = Math.min(reach, d - r);
    if (d <= r) return { u1x: 0, u1y: 0, u2x: 0, u2y: 0, reach: 0, everywhere: true };
    const angle = Math.atan2(cx * dy - cy * dx, cx * dx + cy * dy);
    const half = Math.asin(r / d);
    low = Math.min(low, angle - half);
    high = Math.max(high, angle + half);
  }
  // A tiny margin: points on the cone's edge are tested exactly.
  low -= 1e-9;
  high += 1e-9;
  if (high - low >= Math.PI) return { u1x: 0, u1y: 0, u2x: 0, u2y: 0, reach: Math.max(0, reach), everywhere: true };
  return { u1x: Math.cos(base + low), u1y: Math.sin(base + low), u2x: Math.cos(base + high), u2y: Math.sin(base + high), reach: Math.max(0, reach), everywhere: false };
}

/** Whether the segment a-b comes within the clearance of the static (a point when a = b). */
export function segmentBlocked(o: InflatedStatic, ax: number, ay: number, bx: number, by: number): boolean {
  const lax = o.cos * (ax - o.x) + o.sin * (ay - o.y);
  const lay = -o.sin * (ax - o.x) + o.cos * (ay - o.y);
  const lbx = o.cos * (bx - o.x) + o.sin * (by - o.y);
  const lby = -o.sin * (bx - o.x) + o.cos * (by - o.y);
  const shape = o.shape;
  const c = o.clearance;
  switch (shape.kind) {
    case 'sphere':
      return pointSegmentDistance(0, 0, lax, lay, lbx, lby) < shape.radius + c;
    case 'line': {
      const half = shape.length / 2;
      if (!segmentHitsBox(lax, lay, lbx, lby, half + c, c)) return false;
      return segmentDistance(lax, lay, lbx, lby, -half, 0, half, 0) < c;
    }
    case 'box': {
      const hl = shape.length / 2;
      const hw = shape.width / 2;
      // The box grown by the clearance is the union of two crossed boxes and four corner discs.
      if (!segmentHitsBox(lax, lay, lbx, lby, hl + c, hw + c)) return false;
      if (segmentHitsBox(lax, lay, lbx, lby, hl + c, hw) || segmentHitsBox(lax, lay, lbx, lby, hl, hw + c)) return true;
      return (
        pointSegmentDistance(-hl, -hw, lax, lay, lbx, lby) < c ||
        pointSegmentDistance(hl, -hw, lax, lay, lbx, lby) < c ||
        pointSegmentDistance(hl, hw, lax, lay, lbx, lby) < c ||
        pointSegmentDistance(-hl, hw, lax, lay, lbx, lby) < c
      );
    }
  }
}

/** Whether the segment a-b meets the box |x| ≤ hx, |y| ≤ hy (slab clipping). */
function segmentHitsBox(ax: number, ay: number, bx: number, by: number, hx: number, hy: number): boolean {
  let t0 = 0;
  let t1 = 1;
  const dx = bx - ax;
  const dy = by - ay;
  if (dx === 0) {
    if (Math.abs(ax) > hx) return false;
  } else {
    const ta = (-hx - ax) / dx;
    const tb = (hx - ax) / dx;
    t0 = Math.max(t0, Math.min(ta, tb));
    t1 = Math.min(t1, Math.max(ta, tb));
    if (t0 > t1) return false;
  }
  if (dy === 0) return Math.abs(ay) <= hy;
  const ta = (-hy - ay) / dy;
  const tb = (hy - ay) / dy;
  return Math.max(t0, Math.min(ta, tb)) <= Math.min(t1, Math.max(ta, tb));
}

function pointSegmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 > 0 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

function cross(ox: number, oy: number, px: number, py: number, qx: number, qy: number): number {
  return (px - ox) * (qy - oy) - (py - oy) * (qx - ox);
}

/** Distance between the segments a-b and c-d (0 when they cross). */
function segmentDistance(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number): number {
  const d1 = cross(cx, cy, dx, dy, ax, ay);
  const d2 = cross(cx, cy, dx, dy, bx, by);
  const d3 = cross(ax, ay, bx, by, cx, cy);
  const d4 = cross(ax, ay, bx, by, dx, dy);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) return 0;
  return Math.min(
    pointSegmentDistance(ax, ay, cx, cy, dx, dy),
    pointSegmentDistance(bx, by, cx, cy, dx, dy),
    pointSegmentDistance(cx, cy, ax, ay, bx, by),
    pointSegmentDistance(dx, dy, ax, ay, bx, by),
  );
}
