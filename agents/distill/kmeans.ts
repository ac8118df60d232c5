import type { Rng } from '../../shared/rng.ts';

/**
 * k-means (k-means++ seeding, Lloyd iterations) over row-major points. Roles for L_RA are the
 * clusters of the teacher's hidden states: fitted once, then every sample is assigned its nearest
 * centroid, so a role means the same thing for the whole run.
 */
export function fitKMeans(points: Float32Array, dim: number, k: number, rng: Rng, iterations = 25): Float32Array {
  const n = Math.floor(points.length / dim);
  if (n < k) throw new Error(`k-means: ${n} points for ${k} clusters`);
  const centroids = new Float32Array(k * dim);
  const nearest = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  // k-means++: first centre uniform, then proportional to squared distance to the nearest centre.
  let pick = rng.int(n);
  for (let c = 0; c < k; c++) {
    centroids.set(points.subarray(pick * dim, (pick + 1) * dim), c * dim);
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = squaredDistance(points, i * dim, centroids, c * dim, dim);
      if (d < nearest[i]) nearest[i] = d;
      total += nearest[i];
    }
    if (total === 0) {
      pick = rng.int(n);
      continue;
    }
    let target = rng.uniform() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) {
      target -= nearest[i];
      if (target <= 0) {
        pick = i;
        break;
      }
    }
  }
  const assignment = new Int32Array(n);
  const sums = new Float64Array(k * dim);
  const counts = new Int32Array(k);
  for (let iter = 0; iter < iterations; iter++) {
    assignKMeans(points, dim, centroids, k, assignment);
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = assignment[i];
      counts[c]++;
      for (let d = 0; d < dim; d++) sums[c * dim + d] += points[i * dim + d];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) continue; // an empty cluster keeps its centre
      for (let d = 0; d < dim; d++) centroids[c * dim + d] = sums[c * dim + d] / counts[c];
    }
  }
  return centroids;
}

/** Index of the nearest centroid for each point. */
export function assignKMeans(points: Float32Array, dim: number, centroids: Float32Array, k: number, out: Int32Array): Int32Array {
  const n = Math.floor(points.length / dim);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let c = 0; c < k; c++) {
      const d = squaredDistance(points, i * dim, centroids, c * dim, dim);
      if (d < bestDistance) {
        bestDistance = d;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}

function squaredDistance(a: Float32Array, ai: number, b: Float32Array, bi: number, dim: number): number {
  let s = 0;
  for (let d = 0; d < dim; d++) {
    const x = a[ai + d] - b[bi + d];
    s += x * x;
  }
  return s;
}
