import {
  Color,
  DynamicDrawUsage,
  InstancedMesh,
  Matrix4,
  MeshLambertMaterial,
  Quaternion,
  Vector3,
  type Group,
  type Intersection,
  type Raycaster,
} from 'three';
import type { EntityInfo } from '../../../shared/entity-info.ts';
import type { SceneMessage } from '../../../shared/protocol.ts';
import type { Snapshot } from '../stream/wire.ts';
import { entityColors } from './entity-colors.ts';
import { createShape, shapeFor, type ShapeName } from './shapes.ts';

/** How long a dying unit takes to fade into the ground (ms). */
const FADE_MS = 1200;

type Slot = { mesh: InstancedMesh; index: number };

/**
 * Every entity (agents, enemy units, landmarks, obstacles, walls, bodies, goals) as one instance of an InstancedMesh per
 * silhouette: a few draw calls for hundreds of bodies. Matrices and colours are rewritten each
 * frame (DynamicDrawUsage) and flagged with needsUpdate.
 *
 * Culling: off (`frustumCulled = false`). Instances spread over the whole map while the mesh's
 * bounding sphere is computed once from the first layout, so three.js would cull a whole group as
 * soon as its stale sphere left the view; the map normally fits the screen anyway, so per-frame
 * bounds recomputation would cost more than drawing the few off-screen instances.
 */
export class UnitLayer {
  readonly meshes: InstancedMesh[] = [];
  private readonly slots: Slot[] = [];
  private readonly baseColors: Color[];
  private readonly radii: Float32Array;
  /** Instance scale (x, y, z) per entity while alive: (r, r, r), or a slab's (length, height, width). */
  private readonly sizes: Float32Array;
  private readonly heights: Float32Array;
  private readonly headings: Float32Array;
  /** Local time a unit was first seen dead (ms), or -1 while alive. */
  private readonly deathAt: Float64Array;
  /** 1 while the entity is drawn at all (alive, or still fading), for the test hook. */
  readonly visible: Uint8Array;
  private readonly groundColor: Color;
  private readonly matrix = new Matrix4();
  private readonly position = new Vector3();
  private readonly quaternion = new Quaternion();
  private readonly scale = new Vector3();
  private readonly up = new Vector3(0, 1, 0);
  private readonly color = new Color();
  private readonly highlight = new Color('#ffffff');
  selected = -1;

  constructor(scene: SceneMessage, parent: Group, groundColor: Color, radiusScale: number) {
    const count = scene.entities.length;
    this.radii = new Float32Array(count);
    this.sizes = new Float32Array(3 * count);
    this.heights = new Float32Array(count);
    this.headings = new Float32Array(count);
    this.deathAt = new Float64Array(count).fill(-1);
    this.visible = new Uint8Array(count);
    this.groundColor = groundColor;
    const byShape = new Map<ShapeName, number[]>();
    this.baseColors = entityColors(scene);
    scene.entities.forEach((entity, i) => {
      const shape = shapeFor(entity);
      const list = byShape.get(shape) ?? [];
      list.push(i);
      byShape.set(shape, list);
      // Landmarks in MPE are points with a tiny radius; keep every body visible at map scale.
      this.radii[i] = Math.max(entity.radius, radiusScale);
      this.sizes.set(slabSize(entity, radiusScale) ?? [this.radii[i]!, this.radii[i]!, this.radii[i]!], 3 * i);
    });
    for (const [shape, entities] of byShape) {
      const geometry = createShape(shape);
      const height = geometry.boundingBox!.max.y;
      const material = new MeshLambertMaterial({ color: 0xffffff });
      const mesh = new InstancedMesh(geometry, material, entities.length);
      mesh.instanceMatrix.setUsage(DynamicDrawUsage);
      mesh.frustumCulled = false;
      mesh.name = `units:${shape}`;
      mesh.userData['entities'] = entities;
      entities.forEach((entity, index) => {
        this.slots[entity] = { mesh, index };
        this.heights[entity] = height;
        mesh.setColorAt(index, this.baseColors[entity]!);
      });
      mesh.instanceColor!.setUsage(DynamicDrawUsage);
      this.meshes.push(mesh);
      parent.add(mesh);
    }
  }

