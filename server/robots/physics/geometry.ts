/**
 * VMAS's closest-point geometry (vmas/simulator/physics.py), scalar and allocation-free. Segments are
 * given as centre, unit direction and half length. Results go to the module's scratch arrays
 * `point` (one point) and `pair` (two points: x1, y1, x2, y2), read right after each call.
 * Ties keep the first candidate in VMAS's order, as its strict `<` does.
 */

/** One point result: x, y. */
export const point = new Float64Array(2);
/** Two point result: x1, y1, x2, y2. */
export const pair = new Float64Array(4);
/** Inner point of a solid box: x, y, depth |h|. */
export const inner = new Float64Array(3);
/** Numbers per box in an edge array: 4 edges of centre x, centre y, direction x, direction y, half length. */
export const EDGE_STRIDE = 20;

/** Closest point of the segment to (qx, qy). */
export function closestOnSegment(cx: number, cy: number, ux: number, uy: number, half: number, qx: number, qy: number): void {
  const dot = (cx - qx) * ux + (cy - qy) * uy;
  const along = Math.sign(dot) * Math.min(Math.abs(dot), half);
  point[0] = cx - along * ux;
  point[1] = cy - along * uy;
}

/**
 * The 4 edges of a box in VMAS's order (_get_all_lines_box): the +x and -x ends (along the
 * local y axis, half length width/2), then the +y and -y sides (along local x, half length length/2).
 */
export function boxEdges(cx: number, cy: number, rot: number, length: number, width: number, out: Float64Array, o: number): void {
  const c = Math.cos(rot);
  const s = Math.sin(rot);
  const hl = length / 2;
  const hw = width / 2;
  // +x end, -x end: direction is the local y axis
  out[o + 0] = cx + c * hl; out[o + 1] = cy + s * hl; out[o + 2] = -s; out[o + 3] = c; out[o + 4] = hw;
  out[o + 5] = cx - c * hl; out[o + 6] = cy - s * hl; out[o + 7] = -s; out[o + 8] = c; out[o + 9] = hw;
  // +y side, -y side: direction is the local x axis
  out[o + 10] = cx - s * hw; out[o + 11] = cy + c * hw; out[o + 12] = c; out[o + 13] = s; out[o + 14] = hl;
  out[o + 15] = cx + s * hw; out[o + 16] = cy - c * hw; out[o + 17] = c; out[o + 18] = s; out[o + 19] = hl;
}

/** Closest perimeter point of the box whose edges are in `edges` to (qx, qy), into `point`. */
export function closestOnBoxEdges(edges: Float64Array, o: number, qx: number, qy: number): void {
  let bestX = Infinity;
  let bestY = Infinity;
  let best = Infinity;
  for (let e = o; e < o + EDGE_STRIDE; e += 5) {
    closestOnSegment(edges[e], edges[e + 1], edges[e + 2], edges[e + 3], edges[e + 4], qx, qy);
    const dx = qx - point[0];
    const dy = qy - point[1];
    const d = Math.sqrt(dx * dx + dy * dy);
    if (d < best) {
      best = d;
      bestX = point[0];
      bestY = point[1];
    }
  }
  point[0] = bestX;
  point[1] = bestY;
}

/**
 * Closest points between segments A and B (_get_closest_points_line_line), into `pair` (A's point
 * first). Crossing segments give their intersection point twice.
 */
export function closestSegmentSegment(
  ax: number, ay: number, aux: number, auy: number, ah: number,
  bx: number, by: number, bux: number, buy: number, bh: number,
): void {
  const a1x = ax + ah * aux, a1y = ay + ah * auy;
  const a2x = ax - ah * aux, a2y = ay - ah * auy;
  const b1x = bx + bh * bux, b1y = by + bh * buy;
  const b2x = bx - bh * bux, b2y = by - bh * buy;
  const rx = a2x - a1x, ry = a2y - a1y;
  const sx = b2x - b1x, sy = b2y - b1y;
  const qpx = b1x - a1x, qpy = b1y - a1y;
  const rxs = rx * sy - ry * sx;
  if (rxs !== 0) {
    const u = (qpx * ry - qpy * rx) / rxs;
    const t = (qpx * sy - qpy * sx) / rxs;
    if (t >= 0 && t <= 1 && u >= 0 && u <= 1) {
      pair[0] = pair[2] = a1x + t * rx;
      pair[1] = pair[3] = a1y + t * ry;
      return;
    }
  }
  let best = Infinity;
  let p1x = Infinity, p1y = Infinity, p2x = Infinity, p2y = Infinity;
  // Candidates in VMAS's order: A's ends against B, then B's ends against A.
  for (let k = 0; k < 4; k++) {
    let x1: number, y1: number, x2: number, y2: number;
    if (k < 2) {
      x1 = k === 0 ? a1x : a2x;
      y1 = k === 0 ? a1y : a2y;
      closestOnSegment(bx, by, bux, buy, bh, x1, y1);
      x2 = point[0];
      y2 = point[1];
    } else {
      x2 = k === 2 ? b1x : b2x;
      y2 = k === 2 ? b1y : b2y;
      closestOnSegment(ax, ay, aux, auy, ah, x2, y2);
      x1 = point[0];
      y1 = point[1];
    }
    const dx = x1 - x2;
    const dy = y1 - y2;
    const d = Math.sqrt(dx * dx + dy * dy);
    if (d < best) {
      best = d;
      p1x = x1; p1y = y1; p2x = x2; p2y = y2;
    }
  }
  pair[0] = p1x; pair[1] = p1y; pair[2] = p2x; pair[3] = p2y;
}

