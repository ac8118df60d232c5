import { coneFrom, segmentBlocked, type Cone, type PlacedStatic } from './path-geometry.ts';
import { pathGrid, type PathGrid } from './path-grid.ts';

export type { PlacedStatic } from './path-geometry.ts';

/** The bodies that block paths (fixed and colliding: walls, obstacles), where they stand now. */
export function placedStatics(bodies: readonly { movable: boolean; collide: boolean; shape: PlacedStatic['shape'] }[], at: { posX: Float64Array; posY: Float64Array; rot: Float64Array }): PlacedStatic[] {
  return bodies.flatMap((b, e) => (!b.movable && b.collide ? [{ shape: b.shape, x: at.posX[e], y: at.posY[e], rot: at.rot[e] }] : []));
}

/**
 * A robot's field over a navigation spawn box (|x| ≤ spawnX, |y| ≤ spawnY) and a margin a robot
 * can stand in; beyond it the field adds the straight way back.
 */
export function spawnBoxField(statics: readonly PlacedStatic[], radius: number, spawnX: number, spawnY: number): PathDistanceField {
  return new PathDistanceField(statics, radius, spawnX + 2 * radius + 0.1, spawnY + 2 * radius + 0.1);
}

/**
 * The 16 neighbour steps (8 around, 8 knight moves) as tables: offsets, length in cells, and the two
 * cells each passes beside, which must be free too (a diagonal passes its two axis neighbours, a
 * knight move the two cells around its midpoint; an axis step passes none and repeats its target).
 */
const STEPS = (() => {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const dx: number[] = [];
  const dy: number[] = [];
  const length: number[] = [];
  const via: number[] = [];
  for (let x = -2; x <= 2; x++) {
    for (let y = -2; y <= 2; y++) {
      if (gcd(Math.abs(x), Math.abs(y)) !== 1) continue;
      const diagonal = Math.abs(x) === 1 && Math.abs(y) === 1;
      const knight = Math.abs(x) + Math.abs(y) === 3;
      dx.push(x);
      dy.push(y);
      length.push(Math.hypot(x, y));
      if (diagonal) via.push(x, 0, 0, y);
      else if (knight) via.push(Math.floor(x / 2), Math.floor(y / 2), Math.ceil(x / 2), Math.ceil(y / 2));
      else via.push(x, y, x, y);
    }
  }
  return { count: dx.length, dx: Int8Array.from(dx), dy: Int8Array.from(dy), length: Float64Array.from(length), via: Int8Array.from(via) };
})();

/**
 * The shortest-path distance from any point to one goal around static bodies inflated by a robot
 * radius. Where the straight segment to the goal keeps the radius from every static it is the
 * straight distance, exactly. Elsewhere it is read off a grid by bilinear interpolation: every free
 * cell that sees the goal holds its straight distance, and a Dijkstra with 16-neighbour steps
 * carries the values from them into the shadows (too long by at most 2.8% of the part of a path
 * that runs on the grid, plus about a cell where it turns round a corner). A cell within the radius
 * of a static holds its nearest free cell's value plus the way there, so a robot pressed against an
 * obstacle still has a finite distance. A point off the grid takes the value at the nearest grid
 * point plus the straight way there. The grid is filled when a point out of sight of the goal
 * first asks, so a goal every robot sees costs nothing.
 */
export class PathDistanceField {
  private readonly grid: PathGrid;
  private readonly values: Float64Array;
  /** Free cells whose straight segment to the goal is clear: they hold the straight distance. */
  private readonly seen: Uint8Array;
  /** Per static, the cone from the goal that holds it. */
  private readonly cones: Cone[];
  /** Statics the goal itself lies within the radius of: sight lines from it pass through them. */
  private readonly ignored: Uint8Array;
  private readonly heap: MinHeap;
  private goalX = 0;
  private goalY = 0;
  /** Whether the grid holds this goal's values. */
  private filled = false;

  /** A grid over |x| ≤ halfX, |y| ≤ halfY for a robot of the given radius (shared by fields of the same layout). */
  constructor(statics: readonly PlacedStatic[], radius: number, halfX: number, halfY: number) {
    this.grid = pathGrid(statics, radius, halfX, halfY);
    const n = this.grid.blocked.length;
    this.values = new Float64Array(n);
    this.seen = new Uint8Array(n);
    this.cones = this.grid.obstacles.map(() => ({ u1x: 0, u1y: 0, u2x: 0, u2y: 0, reach: 0, everywhere: true }));
    this.ignored = new Uint8Array(this.grid.obstacles.length);
    this.heap = new MinHeap(n);
  }

  /** Sets the goal; the grid is filled for it when first needed. */
  setGoal(gx: number, gy: number): void {
    this.goalX = gx;
    this.goalY = gy;
    this.filled = false;
    this.grid.obstacles.forEach((o, k) => {
      this.ignored[k] = segmentBlocked(o, gx, gy, gx, gy) ? 1 : 0;
      this.cones[k] = coneFrom(o, gx, gy);
    });
  }