  /** World-space top of an entity (for bars and beams). */
  topOf(entity: number): number {
    return this.heights[entity]! * this.sizes[3 * entity + 1]!;
  }

  /** The entity's own colour as drawn while alive and not selected, as `#rrggbb`. */
  colorOf(entity: number): string {
    return `#${this.baseColors[entity]!.getHexString()}`;
  }

  radiusOf(entity: number): number {
    return this.radii[entity]!;
  }

  /** `rotations`: interpolated per-entity rotations where the stream has them; else bodies face their motion. */
  update(positions: Float32Array, snapshot: Snapshot, now: number, rotations: Float32Array | null = null): void {
    const alive = snapshot.alive;
    const velocities = snapshot.velocities;
    for (let i = 0; i < this.slots.length; i++) {
      const slot = this.slots[i]!;
      let fade = 0;
      if (alive[i]) {
        this.deathAt[i] = -1;
      } else {
        if (this.deathAt[i]! < 0) this.deathAt[i] = now;
        fade = Math.min(1, (now - this.deathAt[i]!) / FADE_MS);
      }
      const vx = velocities[2 * i]!;
      const vy = velocities[2 * i + 1]!;
      // A rotation θ about +y turns +x to (cos θ, 0, -sin θ): the simulation's angle as drawn.
      if (rotations) this.headings[i] = rotations[i]!;
      else if (vx * vx + vy * vy > 1e-8) this.headings[i] = Math.atan2(vx, vy);
      const sizes = this.sizes;
      this.visible[i] = fade < 1 ? 1 : 0;
      if (fade >= 1) {
        this.scale.set(0, 0, 0);
      } else {
        // Sink and flatten while fading, so a dead unit reads as gone before it vanishes.
        this.scale.set(sizes[3 * i]!, sizes[3 * i + 1]! * (1 - 0.85 * fade), sizes[3 * i + 2]!);
      }
      this.position.set(positions[2 * i]!, 0, -positions[2 * i + 1]!);
      this.quaternion.setFromAxisAngle(this.up, this.headings[i]!);
      this.matrix.compose(this.position, this.quaternion, this.scale);
      slot.mesh.setMatrixAt(slot.index, this.matrix);
      const base = this.baseColors[i]!;
      // Brighter, same hue: the yellow ring under it marks the selection.
      if (i === this.selected && fade === 0) this.color.copy(base).lerp(this.highlight, 0.3);
      else this.color.copy(base).lerp(this.groundColor, fade * 0.9);
      slot.mesh.setColorAt(slot.index, this.color);
    }
    for (const mesh of this.meshes) {
      mesh.instanceMatrix.needsUpdate = true;
      mesh.instanceColor!.needsUpdate = true;
    }
  }

  /** The entity under the ray, or -1. Bounds are refreshed first: they were computed for old positions. */
  pick(raycaster: Raycaster): number {
    const hits: Intersection[] = [];
    for (const mesh of this.meshes) {
      mesh.computeBoundingSphere();
      mesh.computeBoundingBox();
      raycaster.intersectObject(mesh, false, hits);
    }
    hits.sort((a, b) => a.distance - b.distance);
    for (const hit of hits) {
      const entities = hit.object.userData['entities'] as number[] | undefined;
      if (entities && hit.instanceId !== undefined) {
        const entity = entities[hit.instanceId]!;
        if (this.visible[entity]) return entity;
      }
    }
    return -1;
  }

  dispose(): void {
    for (const mesh of this.meshes) {
      mesh.geometry.dispose();
      (mesh.material as MeshLambertMaterial).dispose();
      mesh.dispose();
      mesh.removeFromParent();
    }
  }
}

/**
 * A box's or line's instance scale: its length and width in the plane (a line gets a thin width),
 * and a drawn height (the world is flat; static walls stand taller than movable bodies). Null for spheres.
 */
function slabSize(entity: EntityInfo, unit: number): [number, number, number] | null {
  const shape = entity.shape;
  if (shape?.kind === 'box') return [shape.length, (entity.kind === 'wall' || entity.kind === 'obstacle' ? 6 : 4) * unit, shape.width];
  if (shape?.kind === 'line') return [shape.length, 2 * unit, Math.max(unit, 0.02 * shape.length)];
  return null;
}
