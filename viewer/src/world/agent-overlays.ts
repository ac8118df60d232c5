import { Color, DoubleSide, DynamicDrawUsage, InstancedMesh, Matrix4, Mesh, MeshBasicMaterial, RingGeometry, Vector3, type Group } from 'three';
import type { SceneMessage } from '../../../shared/protocol.ts';
import type { Snapshot } from '../stream/wire.ts';
import { SegmentBatch } from './segments.ts';
import type { UnitLayer } from './units.ts';

export const ROLE_COLORS_CSS = ['#f59e0b', '#a855f7', '#14b8a6', '#ec4899', '#84cc16', '#f97316', '#06b6d4', '#eab308'] as const;
const ROLE_COLORS = ROLE_COLORS_CSS.map((c) => new Color(c));
const LINK_COLOR = new Color('#fde047');

/** Which of these overlays to draw this frame, and the selected entity (-1: none). */
export type AgentOverlayState = { graph: boolean; roles: boolean; ranges: boolean; selected: number };

/**
 * What is drawn about the agents rather than the bodies: the coordination graph between agents,
 * their role markers, and the selected agent's sight and attack rings with its selection ring.
 * The meshes live in the scene's world group, which disposes their geometry and materials.
 */
export class AgentOverlays {
  private readonly scene: SceneMessage;
  private readonly units: UnitLayer;
  private readonly mapSize: number;
  private readonly groundColor: Color;
  private readonly graph: SegmentBatch;
  private readonly roleMarkers: InstancedMesh;
  private readonly sightRing: Mesh;
  private readonly attackRing: Mesh;
  private readonly selectionRing: Mesh;
  private readonly tmp = new Vector3();
  private readonly matrix = new Matrix4();
  private readonly color = new Color();
  private overlays: AgentOverlayState = { graph: false, roles: false, ranges: false, selected: -1 };

  constructor(scene: SceneMessage, world: Group, units: UnitLayer, mapSize: number, groundColor: Color) {
    this.scene = scene;
    this.units = units;
    this.mapSize = mapSize;
    this.groundColor = groundColor;
    this.graph = new SegmentBatch(world, 'graph', 0.85);
    const agentCount = Math.max(1, scene.agents.length);
    this.roleMarkers = new InstancedMesh(
      new RingGeometry(1.25, 1.6, 28).rotateX(-Math.PI / 2),
      new MeshBasicMaterial({ color: '#ffffff', side: DoubleSide }),
      agentCount,
    );
    this.roleMarkers.instanceMatrix.setUsage(DynamicDrawUsage);
    this.roleMarkers.frustumCulled = false;
    this.roleMarkers.count = 0;
    this.roleMarkers.name = 'roles';
    world.add(this.roleMarkers);

    const ring = (color: string): Mesh => {
      const mesh = new Mesh(
        new RingGeometry(0.985, 1, 96).rotateX(-Math.PI / 2),
        new MeshBasicMaterial({ color, side: DoubleSide, transparent: true, opacity: 0.9, depthWrite: false }),
      );
      mesh.visible = false;
      world.add(mesh);
      return mesh;
    };
    this.sightRing = ring('#38bdf8');
    this.attackRing = ring('#f87171');
    this.selectionRing = new Mesh(
      new RingGeometry(1.35, 1.7, 40).rotateX(-Math.PI / 2),
      new MeshBasicMaterial({ color: '#fde047', side: DoubleSide, depthWrite: false }),
    );
    this.selectionRing.visible = false;
    this.selectionRing.renderOrder = 6;
    world.add(this.selectionRing);
  }

  update(positions: Float32Array, snapshot: Snapshot, overlays: AgentOverlayState): void {
    this.overlays = overlays;
    this.updateGraph(positions, snapshot);
    this.updateRoles(positions, snapshot);
    this.updateRings(positions, snapshot);
  }

  /** Segments in the graph batch since its last update. */
  get graphCount(): number {
    return this.graph.count;
  }

  dispose(): void {
    this.graph.dispose();
  }

  private updateGraph(positions: Float32Array, snapshot: Snapshot): void {
    const graph = this.graph;
    const relations = snapshot.extras.relations;
    const agents = this.scene.agents;
    graph.visible = this.overlays.graph && relations !== null;
    graph.begin();
    if (this.overlays.graph && relations) {
      const n = agents.length;
      const lift = this.mapSize * 0.01;
      // Relations are distances over their mean (around 1): brightness is relative to the largest this snapshot.
      let largest = 0;
      for (let k = 0; k < n * n; k++) if (relations[k]! > largest) largest = relations[k]!;
      for (let i = 0; i < n; i++) {
        for (let j = i + 1; j < n; j++) {
          const w = Math.max(relations[i * n + j]!, relations[j * n + i]!) / (largest || 1);
          if (!(w > 0.05)) continue;
          const a = agents[i]!.entity;
          const b = agents[j]!.entity;
          if (!snapshot.alive[a] || !snapshot.alive[b]) continue;
          const strength = Math.min(1, w);
          this.color.copy(LINK_COLOR).lerp(this.groundColor, 1 - strength);
          graph.add(positions[2 * a]!, lift, -positions[2 * a + 1]!, positions[2 * b]!, lift, -positions[2 * b + 1]!, this.color.r, this.color.g, this.color.b);
        }
      }
    }
    graph.end();
  }

  private updateRoles(positions: Float32Array, snapshot: Snapshot): void {
    const markers = this.roleMarkers;
    const roles = snapshot.extras.roles;
    if (!this.overlays.roles || !roles) {
      markers.count = 0;
      return;
    }
    const agents = this.scene.agents;
    markers.count = agents.length;
    for (let i = 0; i < agents.length; i++) {
      const e = agents[i]!.entity;
      // Role -1: no action distribution for this agent (dead, or its agent does not send one).
      const r = snapshot.alive[e] && roles[i]! >= 0 ? this.units.radiusOf(e) : 0;
      this.tmp.set(positions[2 * e]!, this.mapSize * 0.002, -positions[2 * e + 1]!);
      this.matrix.makeScale(r, 1, r).setPosition(this.tmp);
      markers.setMatrixAt(i, this.matrix);
      markers.setColorAt(i, ROLE_COLORS[((roles[i]! % ROLE_COLORS.length) + ROLE_COLORS.length) % ROLE_COLORS.length]!);
    }
    markers.instanceMatrix.needsUpdate = true;
    if (markers.instanceColor) markers.instanceColor.needsUpdate = true;
  }

  private updateRings(positions: Float32Array, snapshot: Snapshot): void {
    const sight = this.sightRing;
    const attack = this.attackRing;
    const entity = this.overlays.selected;
    const info = entity >= 0 ? this.scene.entities[entity] : undefined;
    const agent = info && info.agent >= 0 ? this.scene.agents[info.agent] : undefined;
    const show = this.overlays.ranges && agent !== undefined && snapshot.alive[entity] === 1;
    const place = (ring: Mesh, range: number): void => {
      ring.visible = show && range > 0;
      if (!ring.visible) return;
      ring.position.set(positions[2 * entity]!, this.mapSize * 0.003, -positions[2 * entity + 1]!);
      ring.scale.set(range, 1, range);
    };
    place(sight, agent?.sightRange ?? 0);
    place(attack, agent?.attackRange ?? 0);
    const marker = this.selectionRing;
    marker.visible = entity >= 0 && snapshot.alive[entity] === 1;
    if (marker.visible) {
      const r = this.units.radiusOf(entity);
      marker.position.set(positions[2 * entity]!, this.mapSize * 0.0035, -positions[2 * entity + 1]!);
      marker.scale.set(r, 1, r);
    }
  }
}
