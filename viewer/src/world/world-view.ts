import { AmbientLight, Color, DirectionalLight, Group, HemisphereLight, Mesh, PerspectiveCamera, Raycaster, Scene, Vector2, Vector3, WebGLRenderer } from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import type { SceneMessage } from '../../../shared/protocol.ts';
import type { Snapshot } from '../stream/wire.ts';
import { AgentOverlays, type AgentOverlayState } from './agent-overlays.ts';
import { BarLayer } from './bars.ts';
import { BeamLayer } from './beams.ts';
import { addMapGround, GROUND } from './map-ground.ts';
import { readPixelStats, type PixelStats } from './pixel-stats.ts';
import { RobotOverlays } from './robot-overlays.ts';
import { UnitLayer } from './units.ts';

export const BACKGROUND = '#0b1020';
const ATTACK_COLOR = new Color('#fb923c');
const HEAL_COLOR = new Color('#4ade80');
/** What the first camera framing aims at: bodies that move or matter, not walls around the map. */
const FRAMED_KINDS = new Set(['agent', 'unit', 'landmark', 'goal', 'body']);

/** `lidar`: every robot's lidar rays, not only the selected one's. */
export type Overlays = { graph: boolean; roles: boolean; ranges: boolean; beams: boolean; bars: boolean; lidar: boolean };

/**
 * The one scene module: owns the renderer, camera, controls and every drawable layer, and turns a
 * (scene, snapshot, interpolated positions) triple into a frame. It knows nothing about sockets or
 * replays; the caller decides which snapshot to draw.
 */
export class WorldView {
  readonly renderer: WebGLRenderer;
  readonly camera: PerspectiveCamera;
  readonly controls: OrbitControls;
  private readonly scene3d = new Scene();
  private readonly raycaster = new Raycaster();
  private readonly pointer = new Vector2();
  private readonly groundColor = new Color(GROUND);
  private world: Group | null = null;
  private sceneMessage: SceneMessage | null = null;
  private units: UnitLayer | null = null;
  private bars: BarLayer | null = null;
  private beams: BeamLayer | null = null;
  private robots: RobotOverlays | null = null;
  private agentOverlays: AgentOverlays | null = null;
  /** What the agent overlays draw, refreshed each frame (one object, not one per frame). */
  private readonly agentOverlayState: AgentOverlayState = { graph: false, roles: false, ranges: true, selected: -1 };
  private mapSize = 1;
  private followEntity = -1;
  private readonly followTarget = new Vector3();
  private readonly tmp = new Vector3();
  readonly overlays: Overlays = { graph: false, roles: false, ranges: true, beams: true, bars: true, lidar: false };
  selected = -1;

  constructor(canvas: HTMLCanvasElement, quality: 'high' | 'low') {
    // Low quality (software rasterisers such as SwiftShader): no MSAA, one sample per CSS pixel.
    this.renderer = new WebGLRenderer({ canvas, antialias: quality === 'high', powerPreference: 'high-performance' });
    this.renderer.setPixelRatio(quality === 'high' ? Math.min(2, window.devicePixelRatio || 1) : 1);
    this.scene3d.background = new Color(BACKGROUND);
    this.camera = new PerspectiveCamera(50, 1, 0.01, 1000);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = true;
    this.controls.maxPolarAngle = Math.PI * 0.48;
    this.scene3d.add(new HemisphereLight('#dbeafe', '#1e293b', 1.6));
    this.scene3d.add(new AmbientLight('#ffffff', 0.35));
    const sun = new DirectionalLight('#ffffff', 1.8);
    sun.position.set(0.4, 1, 0.6);
    this.scene3d.add(sun);
  }

  get hasScene(): boolean {
    return this.sceneMessage !== null;
  }

