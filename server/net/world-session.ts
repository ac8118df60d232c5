import { deriveSeed } from '../../shared/rng.ts';
import { EnvCore } from '../env/env-core.ts';
import type { Simulation } from '../env/simulation.ts';
import { createSimulation, parseScenario, resolveScenario, scenarioHasWins, type LoadedScenario } from '../scenarios/registry.ts';
import { defaultStudentViews } from '../scenarios/student-views.ts';
import { ObservationView } from '../views/view.ts';
import type { ViewSpec } from '../../shared/view-spec.ts';
import type { SceneMessage } from '../../shared/protocol.ts';
import type { Fallback } from '../../shared/handshake-protocol.ts';

export type SessionOptions = {
  scenario: string;
  /** Override `params.numAgents` (scenarios that take it, e.g. spread): `--agents N` for stress runs. */
  agents?: number;
  seed?: number;
  fallback?: Fallback;
};

/** How the episode that just ended went. */
export type EpisodeEnd = { terminated: boolean; won: boolean; return: number; steps: number };

/**
 * One running scenario without any networking: the env core (the one env step: lenient action
 * checking, fallbacks, masks, returns), the per-slot student views the agents asked for, the
 * teacher views, and the session's counts (episodes, wins, returns). The network server drives it
 * tick by tick.
 */
export class WorldSession {
  /** The scenario and its simulation: replaced (same name and spaces) by `changeWorld`. */
  loaded: LoadedScenario;
  readonly name: string;
  readonly family: string;
  /** Episodes end in a win or a loss (SMAC battles); other scenarios are scored by return. */
  private readonly hasWins: boolean;
  sim: Simulation;
  readonly agentCount: number;
  /** Teacher (full) views, for supervisors and inspection. */
  teacherViews: readonly ObservationView[];
  /** The scenario's default student views. */
  readonly defaultViews: readonly ViewSpec[];
  readonly agentTypes: readonly string[];
  readonly fallback: Fallback;
  private core: EnvCore;
  private readonly seed: number;
  /** The view each slot's agent currently sees (its claim's view or the default). */
  private readonly views: ObservationView[];
  /** Steps taken, the running episode (1-based), episodes finished and how they ended. */
  private readonly counts = { tick: 0, episode: 0, episodes: 0, wins: 0, losses: 0, lastReturn: 0 };
  private returnSum = 0;
  /** The last step's rewards, kept past the automatic reset that follows an episode's last step. */
  private readonly rewards: Float32Array;

  constructor(options: SessionOptions) {
    this.loaded = loadVariant(options.scenario, options.agents);
    this.name = this.loaded.file.name;
    this.family = this.loaded.file.family;
    this.hasWins = scenarioHasWins(this.loaded);
    this.sim = createSimulation(this.loaded);
    this.agentCount = this.sim.agentNames.length;
    this.defaultViews = defaultStudentViews(this.loaded, this.sim);
    this.teacherViews = this.sim.layouts.map((layout, i) => new ObservationView(layout, {}, `teacher view of ${this.sim.agentNames[i]}`));
    this.views = this.sim.layouts.map((layout, i) => new ObservationView(layout, this.defaultViews[i], `student view of ${this.sim.agentNames[i]}`));
    this.agentTypes = this.sim.agentNames.map((name) => this.sim.entities.find((e) => e.name === name)?.type ?? 'agent');
    this.fallback = options.fallback ?? 'stop';
    this.seed = options.seed ?? 0;
    this.core = new EnvCore(this.sim, { seed: this.seed, fallback: this.fallback });
    this.rewards = new Float32Array(this.agentCount);
    this.resetEpisode();
  }

  /**
   * Run a changed version of the scenario from the next step on, keeping every agent's view: the
   * running episode is abandoned (not counted) and a new one starts on the changed world, from a
   * seed of its own. Throws, leaving the world as it was, unless the name and every space match.
   */
  changeWorld(loaded: LoadedScenario): void {
    const sim = createSimulation(loaded);
    const mismatch = spaceMismatch(this.sim, sim, loaded.file.name, this.name);
    if (mismatch) throw new Error(`${loaded.path}: cannot replace the running world: ${mismatch}`);
    this.loaded = loaded;
    this.sim = sim;
    this.teacherViews = sim.layouts.map((layout, i) => new ObservationView(layout, {}, `teacher view of ${sim.agentNames[i]}`));
    this.views.forEach((view, i) => (this.views[i] = new ObservationView(sim.layouts[i], view.spec, `student view of ${sim.agentNames[i]}`)));
    this.core = new EnvCore(sim, { seed: deriveSeed(this.seed, this.counts.episode), fallback: this.fallback });
    this.resetEpisode();
  }

