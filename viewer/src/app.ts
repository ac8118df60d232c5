import { closeCodeName, type SceneMessage } from '../../shared/protocol.ts';
import { controlMessage, inspectMessage, overlaysMessage, type ControlAction } from './stream/control.ts';
import { LiveConnection, type ConnectionStatus } from './stream/live-connection.ts';
import { ReplayPlayer } from './stream/replay-player.ts';
import { SnapshotBuffer } from './stream/snapshot-buffer.ts';
import { parseReplay, parseScene, parseSnapshot, WireError, type Snapshot } from './stream/wire.ts';
import { Banner } from './ui/banner.ts';
import { onDroppedFile } from './ui/drop-zone.ts';
import { CONTROL_ACCESS, ControlPanel } from './ui/control-panel.ts';
import { byId, Hud } from './ui/hud.ts';
import { InspectPanel, parseInspectReply } from './ui/inspect-panel.ts';
import { LidarPlot } from './ui/lidar-plot.ts';
import { OverlayLegend } from './ui/overlay-legend.ts';
import { FrameStats } from './frame-stats.ts';
import { WorldView } from './world/world-view.ts';

export type ViewerOptions = {
  /** WebSocket URL of `kdmarl serve`, or null for replay-only. */
  serverUrl: string | null;
  token: string | null;
  replayUrl: string | null;
  /** 'low' drops MSAA and high-DPI rendering (software GL, slow machines). */
  quality: 'high' | 'low';
};

/** Overlays the viewer's toggles switch. */
export type OverlayKey = 'ranges' | 'beams' | 'graph' | 'roles' | 'lidar';

const HUD_INTERVAL_MS = 100;
const INSPECT_INTERVAL_MS = 500;
/** A click that moved more than this (px) was an orbit drag, not a pick. */
const CLICK_SLOP_PX = 5;

/**
 * Wires the sources (live socket, replay) to the snapshot buffer, and the buffer to the world
 * view and the panels. The socket only parses and pushes; the animation frame only samples and
 * draws: neither waits on the other.
 */
export class ViewerApp {
  readonly world: WorldView;
  readonly banner = new Banner(byId('banner'));
  readonly hud = new Hud();
  readonly inspect = new InspectPanel();
  readonly lidarPlot = new LidarPlot();
  readonly legend = new OverlayLegend(document.body);
  readonly frames = new FrameStats();
  readonly controls = new ControlPanel();
  scene: SceneMessage | null = null;
  buffer: SnapshotBuffer | null = null;
  live: LiveConnection | null = null;
  player: ReplayPlayer | null = null;
  connection: ConnectionStatus['state'] | 'none' = 'none';
  mode: 'live' | 'replay' | 'idle' = 'idle';
  /** Messages the server rejected or acknowledged, newest last (for the control note and tests). */
  readonly notes: string[] = [];
  badFrames = 0;
  private readonly options: ViewerOptions;
  private lastHud = 0;
  private lastInspect = 0;
  private snapshotTimes: number[] = [];
  private frameHandle = 0;
  private readonly scrubber = byId<HTMLInputElement>('scrubber');
  /** Aim the camera at the bodies once the first snapshot of a scene arrives. */
  private needsFraming = false;

  constructor(options: ViewerOptions) {
    this.options = options;
    const canvas = byId<HTMLCanvasElement>('world');
    this.world = new WorldView(canvas, options.quality);
    const resize = (): void => this.world.resize(canvas.clientWidth, canvas.clientHeight);
    new ResizeObserver(resize).observe(canvas);
    resize();
    this.bindControls();
    this.bindPicking(canvas);
    this.bindReplayInputs();
    if (!options.serverUrl) byId('idle').textContent = 'No server to watch: open or drop a replay file.';
  }

  start(): void {
    if (this.options.replayUrl) void this.loadReplayUrl(this.options.replayUrl);
    else this.goLive();
    void this.controls.loadScenarioNames();
    const frame = (now: number): void => {
      this.frameHandle = requestAnimationFrame(frame);
      this.frame(now);
    };
    this.frameHandle = requestAnimationFrame(frame);
  }

  stop(): void {
    cancelAnimationFrame(this.frameHandle);
    this.live?.stop();
  }

  // ---- sources ---------------------------------------------------------------------------