  /** Rebuild every layer for a (new) scene and frame the camera on its bounds. */
  setScene(scene: SceneMessage): void {
    this.clearScene();
    this.sceneMessage = scene;
    const world = new Group();
    this.world = world;
    this.scene3d.add(world);
    const [minX, minY, maxX, maxY] = scene.bounds;
    const width = maxX - minX;
    const height = maxY - minY;
    const cx = (minX + maxX) / 2;
    const cy = (minY + maxY) / 2;
    this.mapSize = Math.max(width, height);

    addMapGround(world, scene.bounds, this.mapSize);

    this.units = new UnitLayer(scene, world, this.groundColor, this.mapSize * 0.006);
    const damageable = scene.entities
      .map((e, i) => ({ e, i }))
      .filter(({ e }) => (e.kind === 'unit' || e.kind === 'agent') && (scene.family === 'smac' || e.kind === 'unit'))
      .map(({ i }) => i);
    this.bars = new BarLayer(damageable, this.units, world, this.mapSize * 0.006);
    this.beams = new BeamLayer(world, this.mapSize * 0.0025);
    this.robots = new RobotOverlays(scene, world, this.units, this.mapSize);
    this.agentOverlays = new AgentOverlays(scene, world, this.units, this.mapSize, this.groundColor);

    this.camera.near = this.mapSize * 0.005;
    this.camera.far = this.mapSize * 50;
    this.camera.position.set(cx, this.mapSize * 1.05, -cy + this.mapSize * 0.95);
    this.camera.updateProjectionMatrix();
    this.controls.target.set(cx, 0, -cy);
    this.controls.minDistance = this.mapSize * 0.05;
    this.controls.maxDistance = this.mapSize * 6;
    this.controls.update();
    this.selected = -1;
    this.followEntity = -1;
  }

  private clearScene(): void {
    this.units?.dispose();
    this.bars?.dispose();
    this.beams?.dispose();
    this.agentOverlays?.dispose();
    this.agentOverlays = null;
    this.robots?.dispose();
    this.robots = null;
    if (this.world) {
      this.world.traverse((object) => {
        const mesh = object as Mesh;
        mesh.geometry?.dispose();
        const material = mesh.material as { dispose?: () => void } | undefined;
        material?.dispose?.();
      });
      this.scene3d.remove(this.world);
    }
    this.world = null;
    this.units = null;
    this.bars = null;
  }

  /**
   * Aim the camera at where the bodies are (SMAC armies fill a few units of a 32-unit map), with a
   * margin of the largest sight range, instead of at the whole map.
   */
  frameBodies(positions: Float32Array, snapshot: Snapshot): void {
    const scene = this.sceneMessage;
    if (!scene) return;
    let minX = Infinity;
    let minY = Infinity;
    let maxX = -Infinity;
    let maxY = -Infinity;
    scene.entities.forEach((e, i) => {
      if (!FRAMED_KINDS.has(e.kind) || !snapshot.alive[i]) return;
      minX = Math.min(minX, positions[2 * i]!);
      maxX = Math.max(maxX, positions[2 * i]!);
      minY = Math.min(minY, positions[2 * i + 1]!);
      maxY = Math.max(maxY, positions[2 * i + 1]!);
    });
    if (!Number.isFinite(minX)) return;
    const sight = scene.agents.reduce((m, a) => Math.max(m, a.sightRange), 0);
    const largest = scene.entities.reduce((m, e) => Math.max(m, e.radius), 0);
    const margin = Math.max(sight * 0.6, this.mapSize * 0.08, 3 * largest);
    // Never closer than about half the map: MPE bodies are large relative to their small world.
    const span = Math.min(this.mapSize, Math.max(this.mapSize * 0.6, Math.max(maxX - minX, maxY - minY) + 2 * margin));
    const cx = (minX + maxX) / 2;
    const cy = (minY + maxY) / 2;
    this.controls.target.set(cx, 0, -cy);
    this.camera.position.set(cx, span * 0.8, -cy + span * 0.75);
    this.controls.update();
  }

  resize(width: number, height: number): void {
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / Math.max(1, height);
    this.camera.updateProjectionMatrix();
  }

  /** Draw one frame. `positions` (and `rotations`, where the stream has them) are interpolated for this instant. */
  render(positions: Float32Array | null, snapshot: Snapshot | null, now: number, rotations: Float32Array | null = null): void {
    const scene = this.sceneMessage;
    if (scene && snapshot && positions && this.units) {
      this.units.selected = this.selected;
      this.units.update(positions, snapshot, now, rotations);
      this.robots?.update(positions, rotations, snapshot, this.selected, this.overlays.lidar);
      if (this.bars) {
        this.bars.update(positions, snapshot, this.camera);
      }
      this.updateBeams(positions, snapshot);
      const state = this.agentOverlayState;
      state.graph = this.overlays.graph;
      state.roles = this.overlays.roles;
      state.ranges = this.overlays.ranges;
      state.selected = this.selected;
      this.agentOverlays?.update(positions, snapshot, state);
      this.updateFollow(positions);
    }
    this.controls.update();
    this.renderer.render(this.scene3d, this.camera);
  }