  /** Compile the view an agent asked for (absent: its default student view); throws a message naming the bad field. */
  compileStudentView(agent: number, spec: ViewSpec | undefined): ObservationView {
    return new ObservationView(this.sim.layouts[agent], spec ?? this.defaultViews[agent], `view of ${this.sim.agentNames[agent]}`);
  }

  setStudentView(agent: number, view: ObservationView): void {
    this.views[agent] = view;
  }

  get studentViews(): readonly ObservationView[] {
    return this.views;
  }

  get tick(): number {
    return this.counts.tick;
  }

  /** The running episode (1-based). */
  get episode(): number {
    return this.counts.episode;
  }

  /** Episodes finished. */
  get episodes(): number {
    return this.counts.episodes;
  }

  get wins(): number {
    return this.counts.wins;
  }

  get losses(): number {
    return this.counts.losses;
  }

  get lastReturn(): number {
    return this.counts.lastReturn;
  }

  /** Every agent's action mask, concatenated (read only: refreshed by the world after each reset and step). */
  get masks(): Uint8Array {
    return this.core.io.masks;
  }

  /** Where each agent's mask starts in `masks`. */
  get maskOffsets(): readonly number[] {
    return this.core.io.maskOffsets;
  }

  /**
   * Agent i's answer for the next step, checked leniently. Returns false, leaving the action
   * unset, when the answer is not an allowed action (the caller then applies the fallback).
   */
  applyAction(i: number, raw: number): boolean {
    return this.core.setAction(i, raw, 'lenient');
  }

  /** Agent i did not answer in time (or answered badly): it takes the fallback action next step. */
  applyFallback(i: number): void {
    this.core.setFallback(i);
  }

  /** A dead agent owes no decision: it takes the simulation's dead action. */
  applyDeadAction(i: number): void {
    this.core.actions[i] = this.sim.deadAction;
  }

  /** The actions the next step applies, into `out` (the supervisor's copy). */
  writeActions(out: Int16Array): void {
    const actions = this.core.actions;
    for (let i = 0; i < this.agentCount; i++) out[i] = actions[i];
  }

  /** The rewards of the last step (also when it ended the episode), into `out`. */
  writeRewards(out: Float32Array): void {
    out.set(this.rewards);
  }

  /** The global state (for the centralized critic) into `out`. */
  writeState(out: Float32Array): void {
    this.sim.writeState(out, 0);
  }

  /** The action agent i applied last step. */
  lastAction(i: number): number {
    return this.core.lastActions[i];
  }

  /**
   * This tick's student observation of every agent into `student` (agent i at `studentOffsets[i]`)
   * and, when `teacher` is given, the teacher observations likewise.
   */
  writeObservations(student: Float32Array, studentOffsets: readonly number[], teacher: Float32Array | null, teacherOffsets: readonly number[]): void {
    for (let i = 0; i < this.agentCount; i++) {
      this.writeStudent(i, student, studentOffsets[i]);
      if (teacher) this.writeTeacherFromRaw(i, teacher, teacherOffsets[i]);
    }
  }

  /**
   * Start a new episode (auto-reset and the `reset` control). Does not count the abandoned one.
   * With a seed the env's random stream restarts from it, as `EnvCore.reset(seed)` does in process.
   */
  resetEpisode(seed?: number): void {
    this.core.reset(seed);
    this.counts.episode++;
  }

  /** Agent i's student observation at `out[offset ..]` (the sim fills the raw table first). */
  writeStudent(i: number, out: Float32Array, offset: number): void {
    const alive = this.sim.alive[i] === 1;
    if (alive) this.sim.observe(i, this.core.io.raws[i]);
    this.views[i].write(this.core.io.raws[i], alive, out, offset);
  }

  /** Agent i's teacher observation; call after `writeStudent` for the same tick (the raw table is filled). */
  writeTeacherFromRaw(i: number, out: Float32Array, offset: number): void {
    this.teacherViews[i].write(this.core.io.raws[i], this.sim.alive[i] === 1, out, offset);
  }

  /** The action a missing or late answer becomes: the declared default, or the last action while it is still allowed. */
  fallbackAction(i: number): number {
    return this.core.fallbackAction(i);
  }

  /**
   * Advance one step with the actions set by `applyAction`, `applyFallback` and `applyDeadAction`.
   * Returns how the episode ended, or null while it runs; on an end the next episode has already
   * started, and `beforeReset` (when given) ran on the ended episode's last state first.
   */
  step(beforeReset?: () => void): EpisodeEnd | null {
    this.counts.tick++;
    const ended = this.core.step();
    this.rewards.set(this.core.rewards);
    if (!ended) return null;
    beforeReset?.();
    const report = this.core.episodeEnd();
    const end: EpisodeEnd = { terminated: report.terminated, won: report.won, return: report.teamReturn, steps: report.length };
    this.counts.episodes++;
    if (end.won) this.counts.wins++;
    else if (this.hasWins) this.counts.losses++;
    this.counts.lastReturn = end.return;
    this.returnSum += end.return;
    this.resetEpisode();
    return end;
  }

