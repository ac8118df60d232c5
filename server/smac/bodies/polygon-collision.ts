import type { PolygonState } from './polygon-state.ts';

/** What Collision.collides finds for two overlapping bodies, as far as the position solver reads it. */
export type Contact = {
  /** Body ids in order: the lower unit index first (matter-js' collision.bodyA). */
  lower: number;
  higher: number;
  normalX: number;
  normalY: number;
  depth: number;
  /** Support points, 1 or 2: the pair's contact count, which shares out the position impulses. */
  supportCount: number;
};

/** Index of the axis `overlapAxes` found its least overlap on (the scratch of matter-js' result.axis). */
let overlapAxis = 0;

/** The larger of the projections of two vertices on (ax, ay): the body's farthest along it, when they are its candidates. */
function farthest(v: Float64Array, i: number, j: number, ax: number, ay: number): number {
  const di = v[i] * ax + v[i + 1] * ay;
  const dj = v[j] * ax + v[j + 1] * ay;
  return dj > di ? dj : di;
}

/** The smaller of the projections of two vertices on (ax, ay). */
function nearest(v: Float64Array, i: number, j: number, ax: number, ay: number): number {
  const di = v[i] * ax + v[i + 1] * ay;
  const dj = v[j] * ax + v[j + 1] * ay;
  return dj < di ? dj : di;
}

/**
 * Collision._overlapAxes: the least overlap of the projections of a's and b's vertices on a's
 * axes, stopping at the first axis that separates them; sets `overlapAxis`. Projects only the
 * vertices that can be extreme along each axis (`extremeVertices`): the same maxima and minima.
 */
function overlapAxes(s: PolygonState, a: number, b: number): number {
  const v = s.vertices;
  const axes = s.axes;
  const extremes = s.extremes;
  const sides2 = s.sides * 2;
  const aStart = a * sides2;
  const bStart = b * sides2;
  const axisStart = a * s.axisStride;
  const axisCount = s.axisCount[a];
  let overlapMin = Number.MAX_VALUE;
  let axisFound = 0;
  for (let i = 0; i < axisCount; i++) {
    const axisX = axes[(axisStart + i) * 2];
    const axisY = axes[(axisStart + i) * 2 + 1];
    const e = (axisStart + i) * 4;
    const far0 = extremes[e] * 2;
    const far1 = extremes[e + 1] * 2;
    const near0 = extremes[e + 2] * 2;
    const near1 = extremes[e + 3] * 2;
    const maxA = farthest(v, aStart + far0, aStart + far1, axisX, axisY);
    const minA = nearest(v, aStart + near0, aStart + near1, axisX, axisY);
    const maxB = farthest(v, bStart + far0, bStart + far1, axisX, axisY);
    const minB = nearest(v, bStart + near0, bStart + near1, axisX, axisY);
    const overlapAB = maxA - minB;
    const overlapBA = maxB - minA;
    const overlap = overlapAB < overlapBA ? overlapAB : overlapBA;
    if (overlap < overlapMin) {
      overlapMin = overlap;
      axisFound = i;
      if (overlap <= 0) break;
    }
  }
  overlapAxis = axisFound;
  return overlapMin;
}

/** The two support vertices `findSupports` picked (indices within the body's vertices). */
let supportFirst = 0;
let supportSecond = 0;

/**
 * Collision._findSupports: the vertex of `body` deepest along the normal (nx, ny) as seen from
 * `from`'s position, and whichever of its two neighbours is deeper; sets `supportFirst/Second`.
 * The deepest is sought among the two candidates `c0 < c1` that can be farthest along the
 * normal, the first of equal distances winning as in matter-js' scan from vertex 0.
 */
