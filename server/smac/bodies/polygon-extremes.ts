/**
 * Which vertices can be extreme along each body's axes, so the separating-axis test and the
 * support search project 2 vertices per side instead of all of them.
 *
 * The units are regular polygons of the same orientation that never rotate, so along an edge
 * normal the farthest vertices are always that edge's two ends (equal up to rounding), and the
 * nearest are the opposite edge's two ends, on every body. Every other vertex lies at least a
 * third of the radius short of them, while translations only perturb the shapes by rounding
 * errors (around 1e-13 of a coordinate each), so the maximum and minimum over the two candidates
 * are exactly those over all vertices: the same numbers matter-js computes, in fewer products.
 */

/** A vertex counts as a possible extreme only if every other vertex is this share of the radius short of it. */
const MARGIN = 0.05;

/**
 * For body u's axis k, four vertex indices at ((u * axisStride + k) * 4): the two that can be
 * farthest along the axis, then the two that can be nearest, each pair in increasing order (so a
 * search keeping the first of equal values finds the one matter-js' full scan finds). Throws if
 * the candidates are not the same on every body or are not clear of the other vertices.
 */
export function extremeVertices(vertices: Float64Array, axes: Float64Array, axisCount: Int32Array, axisStride: number, sides: number): Int32Array {
  const n = axisCount.length;
  const table = new Int32Array(n * axisStride * 4);
  for (let u = 0; u < n; u++) {
    for (let k = 0; k < axisCount[u]; k++) {
      const ax = axes[(u * axisStride + k) * 2];
      const ay = axes[(u * axisStride + k) * 2 + 1];
      for (let w = 0; w < n; w++) {
        const far = clearTopTwo(vertices, w, sides, ax, ay);
        const near = clearTopTwo(vertices, w, sides, -ax, -ay);
        const at = (u * axisStride + k) * 4;
        if (w === 0) {
          table.set([far[0], far[1], near[0], near[1]], at);
        } else if (table[at] !== far[0] || table[at + 1] !== far[1] || table[at + 2] !== near[0] || table[at + 3] !== near[1]) {
          throw new Error(`bodies ${u} and ${w} differ in their extreme vertices: the port needs equally oriented polygons`);
        }
      }
    }
  }
  return table;
}

/** The two vertices of body w farthest along (ax, ay), in increasing index order, checked clear of the rest. */
function clearTopTwo(vertices: Float64Array, w: number, sides: number, ax: number, ay: number): [number, number] {
  const projections: { index: number; along: number }[] = [];
  let cx = 0;
  let cy = 0;
  for (let j = 0; j < sides; j++) {
    cx += vertices[(w * sides + j) * 2] / sides;
    cy += vertices[(w * sides + j) * 2 + 1] / sides;
  }
  let radius = 0;
  for (let j = 0; j < sides; j++) {
    const x = vertices[(w * sides + j) * 2] - cx;
    const y = vertices[(w * sides + j) * 2 + 1] - cy;
    projections.push({ index: j, along: x * ax + y * ay });
    radius = Math.max(radius, Math.hypot(x, y));
  }
  projections.sort((p, q) => q.along - p.along);
  if (sides < 3 || projections[1].along - projections[2].along < MARGIN * radius) {
    throw new Error(`body ${w}: a third vertex comes too close to the extremes along an axis`);
  }
  const a = projections[0].index;
  const b = projections[1].index;
  return a < b ? [a, b] : [b, a];
}
