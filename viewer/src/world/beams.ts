import {
  BoxGeometry,
  Color,
  DynamicDrawUsage,
  InstancedMesh,
  Matrix4,
  MeshBasicMaterial,
  Object3D,
  Vector3,
  type Group,
} from 'three';

/**
 * Attack and heal beams as thin instanced boxes from source to target: WebGL draws GL lines one
 * pixel wide whatever `linewidth` says, which is too faint for a beam. One draw call; capacity
 * doubles when a tick has more beams than ever before.
 */
export class BeamLayer {
  private mesh: InstancedMesh;
  private readonly parent: Group;
  private readonly geometry = new BoxGeometry(1, 1, 1).translate(0, 0, 0.5);
  private readonly material = new MeshBasicMaterial({ color: '#ffffff', transparent: true, opacity: 0.9, depthWrite: false });
  private readonly width: number;
  private readonly from = new Vector3();
  private readonly to = new Vector3();
  private readonly pose = new Object3D();
  private readonly color = new Color();
  private readonly matrix = new Matrix4();
  private used = 0;

  constructor(parent: Group, width: number) {
    this.parent = parent;
    this.width = width;
    this.mesh = this.create(32);
  }

  private create(capacity: number): InstancedMesh {
    const mesh = new InstancedMesh(this.geometry, this.material, capacity);
    mesh.instanceMatrix.setUsage(DynamicDrawUsage);
    mesh.setColorAt(0, this.color.set('#ffffff'));
    mesh.instanceColor!.setUsage(DynamicDrawUsage);
    // Beams span the map between moving units; a stale bounding sphere would cull them.
    mesh.frustumCulled = false;
    mesh.name = 'beams';
    mesh.renderOrder = 5;
    mesh.count = 0;
    this.parent.add(mesh);
    return mesh;
  }

  get count(): number {
    return this.used;
  }

  set visible(value: boolean) {
    this.mesh.visible = value;
  }

  begin(): void {
    this.used = 0;
  }

  add(x0: number, y0: number, z0: number, x1: number, y1: number, z1: number, color: Color): void {
    if (this.used >= this.mesh.instanceMatrix.count) {
      const bigger = this.create(this.mesh.instanceMatrix.count * 2);
      for (let i = 0; i < this.used; i++) {
        this.mesh.getMatrixAt(i, this.matrix);
        bigger.setMatrixAt(i, this.matrix);
        this.mesh.getColorAt(i, this.color);
        bigger.setColorAt(i, this.color);
      }
      this.mesh.removeFromParent();
      this.mesh.dispose();
      this.mesh = bigger;
    }
    this.from.set(x0, y0, z0);
    this.to.set(x1, y1, z1);
    const length = this.from.distanceTo(this.to);
    this.pose.position.copy(this.from);
    this.pose.lookAt(this.to);
    this.pose.scale.set(this.width, this.width, Math.max(length, 1e-6));
    this.pose.updateMatrix();
    this.mesh.setMatrixAt(this.used, this.pose.matrix);
    this.mesh.setColorAt(this.used, color);
    this.used++;
  }

  end(): void {
    this.mesh.count = this.used;
    this.mesh.instanceMatrix.needsUpdate = true;
    this.mesh.instanceColor!.needsUpdate = true;
  }

  dispose(): void {
    this.mesh.removeFromParent();
    this.mesh.dispose();
    this.geometry.dispose();
    this.material.dispose();
  }
}