  get meanReturn(): number {
    return this.counts.episodes === 0 ? 0 : this.returnSum / this.counts.episodes;
  }

  /** Win rate where the scenario has winners (SMAC-style), else null. */
  get winRate(): number | null {
    if (!this.hasWins) return null;
    return this.counts.episodes === 0 ? 0 : this.counts.wins / this.counts.episodes;
  }

  scene(): SceneMessage {
    const sim = this.sim;
    return {
      kind: 'scene',
      scenario: this.name,
      family: this.family,
      bounds: [...sim.bounds] as [number, number, number, number],
      dt: sim.dt,
      maxSteps: sim.maxSteps,
      entities: sim.entities.map((e) => ({ ...e })),
      agents: sim.agentNames.map((name, i) => ({
        name,
        entity: sim.entities.findIndex((e) => e.name === name),
        actionCount: sim.actionCounts[i],
        actionNames: [...(sim.actionNames?.[i] ?? [])],
        teacherLabels: [...this.teacherViews[i].labels],
        studentLabels: [...this.studentViews[i].labels],
        sightRange: sim.ranges?.[i]?.sight ?? 0,
        attackRange: sim.ranges?.[i]?.attack ?? 0,
      })),
    };
  }
}

/** Why `next` cannot stand in for `running` (other agents, spaces or name), or null. */
function spaceMismatch(running: Simulation, next: Simulation, nextName: string, runningName: string): string | null {
  if (nextName !== runningName) return `the changed world is named '${nextName}', the running one '${runningName}'`;
  if (next.agentNames.join() !== running.agentNames.join()) return `agents ${next.agentNames.join(', ')} instead of ${running.agentNames.join(', ')}`;
  if (next.actionCounts.join() !== running.actionCounts.join()) return `action counts ${next.actionCounts.join(', ')} instead of ${running.actionCounts.join(', ')}`;
  if (next.stateSize !== running.stateSize) return `state size ${next.stateSize} instead of ${running.stateSize}`;
  const shape = (sim: Simulation, i: number): string => sim.layouts[i].blocks.map((b) => `${b.name}:${b.rows}x${b.features.join('|')}`).join(' ');
  for (let i = 0; i < running.agentNames.length; i++) {
    if (shape(next, i) !== shape(running, i)) return `${running.agentNames[i]}'s observation layout differs (${shape(next, i)} instead of ${shape(running, i)})`;
  }
  return null;
}

/** A built-in scenario or file, with `params.numAgents` overridden when asked (and supported). */
export function loadVariant(scenario: string, agents: number | undefined): LoadedScenario {
  const loaded = resolveScenario(scenario);
  if (agents === undefined) return loaded;
  if (loaded.file.family === 'robots') return robotVariant(loaded, agents);
  const params = (loaded.file as { params?: Record<string, unknown> }).params;
  if (!params || typeof params.numAgents !== 'number') {
    throw new Error(`scenario '${loaded.file.name}' has a fixed number of agents; --agents needs a scenario with params.numAgents (e.g. spread)`);
  }
  if (params.numAgents === agents) return loaded;
  const file = { ...loaded.file, name: `${loaded.file.name}_${agents}`, params: { ...params, numAgents: agents } };
  return parseScenario(file, `${loaded.path} (numAgents ${agents})`);
}

/**
 * Robot worlds are sized by their files (a bigger roster needs a bigger spawn area and lidar), so
 * `--agents N` picks the shipped variant `<name>_N` of the same task, e.g. navigation_64.
 */
function robotVariant(loaded: LoadedScenario, agents: number): LoadedScenario {
  const own = ((loaded.file as { robots?: { count: number }[] }).robots ?? []).reduce((sum, group) => sum + group.count, 0);
  if (agents === own) return loaded;
  const name = `${loaded.file.name}_${agents}`;
  let variant: LoadedScenario;
  try {
    variant = resolveScenario(name);
  } catch {
    throw new Error(`scenario '${loaded.file.name}' has ${own} robots and no ${agents}-robot variant '${name}'; --agents needs a shipped variant or a scenario file with that many robots`);
  }
  const file = variant.file as { kind?: string; robots?: { count: number }[] };
  const variantRobots = file.robots?.reduce((sum, group) => sum + group.count, 0);
  if (variant.file.family !== 'robots' || file.kind !== (loaded.file as { kind?: string }).kind || variantRobots !== agents) {
    throw new Error(`scenario '${name}' is not a ${agents}-robot variant of '${loaded.file.name}'`);
  }
  return variant;
}