function findSupports(s: PolygonState, from: number, body: number, nx: number, ny: number, c0: number, c1: number): void {
  const v = s.vertices;
  const sides = s.sides;
  const start = body * sides * 2;
  const fx = s.x[from];
  const fy = s.y[from];
  let deepest = c0;
  let nearestDistance = nx * (fx - v[start + c0 * 2]) + ny * (fy - v[start + c0 * 2 + 1]);
  if (nx * (fx - v[start + c1 * 2]) + ny * (fy - v[start + c1 * 2 + 1]) < nearestDistance) deepest = c1;
  const previous = (sides + deepest - 1) % sides;
  nearestDistance = nx * (fx - v[start + previous * 2]) + ny * (fy - v[start + previous * 2 + 1]);
  const next = (deepest + 1) % sides;
  supportFirst = deepest;
  supportSecond = nx * (fx - v[start + next * 2]) + ny * (fy - v[start + next * 2 + 1]) < nearestDistance ? next : previous;
}

/** Vertices.contains: whether vertex k of body `of` lies inside (or on) body `body`'s polygon. */
function containsVertex(s: PolygonState, body: number, of: number, k: number): boolean {
  const v = s.vertices;
  const sides = s.sides;
  const start = body * sides * 2;
  const pointX = v[(of * sides + k) * 2];
  const pointY = v[(of * sides + k) * 2 + 1];
  let vertexX = v[start + (sides - 1) * 2];
  let vertexY = v[start + (sides - 1) * 2 + 1];
  for (let i = 0; i < sides; i++) {
    const nextX = v[start + i * 2];
    const nextY = v[start + i * 2 + 1];
    if ((pointX - vertexX) * (nextY - vertexY) + (pointY - vertexY) * (vertexX - nextX) > 0) return false;
    vertexX = nextX;
    vertexY = nextY;
  }
  return true;
}

/**
 * Collision.collides for bodies a and b in the detector's order (which decides whose axes are
 * tried first, and so the normal on ties): separating-axis test both ways, the normal of least
 * overlap turned away from the lower-id body, then the support points. Returns false when they
 * do not overlap; otherwise fills `out`.
 */
export function collide(s: PolygonState, a: number, b: number, out: Contact): boolean {
  const overlapAB = overlapAxes(s, a, b);
  if (overlapAB <= 0) return false;
  const axisAB = overlapAxis;
  const overlapBA = overlapAxes(s, b, a);
  if (overlapBA <= 0) return false;
  const axisBA = overlapAxis;
  const lower = a < b ? a : b;
  const higher = a < b ? b : a;
  const ab = overlapAB < overlapBA;
  const axis = ab ? a * s.axisStride + axisAB : b * s.axisStride + axisBA;
  const depth = ab ? overlapAB : overlapBA;
  let nx = s.axes[axis * 2];
  let ny = s.axes[axis * 2 + 1];
  const dx = s.x[higher] - s.x[lower];
  const dy = s.y[higher] - s.y[lower];
  // Vertices farthest along the normal, then along its opposite (the axis's pairs, swapped when the normal is flipped).
  let along = axis * 4;
  let against = axis * 4 + 2;
  if (nx * dx + ny * dy >= 0) {
    nx = -nx;
    ny = -ny;
    along = axis * 4 + 2;
    against = axis * 4;
  }
  const extremes = s.extremes;
  // Support points of the higher body inside the lower one, then of the lower inside the higher.
  findSupports(s, lower, higher, nx, ny, extremes[along], extremes[along + 1]);
  let count = 0;
  if (containsVertex(s, lower, higher, supportFirst)) count++;
  if (containsVertex(s, lower, higher, supportSecond)) count++;
  if (count < 2) {
    findSupports(s, higher, lower, -nx, -ny, extremes[against], extremes[against + 1]);
    if (containsVertex(s, higher, lower, supportFirst)) count++;
    if (count < 2 && containsVertex(s, higher, lower, supportSecond)) count++;
  }
  out.lower = lower;
  out.higher = higher;
  out.normalX = nx;
  out.normalY = ny;
  out.depth = depth;
  // Overlapping with no vertex inside the other: matter-js keeps one support anyway.
  out.supportCount = count === 0 ? 1 : count;
  return true;
}
