import { BufferAttribute, BufferGeometry, DynamicDrawUsage, LineBasicMaterial, LineSegments, type Group } from 'three';

/**
 * A reusable batch of coloured line segments (attack and heal beams, the coordination graph): one
 * draw call, buffers grown only when a frame needs more segments than ever before.
 */
export class SegmentBatch {
  readonly lines: LineSegments;
  private readonly geometry = new BufferGeometry();
  private positions = new Float32Array(0);
  private colors = new Float32Array(0);
  private used = 0;

  constructor(parent: Group, name: string, opacity = 1) {
    this.lines = new LineSegments(
      this.geometry,
      new LineBasicMaterial({ vertexColors: true, transparent: opacity < 1, opacity, depthWrite: false }),
    );
    this.lines.name = name;
    // Endpoints move every frame; the bounding sphere would always be stale.
    this.lines.frustumCulled = false;
    this.lines.renderOrder = 5;
    this.ensure(16);
    parent.add(this.lines);
  }

  get count(): number {
    return this.used;
  }

  begin(): void {
    this.used = 0;
  }

  add(x0: number, y0: number, z0: number, x1: number, y1: number, z1: number, r: number, g: number, b: number): void {
    if (this.used >= this.positions.length / 6) this.ensure(this.used * 2);
    const p = this.positions;
    const c = this.colors;
    const o = this.used * 6;
    p[o] = x0; p[o + 1] = y0; p[o + 2] = z0; p[o + 3] = x1; p[o + 4] = y1; p[o + 5] = z1;
    c[o] = r; c[o + 1] = g; c[o + 2] = b; c[o + 3] = r; c[o + 4] = g; c[o + 5] = b;
    this.used++;
  }

  end(): void {
    this.geometry.setDrawRange(0, this.used * 2);
    (this.geometry.getAttribute('position') as BufferAttribute).needsUpdate = true;
    (this.geometry.getAttribute('color') as BufferAttribute).needsUpdate = true;
  }

  set visible(value: boolean) {
    this.lines.visible = value;
  }

  private ensure(segments: number): void {
    const positions = new Float32Array(segments * 6);
    const colors = new Float32Array(segments * 6);
    positions.set(this.positions.subarray(0, Math.min(this.positions.length, positions.length)));
    colors.set(this.colors.subarray(0, Math.min(this.colors.length, colors.length)));
    this.positions = positions;
    this.colors = colors;
    this.geometry.setAttribute('position', new BufferAttribute(positions, 3).setUsage(DynamicDrawUsage));
    this.geometry.setAttribute('color', new BufferAttribute(colors, 3).setUsage(DynamicDrawUsage));
  }

  dispose(): void {
    this.geometry.dispose();
    (this.lines.material as LineBasicMaterial).dispose();
    this.lines.removeFromParent();
  }
}