  private heightOf(entity: number): number {
    return this.units!.topOf(entity) * 0.6;
  }

  private updateBeams(positions: Float32Array, snapshot: Snapshot): void {
    const beams = this.beams!;
    beams.visible = this.overlays.beams;
    beams.begin();
    const draw = (pairs: number[], color: Color): void => {
      for (let k = 0; k + 1 < pairs.length; k += 2) {
        const s = pairs[k]!;
        const d = pairs[k + 1]!;
        beams.add(positions[2 * s]!, this.heightOf(s), -positions[2 * s + 1]!, positions[2 * d]!, this.heightOf(d), -positions[2 * d + 1]!, color);
      }
    };
    draw(snapshot.attacks, ATTACK_COLOR);
    draw(snapshot.heals, HEAL_COLOR);
    beams.end();
  }

  /** Where the orbit camera looks, in simulation coordinates (tests check the follow camera). */
  cameraTarget(): { x: number; y: number } {
    return { x: this.controls.target.x, y: -this.controls.target.z };
  }

  follow(entity: number): void {
    this.followEntity = entity;
  }

  get following(): number {
    return this.followEntity;
  }

  private updateFollow(positions: Float32Array): void {
    const e = this.followEntity;
    if (e < 0) return;
    this.followTarget.set(positions[2 * e]!, 0, -positions[2 * e + 1]!);
    // Move camera and target together, so the user's orbit angle and zoom survive following.
    this.tmp.subVectors(this.followTarget, this.controls.target);
    this.controls.target.add(this.tmp);
    this.camera.position.add(this.tmp);
  }

  /** The entity drawn under a point in canvas CSS pixels, or -1. */
  pick(x: number, y: number): number {
    if (!this.units) return -1;
    const rect = this.renderer.domElement.getBoundingClientRect();
    this.pointer.set(((x - rect.left) / rect.width) * 2 - 1, -((y - rect.top) / rect.height) * 2 + 1);
    this.raycaster.setFromCamera(this.pointer, this.camera);
    return this.units.pick(this.raycaster);
  }

  /** Where an entity's body appears on screen (page CSS pixels), for tests and labels. */
  screenPositionOf(entity: number, positions: Float32Array): { x: number; y: number } | null {
    if (!this.units) return null;
    const rect = this.renderer.domElement.getBoundingClientRect();
    this.tmp.set(positions[2 * entity]!, this.units.topOf(entity) * 0.5, -positions[2 * entity + 1]!).project(this.camera);
    if (this.tmp.z > 1) return null;
    return { x: rect.left + ((this.tmp.x + 1) / 2) * rect.width, y: rect.top + ((1 - this.tmp.y) / 2) * rect.height };
  }

  /** An entity's colour as drawn (`#rrggbb`), or null without a scene. */
  colorOf(entity: number): string | null {
    return this.units && this.sceneMessage && entity >= 0 && entity < this.sceneMessage.entities.length ? this.units.colorOf(entity) : null;
  }

  /** Entities currently drawn (alive or still fading), split by whether they are agents. */
  drawnCounts(): { agents: number; units: number; entities: number } {
    const scene = this.sceneMessage;
    if (!scene || !this.units) return { agents: 0, units: 0, entities: 0 };
    let agents = 0;
    let units = 0;
    let entities = 0;
    scene.entities.forEach((e, i) => {
      if (!this.units!.visible[i]) return;
      entities++;
      if (e.agent >= 0) agents++;
      if (e.kind === 'agent' || e.kind === 'unit') units++;
    });
    return { agents, units, entities };
  }

  /** Edges the graph overlay drew in the last frame. */
  get graphEdges(): number {
    return this.overlays.graph ? (this.agentOverlays?.graphCount ?? 0) : 0;
  }

  /** Robot headings and lidar rays drawn in the last frame. */
  robotCounts(): { headings: number; lidarRays: number } {
    return { headings: this.robots?.headingCount ?? 0, lidarRays: this.robots?.rayCount ?? 0 };
  }

  get beamCount(): number {
    return this.beams?.count ?? 0;
  }

  /**
   * Renders a frame and reads the canvas back in the same task (no preserveDrawingBuffer needed):
   * how many pixels differ from the background, and how many carry a team colour.
   */
  pixelStats(): PixelStats {
    this.renderer.render(this.scene3d, this.camera);
    return readPixelStats(this.renderer, BACKGROUND);
  }

  dispose(): void {
    this.clearScene();
    this.controls.dispose();
    this.renderer.dispose();
  }
}