/**
 * Closest points between a box (its edges) and a segment (_get_closest_line_box), into `pair`:
 * the box's perimeter point first, then the segment's.
 */
export function closestBoxSegment(edges: Float64Array, o: number, sx: number, sy: number, sux: number, suy: number, sh: number): void {
  let best = Infinity;
  let p1x = Infinity, p1y = Infinity, p2x = Infinity, p2y = Infinity;
  for (let e = o; e < o + EDGE_STRIDE; e += 5) {
    closestSegmentSegment(edges[e], edges[e + 1], edges[e + 2], edges[e + 3], edges[e + 4], sx, sy, sux, suy, sh);
    const dx = pair[0] - pair[2];
    const dy = pair[1] - pair[3];
    const d = Math.sqrt(dx * dx + dy * dy);
    if (d < best) {
      best = d;
      p1x = pair[0]; p1y = pair[1]; p2x = pair[2]; p2y = pair[3];
    }
  }
  pair[0] = p1x; pair[1] = p1y; pair[2] = p2x; pair[3] = p2y;
}

/**
 * Closest points between boxes A and B (_get_closest_box_box), their edges at offsets oa and ob
 * of `edges`, into `pair`: A's point first.
 * Candidates: each edge of A against box B, then each edge of B against box A.
 */
export function closestBoxBox(edges: Float64Array, oa: number, ob: number): void {
  let best = Infinity;
  let p1x = Infinity, p1y = Infinity, p2x = Infinity, p2y = Infinity;
  for (let side = 0; side < 2; side++) {
    const own = side === 0 ? oa : ob;
    const other = side === 0 ? ob : oa;
    for (let e = own; e < own + EDGE_STRIDE; e += 5) {
      closestBoxSegment(edges, other, edges[e], edges[e + 1], edges[e + 2], edges[e + 3], edges[e + 4]);
      // pair = (point on `other`, point on this edge of `own`)
      const onA0 = side === 0 ? pair[2] : pair[0];
      const onA1 = side === 0 ? pair[3] : pair[1];
      const onB0 = side === 0 ? pair[0] : pair[2];
      const onB1 = side === 0 ? pair[1] : pair[3];
      const dx = onA0 - onB0;
      const dy = onA1 - onB1;
      const d = Math.sqrt(dx * dx + dy * dy);
      if (d < best) {
        best = d;
        p1x = onA0; p1y = onA1; p2x = onB0; p2y = onB1;
      }
    }
  }
  pair[0] = p1x; pair[1] = p1y; pair[2] = p2x; pair[3] = p2y;
}

/**
 * The solid box's reference point (_get_inner_point_box): from the perimeter point s, move along
 * v = s - outside by the box centre's depth h = v·(centre - s)/|v|, into `inner` with |h|.
 * When s equals the outside point, VMAS returns s + s with depth 0; kept as VMAS has it.
 */
export function innerPointOfBox(outsideX: number, outsideY: number, sx: number, sy: number, cx: number, cy: number): void {
  const vx = sx - outsideX;
  const vy = sy - outsideY;
  const vn = Math.sqrt(vx * vx + vy * vy);
  if (vn === 0) {
    inner[0] = sx + sx;
    inner[1] = sy + sy;
    inner[2] = 0;
    return;
  }
  const h = (vx * (cx - sx) + vy * (cy - sy)) / vn;
  inner[0] = sx + (vx / vn) * h;
  inner[1] = sy + (vy / vn) * h;
  inner[2] = Math.abs(h);
}

