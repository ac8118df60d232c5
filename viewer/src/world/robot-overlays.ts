import { BufferGeometry, DoubleSide, DynamicDrawUsage, Float32BufferAttribute, InstancedMesh, Matrix4, MeshBasicMaterial, Quaternion, Vector3, type Group } from 'three';
import type { SceneMessage } from '../../../shared/protocol.ts';
import type { Snapshot } from '../stream/wire.ts';
import { SegmentBatch } from './segments.ts';
import type { UnitLayer } from './units.ts';

const HEADING_COLOR = '#f8fafc';
/** Rays that hit something, and rays that reach their range without a hit. */
const HIT = [0.96, 0.25, 0.37] as const;
const FREE = [0.13, 0.55, 0.3] as const;

/**
 * What robot worlds add on top of the bodies: a flat wedge on each agent pointing along its
 * rotation (one InstancedMesh), and lidar rays from the scans the snapshot carries (one line batch):
 * the selected agent's, or every agent's with the lidar toggle.
 */
export class RobotOverlays {
  private readonly wedges: InstancedMesh;
  private readonly rays: SegmentBatch;
  private readonly agentEntities: number[];
  private readonly units: UnitLayer;
  private readonly matrix = new Matrix4();
  private readonly position = new Vector3();
  private readonly quaternion = new Quaternion();
  private readonly scale = new Vector3();
  private readonly up = new Vector3(0, 1, 0);
  private readonly lift: number;

  constructor(scene: SceneMessage, parent: Group, units: UnitLayer, mapSize: number) {
    this.units = units;
    this.agentEntities = scene.agents.map((a) => a.entity);
    this.lift = mapSize * 0.002;
    // A flat arrowhead along +x, radius 1: it reaches past the body so it reads from any angle.
    const wedge = new BufferGeometry();
    wedge.setAttribute('position', new Float32BufferAttribute([1.7, 0, 0, 0.2, 0, -0.6, 0.2, 0, 0.6], 3));
    wedge.computeVertexNormals();
    this.wedges = new InstancedMesh(wedge, new MeshBasicMaterial({ color: HEADING_COLOR, side: DoubleSide }), Math.max(1, this.agentEntities.length));
    this.wedges.instanceMatrix.setUsage(DynamicDrawUsage);
    this.wedges.frustumCulled = false;
    this.wedges.count = 0;
    this.wedges.name = 'headings';
    parent.add(this.wedges);
    this.rays = new SegmentBatch(parent, 'lidar', 0.9);
  }

  /** Headings drawn in the last frame. */
  get headingCount(): number {
    return this.wedges.count;
  }

  /** Lidar rays drawn in the last frame. */
  get rayCount(): number {
    return this.rays.count;
  }

  update(positions: Float32Array, rotations: Float32Array | null, snapshot: Snapshot, selected: number, allLidar: boolean): void {
    this.updateHeadings(positions, rotations, snapshot);
    const rays = this.rays;
    rays.begin();
    for (const scan of snapshot.extras.lidar) {
      const e = this.agentEntities[scan.agent];
      if (e === undefined || !snapshot.alive[e] || (!allLidar && e !== selected)) continue;
      const x = positions[2 * e]!;
      const y = positions[2 * e + 1]!;
      const h = this.units.topOf(e) * 0.5;
      const heading = rotations ? rotations[e]! : 0;
      const count = scan.readings.length;
      for (let j = 0; j < count; j++) {
        const d = scan.readings[j]!;
        const angle = (2 * Math.PI * j) / count + heading;
        const [r, g, b] = d < scan.range * 0.999 ? HIT : FREE;
        rays.add(x, h, -y, x + d * Math.cos(angle), h, -(y + d * Math.sin(angle)), r, g, b);
      }
    }
    rays.end();
  }

  private updateHeadings(positions: Float32Array, rotations: Float32Array | null, snapshot: Snapshot): void {
    const wedges = this.wedges;
    if (!rotations) {
      wedges.count = 0;
      return;
    }
    let used = 0;
    for (const e of this.agentEntities) {
      if (!snapshot.alive[e]) continue;
      const r = this.units.radiusOf(e);
      this.position.set(positions[2 * e]!, this.units.topOf(e) + this.lift, -positions[2 * e + 1]!);
      this.quaternion.setFromAxisAngle(this.up, rotations[e]!);
      this.scale.set(r, 1, r);
      wedges.setMatrixAt(used++, this.matrix.compose(this.position, this.quaternion, this.scale));
    }
    wedges.count = used;
    wedges.instanceMatrix.needsUpdate = true;
  }

  dispose(): void {
    this.rays.dispose();
    this.wedges.geometry.dispose();
    (this.wedges.material as MeshBasicMaterial).dispose();
    this.wedges.removeFromParent();
  }
}
