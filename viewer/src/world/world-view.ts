import {
  AmbientLight,
  BufferGeometry,
  Color,
  DirectionalLight,
  DoubleSide,
  DynamicDrawUsage,
  Float32BufferAttribute,
  GridHelper,
  Group,
  HemisphereLight,
  InstancedMesh,
  LineBasicMaterial,
  LineLoop,
  Matrix4,
  Mesh,
  MeshBasicMaterial,
  PerspectiveCamera,
  PlaneGeometry,
  Raycaster,
  RingGeometry,
  Scene,
  Vector2,
  Vector3,
  WebGLRenderer,
} from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import type { SceneMessage } from '../../../shared/protocol.ts';
import type { Snapshot } from '../stream/wire.ts';
import { BarLayer } from './bars.ts';
import { BeamLayer } from './beams.ts';
import { RobotOverlays } from './robot-overlays.ts';
import { SegmentBatch } from './segments.ts';
import { UnitLayer } from './units.ts';

export const BACKGROUND = '#0b1020';
const GROUND = '#1e293b';
export const ROLE_COLORS_CSS = ['#f59e0b', '#a855f7', '#14b8a6', '#ec4899', '#84cc16', '#f97316', '#06b6d4', '#eab308'] as const;
const ROLE_COLORS = ROLE_COLORS_CSS.map((c) => new Color(c));
const ATTACK_COLOR = new Color('#fb923c');
const HEAL_COLOR = new Color('#4ade80');
const LINK_COLOR = new Color('#fde047');
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
  private graph: SegmentBatch | null = null;
  private robots: RobotOverlays | null = null;
  private roleMarkers: InstancedMesh | null = null;
  private sightRing: Mesh | null = null;
  private attackRing: Mesh | null = null;
  private selectionRing: Mesh | null = null;
  private mapSize = 1;
  private followEntity = -1;
  private readonly followTarget = new Vector3();
  private readonly tmp = new Vector3();
  private readonly matrix = new Matrix4();
  private readonly color = new Color();
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

    // Unlit: a flat ground looks the same without lighting, and it covers most of the screen, so
    // per-pixel lighting there is most of the fill cost on software GL.
    const ground = new Mesh(new PlaneGeometry(width, height), new MeshBasicMaterial({ color: GROUND }));
    ground.rotation.x = -Math.PI / 2;
    ground.position.set(cx, 0, -cy);
    ground.name = 'ground';
    world.add(ground);
    const divisions = Math.max(2, Math.min(64, Math.round(this.mapSize)));
    const grid = new GridHelper(this.mapSize, divisions >= 8 ? divisions : 10, '#334155', '#273449');
    grid.position.set(cx, this.mapSize * 0.0005, -cy);
    world.add(grid);
    const outline = new BufferGeometry();
    outline.setAttribute(
      'position',
      new Float32BufferAttribute([minX, 0, -minY, maxX, 0, -minY, maxX, 0, -maxY, minX, 0, -maxY], 3),
    );
    const border = new LineLoop(outline, new LineBasicMaterial({ color: '#94a3b8' }));
    border.position.y = this.mapSize * 0.001;
    border.name = 'bounds';
    world.add(border);

    this.units = new UnitLayer(scene, world, this.groundColor, this.mapSize * 0.006);
    const damageable = scene.entities
      .map((e, i) => ({ e, i }))
      .filter(({ e }) => (e.kind === 'unit' || e.kind === 'agent') && (scene.family === 'smac' || e.kind === 'unit'))
      .map(({ i }) => i);
    this.bars = new BarLayer(damageable, this.units, world, this.mapSize * 0.006);
    this.beams = new BeamLayer(world, this.mapSize * 0.0025);
    this.graph = new SegmentBatch(world, 'graph', 0.85);
    this.robots = new RobotOverlays(scene, world, this.units, this.mapSize);

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
    this.graph?.dispose();
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
      this.updateGraph(positions, snapshot);
      this.updateRoles(positions, snapshot);
      this.updateRings(positions, snapshot);
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

  private updateGraph(positions: Float32Array, snapshot: Snapshot): void {
    const graph = this.graph!;
    const relations = snapshot.extras.relations;
    const agents = this.sceneMessage!.agents;
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
    const markers = this.roleMarkers!;
    const roles = snapshot.extras.roles;
    if (!this.overlays.roles || !roles) {
      markers.count = 0;
      return;
    }
    const agents = this.sceneMessage!.agents;
    markers.count = agents.length;
    for (let i = 0; i < agents.length; i++) {
      const e = agents[i]!.entity;
      // Role -1: no action distribution for this agent (dead, or its agent does not send one).
      const r = snapshot.alive[e] && roles[i]! >= 0 ? this.units!.radiusOf(e) : 0;
      this.tmp.set(positions[2 * e]!, this.mapSize * 0.002, -positions[2 * e + 1]!);
      this.matrix.makeScale(r, 1, r).setPosition(this.tmp);
      markers.setMatrixAt(i, this.matrix);
      markers.setColorAt(i, ROLE_COLORS[((roles[i]! % ROLE_COLORS.length) + ROLE_COLORS.length) % ROLE_COLORS.length]!);
    }
    markers.instanceMatrix.needsUpdate = true;
    if (markers.instanceColor) markers.instanceColor.needsUpdate = true;
  }

  private updateRings(positions: Float32Array, snapshot: Snapshot): void {
    const sight = this.sightRing!;
    const attack = this.attackRing!;
    const entity = this.selected;
    const info = entity >= 0 ? this.sceneMessage!.entities[entity] : undefined;
    const agent = info && info.agent >= 0 ? this.sceneMessage!.agents[info.agent] : undefined;
    const show = this.overlays.ranges && agent !== undefined && snapshot.alive[entity] === 1;
    const place = (ring: Mesh, range: number): void => {
      ring.visible = show && range > 0;
      if (!ring.visible) return;
      ring.position.set(positions[2 * entity]!, this.mapSize * 0.003, -positions[2 * entity + 1]!);
      ring.scale.set(range, 1, range);
    };
    place(sight, agent?.sightRange ?? 0);
    place(attack, agent?.attackRange ?? 0);
    const marker = this.selectionRing!;
    marker.visible = entity >= 0 && snapshot.alive[entity] === 1;
    if (marker.visible) {
      const r = this.units!.radiusOf(entity);
      marker.position.set(positions[2 * entity]!, this.mapSize * 0.0035, -positions[2 * entity + 1]!);
      marker.scale.set(r, 1, r);
    }
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

  /** Entities currently drawn (alive or still fading), split by whether they are agents. */
  /** An entity's colour as drawn (`#rrggbb`), or null without a scene. */
  colorOf(entity: number): string | null {
    return this.units && this.sceneMessage && entity >= 0 && entity < this.sceneMessage.entities.length ? this.units.colorOf(entity) : null;
  }

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
    return this.overlays.graph ? (this.graph?.count ?? 0) : 0;
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
  pixelStats(): { total: number; nonBackground: number; blue: number; red: number } {
    this.renderer.render(this.scene3d, this.camera);
    const gl = this.renderer.getContext();
    const w = gl.drawingBufferWidth;
    const h = gl.drawingBufferHeight;
    const pixels = new Uint8Array(w * h * 4);
    gl.readPixels(0, 0, w, h, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
    const bg = new Color(BACKGROUND);
    const br = Math.round(bg.r * 255);
    const bgG = Math.round(bg.g * 255);
    const bb = Math.round(bg.b * 255);
    let nonBackground = 0;
    let blue = 0;
    let red = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      const r = pixels[i]!;
      const g = pixels[i + 1]!;
      const b = pixels[i + 2]!;
      if (Math.abs(r - br) + Math.abs(g - bgG) + Math.abs(b - bb) > 24) nonBackground++;
      if (b > r + 60 && b > g + 30) blue++;
      if (r > g + 80 && r > b + 60) red++;
    }
    return { total: w * h, nonBackground, blue, red };
  }

  dispose(): void {
    this.clearScene();
    this.controls.dispose();
    this.renderer.dispose();
  }
}