  private fill(): void {
    this.filled = true;
    const grid = this.grid;
    const { nx, ny, blocked, cell, originX, originY } = grid;
    const { values, seen, heap, goalX: gx, goalY: gy } = this;
    const n = values.length;
    values.fill(Infinity);
    seen.fill(0);
    heap.clear();
    for (let j = 0, c = 0; j < ny; j++) {
      const y = originY + j * cell;
      for (let i = 0; i < nx; i++, c++) {
        if (blocked[c]) continue;
        const x = originX + i * cell;
        if (!this.sees(x, y)) continue;
        seen[c] = 1;
        values[c] = Math.hypot(x - gx, y - gy);
      }
    }
    // A seen cell's straight distance is final (no path is shorter); only those beside a shadow start the search.
    for (let j = 0, c = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, c++) {
        if (!seen[c]) continue;
        for (let k = 0; k < STEPS.count; k++) {
          const ti = i + STEPS.dx[k];
          const tj = j + STEPS.dy[k];
          if (ti < 0 || tj < 0 || ti >= nx || tj >= ny) continue;
          const t = tj * nx + ti;
          if (!blocked[t] && !seen[t]) {
            heap.push(c, values[c]);
            break;
          }
        }
      }
    }
    this.propagate();
    for (let c = 0; c < n; c++) {
      if (blocked[c]) {
        const f = grid.nearestFree[c];
        values[c] = f >= 0 ? values[f] + grid.toNearestFree[c] : Infinity;
      }
      // Cells no path reaches (a pocket closed off by statics, or no cell sees the goal) fall back to the straight distance.
      if (values[c] === Infinity) values[c] = Math.hypot(grid.cellX(c) - gx, grid.cellY(c) - gy);
    }
  }

  /** The shortest-path distance from (px, py) to the goal. */
  distance(px: number, py: number): number {
    if (this.sees(px, py)) return Math.hypot(px - this.goalX, py - this.goalY);
    if (!this.filled) this.fill();
    const { nx, ny, cell, originX, originY } = this.grid;
    const cx = Math.min(Math.max(px, originX), originX + (nx - 1) * cell);
    const cy = Math.min(Math.max(py, originY), originY + (ny - 1) * cell);
    const fx = (cx - originX) / cell;
    const fy = (cy - originY) / cell;
    const i = Math.min(Math.floor(fx), nx - 2);
    const j = Math.min(Math.floor(fy), ny - 2);
    const tx = fx - i;
    const ty = fy - j;
    const v = this.values;
    const c = j * nx + i;
    const onGrid = (1 - ty) * ((1 - tx) * v[c] + tx * v[c + 1]) + ty * ((1 - tx) * v[c + nx] + tx * v[c + nx + 1]);
    return onGrid + Math.hypot(px - cx, py - cy);
  }

  /** Whether the straight segment from (x, y) to the goal keeps the clearance of every static. */
  private sees(x: number, y: number): boolean {
    const vx = x - this.goalX;
    const vy = y - this.goalY;
    const obstacles = this.grid.obstacles;
    for (let k = 0; k < obstacles.length; k++) {
      if (this.ignored[k]) continue;
      const cone = this.cones[k];
      if (!cone.everywhere && (cone.u1x * vy - cone.u1y * vx < 0 || vx * cone.u2y - vy * cone.u2x < 0)) continue;
      if (vx * vx + vy * vy < cone.reach * cone.reach) continue;
      if (segmentBlocked(obstacles[k], x, y, this.goalX, this.goalY)) return false;
    }
    return true;
  }

  /** Dijkstra over the free cells from the seen cells beside a shadow. */
  private propagate(): void {
    const { nx, ny, blocked, cell } = this.grid;
    const { values, heap } = this;
    const { count, dx, dy, length, via } = STEPS;
    while (heap.size > 0) {
      const c = heap.topCell;
      const d = heap.pop();
      if (d > values[c]) continue;
      const i = c % nx;
      const j = (c - i) / nx;
      for (let k = 0; k < count; k++) {
        const ti = i + dx[k];
        const tj = j + dy[k];
        if (ti < 0 || tj < 0 || ti >= nx || tj >= ny) continue;
        const t = tj * nx + ti;
        const next = d + cell * length[k];
        if (blocked[t] || next >= values[t]) continue;
        // The cells a step passes beside lie within the grid whenever its ends do.
        if (blocked[(j + via[4 * k + 1]) * nx + i + via[4 * k]] || blocked[(j + via[4 * k + 3]) * nx + i + via[4 * k + 2]]) continue;
        values[t] = next;
        heap.push(t, next);
      }
    }
  }
}

/** A binary min-heap of grid cells keyed by distance; stale entries are skipped by the caller. */
class MinHeap {
  private cells: Int32Array;
  private keys: Float64Array;
  size = 0;

  constructor(capacity: number) {
    this.cells = new Int32Array(capacity);
    this.keys = new Float64Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  /** The cell of the entry pop() removes next. */
  get topCell(): number {
    return this.cells[0];
  }

  push(cell: number, key: number): void {
    if (this.size === this.cells.length) {
      const cells = new Int32Array(this.size * 2);
      const keys = new Float64Array(this.size * 2);
      cells.set(this.cells);
      keys.set(this.keys);
      this.cells = cells;
      this.keys = keys;
    }
    let k = this.size++;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (this.keys[parent] <= key) break;
      this.cells[k] = this.cells[parent];
      this.keys[k] = this.keys[parent];
      k = parent;
    }
    this.cells[k] = cell;
    this.keys[k] = key;
  }

  /** Removes the top entry and returns its key. */
  pop(): number {
    const top = this.keys[0];
    const last = --this.size;
    const cell = this.cells[last];
    const key = this.keys[last];
    let k = 0;
    for (;;) {
      let child = 2 * k + 1;
      if (child >= last) break;
      if (child + 1 < last && this.keys[child + 1] < this.keys[child]) child++;
      if (this.keys[child] >= key) break;
      this.cells[k] = this.cells[child];
      this.keys[k] = this.keys[child];
      k = child;
    }
    this.cells[k] = cell;
    this.keys[k] = key;
    return top;
  }
}
