import { LINE_CONTACT_RADIUS, type ShapeSpec } from './physics/index.ts';

/**
 * Signed distance from the point (qx, qy) to the surface of a shape at (x, y) turned by `rot`:
 * negative inside a circle or box. A segment is a capsule of VMAS's line thickness, as contacts
 * treat it.
 */
export function signedSurfaceDistance(shape: ShapeSpec, x: number, y: number, rot: number, qx: number, qy: number): number {
  const c = Math.cos(rot);
  const s = Math.sin(rot);
  const lx = c * (qx - x) + s * (qy - y);
  const ly = -s * (qx - x) + c * (qy - y);
  switch (shape.kind) {
    case 'sphere':
      return Math.hypot(lx, ly) - shape.radius;
    case 'line': {
      const half = shape.length / 2;
      const along = Math.max(-half, Math.min(half, lx));
      return Math.hypot(lx - along, ly) - LINE_CONTACT_RADIUS;
    }
    case 'box': {
      const dx = Math.abs(lx) - shape.length / 2;
      const dy = Math.abs(ly) - shape.width / 2;
      const outside = Math.hypot(Math.max(dx, 0), Math.max(dy, 0));
      return outside + Math.min(Math.max(dx, dy), 0);
    }
  }
}
