import { inflate, segmentBlocked, type InflatedStatic, type PlacedStatic } from './path-geometry.ts';

/** Grid spacing: at most this, and at most half the robot radius, so a step cuts an inflated corner by little. */
const MAX_CELL = 0.04;
const MAX_CELLS = 160_000;
/** Grids kept for reuse: every env of a vectorised run shares its layout's. */
const CACHE_SIZE = 16;

/**
 * A square grid over |x| ≤ halfX, |y| ≤ halfY marking the cells within a robot radius of a static,
 * with each such cell's nearest free cell. It depends on the layout only, so envs with the same
 * statics and robot radius share one (`pathGrid`).
 */
export class PathGrid {
  readonly obstacles: readonly InflatedStatic[];
  readonly cell: number;
  readonly originX: number;
  readonly originY: number;
  readonly nx: number;
  readonly ny: number;
  /** 1 where a robot centre would come within its radius of a static. */
  readonly blocked: Uint8Array;
  /** Per blocked cell, its nearest free cell (−1 for free cells, and when none is free) and the way there. */
  readonly nearestFree: Int32Array;
  readonly toNearestFree: Float64Array;

  constructor(statics: readonly PlacedStatic[], radius: number, halfX: number, halfY: number) {
    this.obstacles = statics.map((s) => inflate(s, radius));
    let cell = Math.min(MAX_CELL, radius / 2);
    while (Math.ceil((2 * halfX) / cell + 1) * Math.ceil((2 * halfY) / cell + 1) > MAX_CELLS) cell *= 1.25;
    this.cell = cell;
    this.nx = Math.ceil((2 * halfX) / cell) + 1;
    this.ny = Math.ceil((2 * halfY) / cell) + 1;
    this.originX = -halfX;
    this.originY = -halfY;
    const n = this.nx * this.ny;
    this.blocked = new Uint8Array(n);
    for (let c = 0; c < n; c++) {
      const x = this.cellX(c);
      const y = this.cellY(c);
      if (this.obstacles.some((o) => segmentBlocked(o, x, y, x, y))) this.blocked[c] = 1;
    }
    this.nearestFree = new Int32Array(n).fill(-1);
    this.toNearestFree = new Float64Array(n);
    this.findNearestFree();
  }

  cellX(c: number): number {
    return this.originX + (c % this.nx) * this.cell;
  }

  cellY(c: number): number {
    return this.originY + Math.floor(c / this.nx) * this.cell;
  }

  /** Searches square rings around each blocked cell until no nearer free cell can lie further out. */
  private findNearestFree(): void {
    const { nx, ny, blocked, cell } = this;
    for (let c = 0; c < blocked.length; c++) {
      if (!blocked[c]) continue;
      const i = c % nx;
      const j = (c - i) / nx;
      let best = -1;
      let bestDistance = Infinity;
      for (let r = 1; r < Math.max(nx, ny) && r * cell < bestDistance; r++) {
        for (let tj = j - r; tj <= j + r; tj++) {
          if (tj < 0 || tj >= ny) continue;
          const edge = tj === j - r || tj === j + r;
          for (let ti = i - r; ti <= i + r; ti += edge ? 1 : 2 * r) {
            if (ti < 0 || ti >= nx || blocked[tj * nx + ti]) continue;
            const d = cell * Math.hypot(ti - i, tj - j);
            if (d < bestDistance) {
              best = tj * nx + ti;
              bestDistance = d;
            }
          }
        }
      }
      this.nearestFree[c] = best;
      this.toNearestFree[c] = best >= 0 ? bestDistance : 0;
    }
  }
}

const cache = new Map<string, PathGrid>();

/** The grid of a layout and robot radius, built once and shared. */
export function pathGrid(statics: readonly PlacedStatic[], radius: number, halfX: number, halfY: number): PathGrid {
  const key = JSON.stringify([statics, radius, halfX, halfY]);
  let grid = cache.get(key);
  if (!grid) {
    grid = new PathGrid(statics, radius, halfX, halfY);
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(key, grid);
  }
  return grid;
}
