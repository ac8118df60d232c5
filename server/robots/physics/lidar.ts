import { BOX, LINE, SPHERE, type BodyTable } from './body-table.ts';

/**
 * Ray casts from body centres (VMAS core.py `cast_rays` with `_cast_rays_to_sphere/box/line`):
 * exact ray-shape intersections against the bodies a lidar may see, capped at its range.
 */
export class LidarCaster {
  private readonly table: BodyTable;
  /** Unit directions of ray j at angle 2πj/n, per ray count n: [cos0, sin0, cos1, sin1, ...]. */
  private readonly directions = new Map<number, Float64Array>();

  constructor(table: BodyTable) {
    this.table = table;
  }

  private directionsFor(rays: number): Float64Array {
    let dirs = this.directions.get(rays);
    if (!dirs) {
      dirs = new Float64Array(2 * rays);
      for (let j = 0; j < rays; j++) {
        const angle = (2 * Math.PI * j) / rays;
        dirs[2 * j] = Math.cos(angle);
        dirs[2 * j + 1] = Math.sin(angle);
      }
      this.directions.set(rays, dirs);
    }
    return dirs;
  }

  cast(from: number, rays: number, range: number, sees: Uint8Array, out: Float32Array, offset: number): void {
    if (!Number.isInteger(rays) || rays < 1) throw new Error(`lidar rays must be an integer >= 1, got ${rays}`);
    if (!(range > 0)) throw new Error(`lidar range must be > 0, got ${range}`);
    const t = this.table;
    const dirs = this.directionsFor(rays);
    const ox = t.posX[from];
    const oy = t.posY[from];
    const heading = t.rot[from];
    const hc = heading === 0 ? 1 : Math.cos(heading);
    const hs = heading === 0 ? 0 : Math.sin(heading);
    for (let j = 0; j < rays; j++) out[offset + j] = range;
    for (let b = 0; b < t.count; b++) {
      if (b === from || !sees[b] || !t.collide[b]) continue;
      const cx = t.posX[b] - ox;
      const cy = t.posY[b] - oy;
      // No point of the body is nearer than its centre minus its circumscribed radius.
      const reach = range + t.boundRadius[b];
      if (cx * cx + cy * cy >= reach * reach) continue;
      const kind = t.kind[b];
      if (kind === SPHERE) this.sphere(cx, cy, t.sizeA[b], dirs, hc, hs, rays, out, offset);
      else if (kind === BOX) this.box(cx, cy, t.rot[b], t.sizeA[b], t.sizeB[b], dirs, hc, hs, rays, out, offset);
      else if (kind === LINE) this.line(cx, cy, t.rot[b], t.sizeA[b], dirs, hc, hs, rays, out, offset);
    }
  }

  /** Hit if the ray passes nearer than r to the centre, which lies ahead: t* - sqrt(r² - ρ²). */
  private sphere(cx: number, cy: number, r: number, dirs: Float64Array, hc: number, hs: number, rays: number, out: Float32Array, offset: number): void {
    for (let j = 0; j < rays; j++) {
      const ux = dirs[2 * j] * hc - dirs[2 * j + 1] * hs;
      const uy = dirs[2 * j] * hs + dirs[2 * j + 1] * hc;
      const along = cx * ux + cy * uy;
      if (!(along > 0)) continue;
      const px = cx - along * ux;
      const py = cy - along * uy;
      const rho2 = px * px + py * py;
      if (!(rho2 < r * r)) continue;
      const d = along - Math.sqrt(r * r - rho2);
      if (d < out[offset + j]) out[offset + j] = d;
    }
  }

  /** Slab test in the box frame; a ray starting inside (t_near <= 0) does not hit. */
  private box(cx: number, cy: number, rot: number, length: number, width: number, dirs: Float64Array, hc: number, hs: number, rays: number, out: Float32Array, offset: number): void {
    const c = Math.cos(rot);
    const s = Math.sin(rot);
    // Ray origin in the box frame: rotate (origin - centre) = (-cx, -cy) by -rot.
    const ox = -cx * c - cy * s;
    const oy = cx * s - cy * c;
    const hl = length / 2;
    const hw = width / 2;
    for (let j = 0; j < rays; j++) {
      const ux = dirs[2 * j] * hc - dirs[2 * j + 1] * hs;
      const uy = dirs[2 * j] * hs + dirs[2 * j + 1] * hc;
      const dx = ux * c + uy * s;
      const dy = -ux * s + uy * c;
      const tx1 = (-hl - ox) / dx;
      const tx2 = (hl - ox) / dx;
      const ty1 = (-hw - oy) / dy;
      const ty2 = (hw - oy) / dy;
      const near = Math.max(Math.min(tx1, tx2), Math.min(ty1, ty2));
      const far = Math.min(Math.max(tx1, tx2), Math.max(ty1, ty2));
      if (!(far >= near && near > 0)) continue;
      if (near < out[offset + j]) out[offset + j] = near;
    }
  }

  /** Solve o + u·û = p + t·R with R the full segment vector: hit if |t| <= 1/2 and u >= 0. */
  private line(cx: number, cy: number, rot: number, length: number, dirs: Float64Array, hc: number, hs: number, rays: number, out: Float32Array, offset: number): void {
    const rx = Math.cos(rot) * length;
    const ry = Math.sin(rot) * length;
    // q - p, with q the ray origin and p the segment centre
    const qpx = -cx;
    const qpy = -cy;
    for (let j = 0; j < rays; j++) {
      const ux = dirs[2 * j] * hc - dirs[2 * j + 1] * hs;
      const uy = dirs[2 * j] * hs + dirs[2 * j + 1] * hc;
      const rxs = rx * uy - ry * ux;
      if (rxs === 0) continue;
      const t = (qpx * uy - qpy * ux) / rxs;
      const u = (qpx * ry - qpy * rx) / rxs;
      if (!(t >= -0.5 && t <= 0.5 && u >= 0)) continue;
      if (u < out[offset + j]) out[offset + j] = u;
    }
  }
}
