import type { OverlayKey, ViewerApp } from './app.ts';

/**
 * `window.__viewer`: read-only views of the viewer's state for the Playwright tests (and for
 * anyone debugging in a console). Tests wait on these with `page.waitForFunction`.
 */
export type ViewerTestHook = {
  state(): {
    mode: ViewerApp['mode'];
    connection: ViewerApp['connection'];
    scenario: string | null;
    agentsInScene: number;
    /** Entity index of each agent, in scene order. */
    agentEntities: number[];
    /** Agents alive in the latest snapshot (a dead unit sinks and cannot be clicked). */
    liveAgentEntities: number[];
    entitiesInScene: number;
    snapshots: number;
    /** Interpolation position between the last two snapshots (1: showing the newest). */
    alpha: number;
    tick: number;
    episode: number;
    hudTick: string;
    drawn: { agents: number; units: number; entities: number };
    beams: number;
    selected: number;
    inspectOpen: boolean;
    following: number;
    banner: { text: string; level: string };
    notes: string[];
    badFrames: number;
    replay: { index: number; length: number; playing: boolean } | null;
    /** Whether the run controls may be used, and the status line under them. */
    controlAccess: ViewerApp['controls']['access'];
    controlStatus: string;
    /** Ids of the run controls that are disabled, each with its tooltip (the reason). */
    disabledControls: { id: string; title: string }[];
  };
  /** The HUD's legend of who is which colour. */
  teams(): ViewerApp['hud']['teams']['entries'];
  /** An entity's colour as the scene draws it (`#rrggbb`). */
  colorOf(entity: number): string | null;
  pixelStats(): ReturnType<ViewerApp['world']['pixelStats']>;
  /** Where an entity is drawn, in page CSS pixels (null if behind the camera or no scene). */
  screenPositionOf(entity: number): { x: number; y: number } | null;
  frameStats(): ReturnType<ViewerApp['frames']['summary']>;
  resetFrameStats(): void;
  framesRendered(): number;
  select(entity: number): void;
  cameraTarget(): { x: number; y: number };
  /** An entity's position as drawn this instant (interpolated), in simulation coordinates. */
  positionOf(entity: number): { x: number; y: number } | null;
  setOverlay(name: OverlayKey, on: boolean): void;
  /** Robot worlds as last drawn: headings, lidar rays, and the inspector's lidar plot (null when hidden). */
  robots(): { headings: number; lidarRays: number; rotations: boolean; scansInSnapshot: number[]; plot: { rays: number; nearest: number } | null };
  /** The graph and role overlays as last drawn, from the stream's relations and roles. */
  overlayState(): { graphEdges: number; relations: number[] | null; roles: number[] | null; roleNames: string[]; legend: string };
  /** The inspect panel's probability bars as shown (value text per action) and the heading. */
  inspectProbabilities(): { heading: string; values: string[] };
};

declare global {
  interface Window {
    __viewer?: ViewerTestHook;
  }
}

export function installTestHook(app: ViewerApp): void {
  window.__viewer = {
    state: () => {
      const snap = app.buffer?.latest ?? null;
      const player = app.player;
      return {
        mode: app.mode,
        connection: app.connection,
        scenario: app.scene?.scenario ?? null,
        agentsInScene: app.scene?.agents.length ?? 0,
        agentEntities: app.scene?.agents.map((a) => a.entity) ?? [],
        liveAgentEntities: (app.scene?.agents ?? []).map((a) => a.entity).filter((e) => snap?.alive[e] === 1),
        entitiesInScene: app.scene?.entities.length ?? 0,
        snapshots: app.buffer?.received ?? 0,
        alpha: app.buffer ? app.buffer.alpha(performance.now()) : 1,
        tick: snap?.tick ?? -1,
        episode: snap?.episode ?? -1,
        hudTick: document.getElementById('hud-tick')?.textContent ?? '',
        drawn: app.world.drawnCounts(),
        beams: app.world.beamCount,
        selected: app.world.selected,
        inspectOpen: app.inspect.open,
        following: app.world.following,
        banner: { text: app.banner.text, level: app.banner.level },
        notes: [...app.notes],
        badFrames: app.badFrames,
        replay: player ? { index: player.index, length: player.length, playing: player.playing } : null,
        controlAccess: app.controls.access,
        controlStatus: document.getElementById('control-status')?.hidden ? '' : (document.getElementById('control-status')?.textContent ?? ''),
        disabledControls: [...document.querySelectorAll<HTMLButtonElement>('#controls button:disabled, #controls select:disabled, #controls input:disabled')].map((c) => ({ id: c.id, title: c.title })),
      };
    },
    teams: () => app.hud.teams.entries,
    colorOf: (entity) => app.world.colorOf(entity),
    pixelStats: () => app.world.pixelStats(),
    screenPositionOf: (entity) => {
      const positions = app.buffer?.latest ? app.buffer.sample(performance.now()) : null;
      return positions ? app.world.screenPositionOf(entity, positions) : null;
    },
    frameStats: () => app.frames.summary(),
    resetFrameStats: () => app.frames.reset(),
    framesRendered: () => app.frames.total,
    select: (entity) => app.select(entity),
    cameraTarget: () => app.world.cameraTarget(),
    positionOf: (entity) => {
      const positions = app.buffer?.latest ? app.buffer.sample(performance.now()) : null;
      return positions ? { x: positions[2 * entity]!, y: positions[2 * entity + 1]! } : null;
    },
    setOverlay: (name, on) => app.setOverlay(name, on),
    overlayState: () => {
      const extras = app.buffer?.latest?.extras ?? null;
      return {
        graphEdges: app.world.graphEdges,
        relations: extras?.relations ? [...extras.relations] : null,
        roles: extras?.roles ? [...extras.roles] : null,
        roleNames: extras?.roleNames ?? [],
        legend: document.getElementById('overlay-legend')?.textContent ?? '',
      };
    },
    inspectProbabilities: () => app.inspect.shownProbabilities(),
    robots: () => {
      const extras = app.buffer?.latest?.extras;
      return {
        ...app.world.robotCounts(),
        rotations: extras?.rotations != null,
        scansInSnapshot: extras?.lidar.map((l) => l.agent) ?? [],
        plot: app.lidarPlot.shown,
      };
    },
  };
}
