import { BOX, LINE, SPHERE, type BodyTable } from './body-table.ts';
import {
  EDGE_STRIDE,
  boxEdges,
  closestBoxBox,
  closestBoxSegment,
  closestOnBoxEdges,
  closestOnSegment,
  closestSegmentSegment,
  pair,
  point,
} from './geometry.ts';
import { LINE_CONTACT_RADIUS } from './types.ts';

const edges = new Float64Array(2 * EDGE_STRIDE);

function boxEdgesAt(t: BodyTable, i: number, o: number): void {
  boxEdges(t.posX[i], t.posY[i], t.rot[i], t.sizeA[i], t.sizeB[i], edges, o);
}

function pairLength(): number {
  const dx = pair[0] - pair[2];
  const dy = pair[1] - pair[3];
  return Math.sqrt(dx * dx + dy * dy);
}

/**
 * VMAS's box-sphere `is_overlapping`: the sphere centre is nearer the box centre than the box's
 * closest perimeter point is, or within r + ℓ of that perimeter point.
 */
function boxSphereOverlap(t: BodyTable, box: number, sphere: number): boolean {
  boxEdgesAt(t, box, 0);
  const sx = t.posX[sphere];
  const sy = t.posY[sphere];
  closestOnBoxEdges(edges, 0, sx, sy);
  const toPerimeter = Math.hypot(sx - point[0], sy - point[1]);
  const toCentre = Math.hypot(sx - t.posX[box], sy - t.posY[box]);
  const perimeterToCentre = Math.hypot(t.posX[box] - point[0], t.posY[box] - point[1]);
  return toCentre < perimeterToCentre || toPerimeter < t.sizeA[sphere] + LINE_CONTACT_RADIUS;
}

/** VMAS `World.get_distance(a, b)`, whatever the bodies' `collide` flags. */
export function vmasDistance(t: BodyTable, a: number, b: number): number {
  const ka = t.kind[a];
  const kb = t.kind[b];
  if (ka === SPHERE && kb === SPHERE) {
    return Math.hypot(t.posX[a] - t.posX[b], t.posY[a] - t.posY[b]) - t.sizeA[a] - t.sizeA[b];
  }
  if ((ka === BOX && kb === SPHERE) || (ka === SPHERE && kb === BOX)) {
    const box = ka === BOX ? a : b;
    const sphere = ka === BOX ? b : a;
    // VMAS reports -1 for any overlapping box-sphere pair.
    if (boxSphereOverlap(t, box, sphere)) return -1;
    const sx = t.posX[sphere];
    const sy = t.posY[sphere];
    return Math.hypot(sx - point[0], sy - point[1]) - LINE_CONTACT_RADIUS - t.sizeA[sphere];
  }
  if ((ka === LINE && kb === SPHERE) || (ka === SPHERE && kb === LINE)) {
    const line = ka === LINE ? a : b;
    const sphere = ka === LINE ? b : a;
    const sx = t.posX[sphere];
    const sy = t.posY[sphere];
    closestOnSegment(t.posX[line], t.posY[line], Math.cos(t.rot[line]), Math.sin(t.rot[line]), t.sizeA[line] / 2, sx, sy);
    return Math.hypot(sx - point[0], sy - point[1]) - LINE_CONTACT_RADIUS - t.sizeA[sphere];
  }
  if (ka === LINE && kb === LINE) {
    closestSegmentSegment(
      t.posX[a], t.posY[a], Math.cos(t.rot[a]), Math.sin(t.rot[a]), t.sizeA[a] / 2,
      t.posX[b], t.posY[b], Math.cos(t.rot[b]), Math.sin(t.rot[b]), t.sizeA[b] / 2,
    );
    return pairLength() - LINE_CONTACT_RADIUS;
  }
  if ((ka === BOX && kb === LINE) || (ka === LINE && kb === BOX)) {
    const box = ka === BOX ? a : b;
    const line = ka === BOX ? b : a;
    boxEdgesAt(t, box, 0);
    closestBoxSegment(edges, 0, t.posX[line], t.posY[line], Math.cos(t.rot[line]), Math.sin(t.rot[line]), t.sizeA[line] / 2);
    return pairLength() - LINE_CONTACT_RADIUS;
  }
  boxEdgesAt(t, a, 0);
  boxEdgesAt(t, b, EDGE_STRIDE);
  closestBoxBox(edges, 0, EDGE_STRIDE);
  return pairLength() - LINE_CONTACT_RADIUS;
}

/** VMAS `World.is_overlapping(a, b)`. */
export function vmasOverlapping(t: BodyTable, a: number, b: number): boolean {
  const ka = t.kind[a];
  const kb = t.kind[b];
  if (ka === BOX && kb === SPHERE) return boxSphereOverlap(t, a, b);
  if (ka === SPHERE && kb === BOX) return boxSphereOverlap(t, b, a);
  return vmasDistance(t, a, b) < 0;
}
