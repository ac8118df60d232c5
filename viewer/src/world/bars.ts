import {
  Color,
  DynamicDrawUsage,
  InstancedMesh,
  Matrix4,
  MeshBasicMaterial,
  PlaneGeometry,
  Vector3,
  type Camera,
  type Group,
} from 'three';
import type { Snapshot } from '../stream/wire.ts';
import type { UnitLayer } from './units.ts';

const HEALTHY = new Color('#22c55e');
const HURT = new Color('#ef4444');

/**
 * Health and shield bars over units, as camera-facing instanced quads: a dark backing, the health
 * fill (green to red) and the shield fill above it. Entities are the ones that can take damage.
 */
export class BarLayer {
  private readonly backing: InstancedMesh;
  private readonly health: InstancedMesh;
  private readonly shield: InstancedMesh;
  private readonly entities: number[];
  private readonly barHeight: number;
  private readonly matrix = new Matrix4();
  private readonly right = new Vector3();
  private readonly center = new Vector3();
  private readonly position = new Vector3();
  private readonly scale = new Vector3();
  private readonly color = new Color();
  private readonly units: UnitLayer;

  constructor(entities: number[], units: UnitLayer, parent: Group, barHeight: number) {
    this.entities = entities;
    this.units = units;
    this.barHeight = barHeight;
    const count = Math.max(1, entities.length);
    const quad = new PlaneGeometry(1, 1);
    const make = (color: string, name: string, renderOrder: number): InstancedMesh => {
      const mesh = new InstancedMesh(quad, new MeshBasicMaterial({ color, depthWrite: false, transparent: true, opacity: 0.95 }), count);
      mesh.instanceMatrix.setUsage(DynamicDrawUsage);
      // Same reasoning as the unit layer: bars follow units across the whole map.
      mesh.frustumCulled = false;
      mesh.name = name;
      mesh.renderOrder = renderOrder;
      mesh.count = entities.length;
      parent.add(mesh);
      return mesh;
    };
    this.backing = make('#111827', 'bars:backing', 10);
    this.health = make('#ffffff', 'bars:health', 11);
    this.shield = make('#38bdf8', 'bars:shield', 12);
    for (let i = 0; i < entities.length; i++) this.health.setColorAt(i, HEALTHY);
    this.health.instanceColor?.setUsage(DynamicDrawUsage);
  }

  update(positions: Float32Array, snapshot: Snapshot, camera: Camera): void {
    if (this.entities.length === 0) return;
    // Billboard: every bar shares the camera's orientation and extends along its right vector.
    this.right.set(1, 0, 0).applyQuaternion(camera.quaternion);
    const h = this.barHeight;
    for (let k = 0; k < this.entities.length; k++) {
      const e = this.entities[k]!;
      const width = Math.max(4 * h, this.units.radiusOf(e) * 2.2);
      const drawn = snapshot.alive[e] === 1;
      const health = drawn ? Math.min(1, Math.max(0, snapshot.health[e]!)) : 0;
      const shield = drawn ? Math.min(1, Math.max(0, snapshot.shield[e]!)) : 0;
      this.center.set(positions[2 * e]!, this.units.topOf(e) + 2.5 * h, -positions[2 * e + 1]!);
      this.place(this.backing, k, this.center, drawn ? width + h * 0.4 : 0, drawn ? h * 1.4 : 0, camera, 0);
      this.place(this.health, k, this.center, width * health, h, camera, (health - 1) * width * 0.5);
      this.color.copy(HURT).lerp(HEALTHY, health);
      this.health.setColorAt(k, this.color);
      this.position.copy(this.center);
      this.position.y += h * 1.3;
      this.place(this.shield, k, this.position, shield > 0 ? width * shield : 0, h * 0.7, camera, (shield - 1) * width * 0.5);
    }
    this.backing.instanceMatrix.needsUpdate = true;
    this.health.instanceMatrix.needsUpdate = true;
    this.health.instanceColor!.needsUpdate = true;
    this.shield.instanceMatrix.needsUpdate = true;
  }

  private place(mesh: InstancedMesh, index: number, center: Vector3, width: number, height: number, camera: Camera, shift: number): void {
    this.position.copy(center).addScaledVector(this.right, shift);
    this.scale.set(width, height, 1);
    this.matrix.compose(this.position, camera.quaternion, this.scale);
    mesh.setMatrixAt(index, this.matrix);
  }

  dispose(): void {
    for (const mesh of [this.backing, this.health, this.shield]) {
      (mesh.material as MeshBasicMaterial).dispose();
      mesh.dispose();
      mesh.removeFromParent();
    }
    this.backing.geometry.dispose();
  }
}
