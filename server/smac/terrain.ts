/** A walkable rectangle in whole map cells: x in [x[0], x[1]), y in [y[0], y[1]). */
export type WalkableRect = { readonly x: readonly [number, number]; readonly y: readonly [number, number] };

/** 'open': every cell of the map is walkable; else the union of the listed rectangles. */
export type TerrainSpec = 'open' | { readonly walkable: readonly WalkableRect[] };

/**
 * The map's walkable cells as a grid of unit cells (SMAC's pathing grid, SMAClite's terrain
 * rows). Answers SMAC's move-mask question (is the cell a point falls in walkable?) and keeps a
 * ground unit's circle inside the walkable cells and the map.
 */
export class Terrain {
  readonly width: number;
  readonly height: number;
  readonly cols: number;
  readonly rows: number;
  /** 1 where cell (cx, cy) at cy * cols + cx is walkable. */
  readonly walkable: Uint8Array;
  /** False when every cell is walkable: only the map edge stops units. */
  readonly hasBlockedCells: boolean;
  /** Scratch output of `confine`, reused so the hot path allocates nothing. */
  readonly out = { x: 0, y: 0 };

  constructor(spec: TerrainSpec, width: number, height: number) {
    this.width = width;
    this.height = height;
    this.cols = Math.ceil(width);
    this.rows = Math.ceil(height);
    this.walkable = new Uint8Array(this.cols * this.rows);
    if (spec === 'open') {
      this.walkable.fill(1);
    } else {
      for (const rect of spec.walkable) {
        for (let cy = rect.y[0]; cy < rect.y[1]; cy++) this.walkable.fill(1, cy * this.cols + rect.x[0], cy * this.cols + rect.x[1]);
      }
    }
    this.hasBlockedCells = this.walkable.includes(0);
  }

  /** Whether the cell containing (x, y) is on the map and walkable. */
  isWalkable(x: number, y: number): boolean {
    if (!(x >= 0 && x < this.width && y >= 0 && y < this.height)) return false;
    return this.walkable[Math.floor(y) * this.cols + Math.floor(x)] === 1;
  }

  private blocked(cx: number, cy: number): boolean {
    if (cx < 0 || cy < 0 || cx >= this.cols || cy >= this.rows) return false;
    return this.walkable[cy * this.cols + cx] === 0;
  }

  /**
   * Move a circle of radius r centred at (x, y) the least distance that puts it inside the map
   * and, when `ground`, off every unwalkable cell (air units fly over them, as in SC2 and
   * SMAClite). The result is in `out`.
   */
  confine(x: number, y: number, r: number, ground: boolean): { x: number; y: number } {
    let px = x < r ? r : x > this.width - r ? this.width - r : x;
    let py = y < r ? r : y > this.height - r ? this.height - r : y;
    if (ground && this.hasBlockedCells) {
      // A few passes settle a circle wedged in a concave corner, where one push can lead into the next cell.
      for (let pass = 0; pass < 3; pass++) {
        let moved = false;
        const x0 = Math.floor(px - r);
        const x1 = Math.floor(px + r);
        const y0 = Math.floor(py - r);
        const y1 = Math.floor(py + r);
        for (let cy = y0; cy <= y1; cy++) {
          for (let cx = x0; cx <= x1; cx++) {
            if (!this.blocked(cx, cy)) continue;
            const qx = px < cx ? cx : px > cx + 1 ? cx + 1 : px;
            const qy = py < cy ? cy : py > cy + 1 ? cy + 1 : py;
            const dx = px - qx;
            const dy = py - qy;
            const d2 = dx * dx + dy * dy;
            if (d2 >= r * r) continue;
            if (d2 > 1e-18) {
              const d = Math.sqrt(d2);
              px = qx + (dx / d) * r;
              py = qy + (dy / d) * r;
            } else {
              [px, py] = this.exitCell(px, py, cx, cy, r);
            }
            moved = true;
          }
        }
        if (!moved) break;
      }
    }
    this.out.x = px;
    this.out.y = py;
    return this.out;
  }

  /**
   * The nearest point of a walkable cell to (x, y), in `out`: for a start jittered deep into a
   * cliff, where `confine` finds no open face next to the cell it is in. (x, y) itself when its
   * cell is walkable. Scans every cell: called at reset only.
   */
  nearestWalkable(x: number, y: number): { x: number; y: number } {
    this.out.x = x;
    this.out.y = y;
    if (this.isWalkable(x, y)) return this.out;
    let best = Number.POSITIVE_INFINITY;
    for (let cy = 0; cy < this.rows; cy++) {
      for (let cx = 0; cx < this.cols; cx++) {
        if (this.walkable[cy * this.cols + cx] === 0) continue;
        // Just inside the cell, so the point's cell is this one.
        const qx = Math.min(Math.max(x, cx), Math.min(cx + 1, this.width) - 1e-9);
        const qy = Math.min(Math.max(y, cy), Math.min(cy + 1, this.height) - 1e-9);
        const d2 = (qx - x) ** 2 + (qy - y) ** 2;
        if (d2 < best) {
          best = d2;
          this.out.x = qx;
          this.out.y = qy;
        }
      }
    }
    return this.out;
  }

  /** A centre inside blocked cell (cx, cy): leave through the nearest face that opens onto a walkable cell. */
  private exitCell(px: number, py: number, cx: number, cy: number, r: number): [number, number] {
    const exits: [number, number, number][] = [
      [px - cx, cx - r, py],
      [cx + 1 - px, cx + 1 + r, py],
      [py - cy, px, cy - r],
      [cy + 1 - py, px, cy + 1 + r],
    ];
    const open = [!this.blocked(cx - 1, cy) && cx > 0, !this.blocked(cx + 1, cy) && cx + 1 < this.cols, !this.blocked(cx, cy - 1) && cy > 0, !this.blocked(cx, cy + 1) && cy + 1 < this.rows];
    let best = -1;
    for (let k = 0; k < 4; k++) if (open[k] && (best < 0 || exits[k][0] < exits[best][0])) best = k;
    if (best < 0) return [px, py];
    return [exits[best][1], exits[best][2]];
  }
}