  goLive(): void {
    const url = this.options.serverUrl;
    if (!url) return;
    this.player = null;
    byId('timeline').hidden = true;
    this.mode = 'live';
    this.hud.setMode('live', false);
    this.controls.set(this.options.token ? CONTROL_ACCESS.allowed : CONTROL_ACCESS.noToken);
    this.live?.stop();
    this.live = new LiveConnection(url, this.options.token, {
      onStatus: (status) => this.onStatus(status),
      onMessage: (message) => this.onMessage(message),
      onBadFrame: (error) => {
        this.badFrames++;
        this.note(`ignored a frame that is not msgpack: ${error.message}`);
      },
    });
    this.live.start();
  }

  private onStatus(status: ConnectionStatus): void {
    this.connection = status.state;
    if (status.state === 'open') {
      this.banner.hide();
    } else if (status.state === 'waiting') {
      this.banner.show(`Server unreachable at ${status.url}: ${status.reason}. Reconnecting in ${(status.retryInMs / 1000).toFixed(1)} s…`, 'warning');
    } else if (status.attempt > 1) {
      this.banner.show(`Reconnecting to ${status.url} (attempt ${status.attempt})…`, 'warning');
    }
  }

  private onMessage(message: unknown): void {
    if (this.mode !== 'live') return;
    const kind = typeof message === 'object' && message !== null ? (message as Record<string, unknown>)['kind'] : undefined;
    try {
      if (kind === 'scene') {
        this.setScene(parseScene(message));
      } else if (kind === 'snap') {
        if (!this.scene || !this.buffer) return;
        const snap = parseSnapshot(message, this.scene);
        const now = performance.now();
        this.buffer.push(snap, now);
        this.snapshotTimes.push(now);
        if (this.snapshotTimes.length > 30) this.snapshotTimes.shift();
      } else if (kind === 'inspect') {
        const reply = parseInspectReply(message as Record<string, unknown>);
        if (reply) this.inspect.reply = reply;
      } else if (kind === 'welcome') {
        const m = message as Record<string, unknown>;
        // A new connection starts with no overlays on the server side.
        if (this.world.overlays.graph || this.world.overlays.roles || this.world.overlays.lidar) this.sendOverlays();
        // A spectator whose token is wrong is still welcomed, read-only: `control` says which.
        if (!this.options.token) this.controls.set(CONTROL_ACCESS.noToken);
        else if (m['control'] === true) this.controls.set(CONTROL_ACCESS.allowed);
        else this.rejectToken();
      } else if (kind === 'error') {
        const m = message as Record<string, unknown>;
        this.note(`server: ${String(m['message'] ?? m['error'] ?? 'error')}${typeof m['code'] === 'number' ? ` (${closeCodeName(m['code'])})` : ''}`);
      } else if (kind === 'control') {
        const m = message as Record<string, unknown>;
        const error = String(m['error'] ?? m['message'] ?? 'no reason given');
        if (m['ok'] !== false) this.note(`${String(m['action'] ?? 'control')}: ok`);
        // The server's only refusal that names the token; any other is about the action itself.
        else if (/token/i.test(error)) this.rejectToken();
        else this.note(`control refused: ${error}`);
      }
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      this.badFrames++;
      this.note(`ignored a bad ${String(kind)} frame: ${error.message}`);
    }
  }

  private setScene(scene: SceneMessage): void {
    this.scene = scene;
    this.buffer = new SnapshotBuffer(scene.entities.length);
    this.world.setScene(scene);
    byId('idle').hidden = true;
    this.needsFraming = true;
    this.hud.setScene(scene, (entity) => this.world.colorOf(entity) ?? '#000000');
    this.inspect.hide();
    this.snapshotTimes = [];
    this.controls.addScenario(scene.scenario, scene.family);
  }

