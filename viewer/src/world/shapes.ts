import {
  BoxGeometry,
  BufferGeometry,
  CapsuleGeometry,
  ConeGeometry,
  CylinderGeometry,
  DodecahedronGeometry,
  IcosahedronGeometry,
  OctahedronGeometry,
  SphereGeometry,
  TorusGeometry,
} from 'three';
import type { EntityInfo } from '../../../shared/entity-info.ts';

/**
 * One silhouette per unit type, so a marine reads differently from a medivac at a glance. Every
 * geometry has radius 1 in the ground plane and stands on y = 0; instances scale by the entity's
 * radius (slabs: by its length, height and width).
 */
export type ShapeName =
  | 'sphere'
  | 'capsule'
  | 'box'
  | 'octahedron'
  | 'cone'
  | 'dodecahedron'
  | 'icosahedron'
  | 'tallCylinder'
  | 'torus'
  | 'disc'
  | 'pillar'
  | 'slab';

const TYPE_SHAPES: Readonly<Record<string, ShapeName>> = {
  // SMAC-style units
  marine: 'capsule',
  marauder: 'box',
  medivac: 'octahedron',
  stalker: 'cone',
  zealot: 'dodecahedron',
  colossus: 'tallCylinder',
  zergling: 'cone',
  hydralisk: 'capsule',
  baneling: 'sphere',
  spine_crawler: 'pillar',
  // MPE roles
  adversary: 'icosahedron',
  good: 'sphere',
  speaker: 'torus',
  listener: 'sphere',
  leader: 'octahedron',
};

/**
 * Boxes and lines (walls, packages, the balance plank) are slabs: a unit cube that instances
 * stretch to the body's length, width and a drawn height, and turn by its rotation.
 */
export function shapeFor(entity: EntityInfo): ShapeName {
  const outline = entity.shape?.kind;
  if (outline === 'box' || outline === 'line') return 'slab';
  if (entity.kind === 'landmark' || entity.kind === 'goal') return 'disc';
  if (entity.kind === 'obstacle' || entity.kind === 'wall') return 'pillar';
  return TYPE_SHAPES[entity.type] ?? 'sphere';
}

export function createShape(shape: ShapeName): BufferGeometry {
  let geometry: BufferGeometry;
  switch (shape) {
    case 'sphere':
      geometry = new SphereGeometry(1, 20, 14).translate(0, 1, 0);
      break;
    case 'capsule':
      geometry = new CapsuleGeometry(0.75, 1.2, 6, 14).translate(0, 1.35, 0);
      break;
    case 'box':
      geometry = new BoxGeometry(1.5, 1.5, 1.5).translate(0, 0.75, 0);
      break;
    case 'octahedron':
      geometry = new OctahedronGeometry(1).translate(0, 1.4, 0);
      break;
    case 'cone':
      geometry = new ConeGeometry(1, 2, 14).translate(0, 1, 0);
      break;
    case 'dodecahedron':
      geometry = new DodecahedronGeometry(1).translate(0, 1, 0);
      break;
    case 'icosahedron':
      geometry = new IcosahedronGeometry(1).translate(0, 1, 0);
      break;
    case 'tallCylinder':
      geometry = new CylinderGeometry(0.8, 1, 3, 16).translate(0, 1.5, 0);
      break;
    case 'torus':
      geometry = new TorusGeometry(0.7, 0.3, 10, 20).rotateX(Math.PI / 2).translate(0, 0.3, 0);
      break;
    case 'disc':
      geometry = new CylinderGeometry(1, 1, 0.08, 24).translate(0, 0.04, 0);
      break;
    case 'pillar':
      geometry = new CylinderGeometry(1, 1, 1.2, 20).translate(0, 0.6, 0);
      break;
    case 'slab':
      geometry = new BoxGeometry(1, 1, 1).translate(0, 0.5, 0);
      break;
  }
  // Raycasts on instanced meshes go through the bounding volumes; compute them once here.
  geometry.computeBoundingSphere();
  geometry.computeBoundingBox();
  return geometry;
}
