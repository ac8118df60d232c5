import type { SceneMessage } from '../../../shared/protocol.ts';
import type { Snapshot } from '../stream/wire.ts';
import { TeamLegend } from './team-legend.ts';

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`viewer markup is missing #${id}`);
  return element as T;
}

/** Latency bars are drawn against this (ms): past it a decision is late on a 10 Hz tick. */
const LATENCY_FULL_SCALE_MS = 100;

/** The status panel: scenario, who is which colour, tick, episode, score, rates, and one latency bar per agent. */
export class Hud {
  private readonly scenario = byId('hud-scenario');
  private readonly family = byId('hud-family');
  private readonly mode = byId('hud-mode');
  private readonly tick = byId('hud-tick');
  private readonly episode = byId('hud-episode');
  private readonly step = byId('hud-step');
  private readonly score = byId('hud-score');
  private readonly rate = byId('hud-rate');
  private readonly frame = byId('hud-frame');
  private readonly latency = byId('hud-latency');
  readonly teams = new TeamLegend(byId('hud-teams'));
  private latencyRows: { fill: HTMLElement; value: HTMLElement; name: HTMLElement }[] = [];

  /** `colorOf`: the colour the scene draws an entity in (for the legend). */
  setScene(scene: SceneMessage, colorOf: (entity: number) => string): void {
    this.scenario.textContent = scene.scenario;
    this.family.textContent = `${scene.family} · ${scene.agents.length} agents`;
    this.teams.show(scene, colorOf);
    this.latency.replaceChildren();
    this.latencyRows = scene.agents.map((agent) => {
      const name = document.createElement('span');
      name.textContent = agent.name;
      const bar = document.createElement('div');
      bar.className = 'bar';
      const fill = document.createElement('i');
      bar.append(fill);
      const value = document.createElement('span');
      value.className = 'mono';
      this.latency.append(name, bar, value);
      return { fill, value, name };
    });
  }

  setMode(text: string, paused: boolean): void {
    this.mode.textContent = text;
    this.mode.classList.toggle('paused', paused);
  }

  /** `snapshotsPerSecond` is null for replays (their pace is the recording's). */
  update(scene: SceneMessage, snap: Snapshot, snapshotsPerSecond: number | null, frameMs: number): void {
    this.tick.textContent = String(snap.tick);
    this.episode.textContent = String(snap.episode);
    this.step.textContent = `${snap.t} / ${scene.maxSteps}`;
    const s = snap.score;
    this.score.textContent =
      scene.family === 'smac'
        ? `${s.wins} W · ${s.losses} L of ${s.episodes} (${s.episodes > 0 ? Math.round((100 * s.wins) / s.episodes) : 0}%)`
        : `return ${fmt(s.lastReturn)} · mean ${fmt(s.meanReturn)} (${s.episodes} ep)`;
    this.rate.textContent =
      snapshotsPerSecond === null ? `${snap.tickRate.toFixed(1)} ticks/s (recorded)` : `${snap.tickRate.toFixed(1)} ticks/s · ${snapshotsPerSecond.toFixed(1)} snaps/s`;
    this.frame.textContent = `${frameMs.toFixed(1)} ms`;
    const agents = snap.agents;
    for (let i = 0; i < this.latencyRows.length; i++) {
      const row = this.latencyRows[i]!;
      const ms = agents.latencyMs[i]!;
      const connected = agents.connected[i] === 1;
      row.fill.style.width = `${Math.min(100, (100 * ms) / LATENCY_FULL_SCALE_MS)}%`;
      row.fill.classList.toggle('late', ms > LATENCY_FULL_SCALE_MS || agents.misses[i]! > 0);
      row.value.textContent = connected ? `${ms.toFixed(1)} ms${agents.misses[i]! > 0 ? ` · ${agents.misses[i]} miss` : ''}` : 'offline';
      row.name.classList.toggle('off', !connected);
    }
  }
}

export function fmt(value: number): string {
  if (!Number.isFinite(value)) return '–';
  const a = Math.abs(value);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return value.toExponential(2);
  return value.toFixed(a >= 100 ? 1 : 3);
}

export function formatFlops(value: number): string {
  if (!Number.isFinite(value) || value <= 0) return '–';
  const units = ['', 'k', 'M', 'G', 'T'];
  let v = value;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}FLOP`;
}

export { byId };