  async loadReplayUrl(url: string): Promise<void> {
    let bytes: Uint8Array;
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status} ${response.statusText}`);
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      this.showError(`Cannot load replay ${url}: ${(error as Error).message}`);
      return;
    }
    this.loadReplayBytes(bytes, url.split('/').pop() || url);
  }

  loadReplayBytes(bytes: Uint8Array, name: string): boolean {
    let replay;
    try {
      replay = parseReplay(bytes, name);
    } catch (error) {
      this.showError(`Cannot play replay: ${(error as Error).message}`);
      return false;
    }
    this.live?.stop();
    this.live = null;
    this.connection = 'none';
    this.banner.hide();
    this.mode = 'replay';
    this.setScene(replay.scene);
    this.player = new ReplayPlayer(replay, this.buffer!, performance.now());
    this.hud.setMode(`replay · ${name}`, false);
    if (replay.truncated) {
      this.banner.show(`Replay ${name} is truncated: ${replay.truncated}.`, 'warning');
      this.note(replay.truncated);
    }
    this.controls.set(CONTROL_ACCESS.offline);
    const scrubber = byId<HTMLInputElement>('scrubber');
    scrubber.max = String(replay.snapshots.length - 1);
    scrubber.value = '0';
    byId('timeline').hidden = false;
    byId('btn-live').hidden = !this.options.serverUrl;
    byId('btn-play').textContent = 'Pause';
    return true;
  }

  private showError(text: string): void {
    this.banner.show(text, 'error');
    this.note(text);
  }

  /** Keeps a message (newest last; the tests read them); `show` also puts it under the controls, unless the status line already says it. */
  private note(text: string, show = true): void {
    this.notes.push(text);
    if (this.notes.length > 50) this.notes.shift();
    if (show) byId('control-note').textContent = text;
  }

  // ---- frame ----------------------------------------------------------------------------

  private frame(now: number): void {
    const started = performance.now();
    const buffer = this.buffer;
    if (this.player) {
      if (this.player.advance(now)) this.scrubber.value = String(this.player.index);
    }
    const snap = buffer?.latest ?? null;
    const positions = buffer && snap ? buffer.sample(now) : null;
    if (positions && snap && this.needsFraming) {
      this.needsFraming = false;
      this.world.frameBodies(positions, snap);
    }
    this.world.render(positions, snap, now, buffer && snap ? buffer.sampleRotations(now) : null);
    if (snap && this.scene && now - this.lastHud >= HUD_INTERVAL_MS) {
      this.lastHud = now;
      this.updatePanels(snap, now);
    }
    this.frames.record(started, performance.now(), now);
  }

  private updatePanels(snap: Snapshot, now: number): void {
    const scene = this.scene!;
    const times = this.snapshotTimes;
    const rate = times.length > 1 ? ((times.length - 1) * 1000) / Math.max(1, times[times.length - 1]! - times[0]!) : 0;
    this.hud.update(scene, snap, this.mode === 'replay' ? null : rate, this.frames.recentCpuMs());
    if (this.mode === 'live') {
      this.hud.setMode(snap.paused ? 'live · paused' : 'live', snap.paused);
      byId('btn-pause').textContent = snap.paused ? 'Resume' : 'Pause';
    }
    if (this.player) {
      const p = this.player;
      byId('timeline-label').textContent = `${p.index + 1} / ${p.length} · tick ${snap.tick} · ep ${snap.episode}`;
      byId('btn-play').textContent = p.playing ? 'Pause' : 'Play';
    }
    this.inspect.update(scene, snap);
    this.lidarPlot.update(scene, snap, this.inspect.open ? this.inspect.entity : -1);
    this.legend.update(this.world.overlays.graph, this.world.overlays.roles, snap);
    if (this.inspect.open && this.live && now - this.lastInspect >= INSPECT_INTERVAL_MS) {
      this.lastInspect = now;
      const agent = scene.entities[this.inspect.entity]?.agent ?? -1;
      if (agent >= 0) this.live.send(inspectMessage(agent));
    }
  }

  // ---- input ----------------------------------------------------------------------------

  select(entity: number): void {
    if (!this.scene || entity < 0 || entity >= this.scene.entities.length) {
      this.world.selected = -1;
      this.world.follow(-1);
      this.inspect.hide();
      return;
    }
    this.world.selected = entity;
    this.inspect.show(this.scene, entity);
    this.lastInspect = 0;
    const snap = this.buffer?.latest;
    if (snap) this.inspect.update(this.scene, snap);
  }

  private bindPicking(canvas: HTMLCanvasElement): void {
    let downX = 0;
    let downY = 0;
    canvas.addEventListener('pointerdown', (event) => {
      downX = event.clientX;
      downY = event.clientY;
    });
    canvas.addEventListener('pointerup', (event) => {
      if (event.button !== 0) return;
      if (Math.hypot(event.clientX - downX, event.clientY - downY) > CLICK_SLOP_PX) return;
      const entity = this.world.pick(event.clientX, event.clientY);
      if (entity >= 0) this.select(entity);
    });
  }

  /** Show or hide an overlay; the graph, roles and all lidar need the server to send them, so it is told. */
  setOverlay(key: OverlayKey, on: boolean): void {
    this.world.overlays[key] = on;
    const input = document.getElementById(`tg-${key}`) as HTMLInputElement | null;
    if (input) input.checked = on;
    if (key === 'graph' || key === 'roles' || key === 'lidar') this.sendOverlays();
  }

  private sendOverlays(): void {
    const { graph, roles, lidar } = this.world.overlays;
    this.live?.send(overlaysMessage(graph, roles, lidar));
  }

  private sendControl(action: ControlAction, value?: number | string): void {
    const token = this.options.token;
    const refusal = this.controls.refusal;
    if (refusal !== null || !token) {
      this.note(`${action} not sent: ${refusal ?? 'no token'}`);
      return;
    }
    if (!this.live?.send(controlMessage(token, action, value))) this.note(`not connected: ${action} not sent`);
  }

  private rejectToken(): void {
    if (this.controls.access !== CONTROL_ACCESS.rejected) this.note('the server rejected the control token: read-only', false);
    byId('control-note').textContent = '';
    this.controls.set(CONTROL_ACCESS.rejected);
  }

  private bindControls(): void {
    byId('btn-pause').addEventListener('click', () => this.sendControl(this.buffer?.latest?.paused ? 'resume' : 'pause'));
    byId('btn-step').addEventListener('click', () => this.sendControl('step'));
    byId('btn-reset').addEventListener('click', () => this.sendControl('reset'));
    byId<HTMLSelectElement>('sel-speed').addEventListener('change', (event) => {
      this.sendControl('speed', Number((event.target as HTMLSelectElement).value));
    });
    const switchScenario = (): void => {
      const name = byId<HTMLInputElement>('in-scenario').value.trim();
      if (name) this.sendControl('scenario', name);
    };
    byId('btn-scenario').addEventListener('click', switchScenario);
    byId('in-scenario').addEventListener('keydown', (event) => {
      if ((event as KeyboardEvent).key === 'Enter') switchScenario();
    });
    const toggle = (id: string, key: OverlayKey): void => {
      const input = byId<HTMLInputElement>(id);
      this.world.overlays[key] = input.checked;
      input.addEventListener('change', () => this.setOverlay(key, input.checked));
    };
    toggle('tg-ranges', 'ranges');
    toggle('tg-beams', 'beams');
    toggle('tg-graph', 'graph');
    toggle('tg-roles', 'roles');
    toggle('tg-lidar', 'lidar');
    byId('btn-close').addEventListener('click', () => this.select(-1));
    byId('btn-follow').addEventListener('click', () => {
      this.world.follow(this.world.following === this.inspect.entity ? -1 : this.inspect.entity);
      byId('btn-follow').textContent = this.world.following >= 0 ? 'Unfollow' : 'Follow';
    });
    window.addEventListener('keydown', (event) => {
      if (event.target instanceof HTMLInputElement || event.target instanceof HTMLSelectElement) return;
      if (event.key === 'Escape') this.select(-1);
      else if (event.key === ' ' && this.mode === 'live') this.sendControl(this.buffer?.latest?.paused ? 'resume' : 'pause');
      else if (event.key === ' ' && this.player) this.player.setPlaying(!this.player.playing, performance.now());
      else if (event.key === '.' && this.mode === 'live') this.sendControl('step');
      else return;
      event.preventDefault();
    });
  }

  private bindReplayInputs(): void {
    const scrubber = byId<HTMLInputElement>('scrubber');
    scrubber.addEventListener('input', () => {
      if (!this.player) return;
      this.player.setPlaying(false, performance.now());
      this.player.seek(Number(scrubber.value), performance.now());
    });
    byId('btn-play').addEventListener('click', () => {
      if (this.player) this.player.setPlaying(!this.player.playing, performance.now());
    });
    byId<HTMLSelectElement>('sel-replay-speed').addEventListener('change', (event) => {
      if (this.player) this.player.speed = Number((event.target as HTMLSelectElement).value);
    });
    byId('btn-live').addEventListener('click', () => this.goLive());
    byId<HTMLInputElement>('in-replay').addEventListener('change', (event) => {
      const file = (event.target as HTMLInputElement).files?.[0];
      if (file) void this.loadReplayFile(file);
    });
    onDroppedFile(byId('drop'), (file) => void this.loadReplayFile(file));
  }

  async loadReplayFile(file: File): Promise<void> {
    try {
      this.loadReplayBytes(new Uint8Array(await file.arrayBuffer()), file.name);
    } catch (error) {
      this.showError(`Cannot read ${file.name}: ${(error as Error).message}`);
    }
  }
}
