import { box, discrete, type BoxSpace, type DiscreteSpace } from '../../shared/spaces.ts';
import type { Simulation } from './simulation.ts';
import type { AgentIO, ActionPolicy } from './agent-io.ts';
import { EnvCore } from './env-core.ts';
import type { EpisodeMetrics } from './episode-metrics.ts';
import type { ViewSpec } from '../../shared/view-spec.ts';

/** An observation as PettingZoo's action-masked envs give it. */
export type AgentObservation = {
  observation: Float32Array;
  actionMask: Uint8Array;
};

export type AgentInfo = {
  alive: boolean;
  /** True when this step's action was invalid and replaced (lenient mode). */
  invalidAction: boolean;
  /** Set on the last step of an episode: whether the team won (SMAC-style scenarios). */
  won?: boolean;
  /** Set on the last step of an episode: the scenario's own measures (battle end, landmarks covered, goal distance). */
  metrics?: EpisodeMetrics;
};

export type StepResult = {
  observations: Record<string, AgentObservation>;
  rewards: Record<string, number>;
  terminations: Record<string, boolean>;
  truncations: Record<string, boolean>;
  infos: Record<string, AgentInfo>;
};

export type ParallelEnvOptions = {
  /** Per-agent view specs by agent name; agents not named get the full (teacher) view. */
  views?: Record<string, ViewSpec>;
  /** 'strict' throws on an invalid action (the default); 'lenient' replaces it and counts it in infos. */
  actions?: ActionPolicy;
};

/**
 * PettingZoo's Parallel API over a simulation. Dead agents stay in `agents` until the episode
 * ends, with an all-zero observation and a mask that allows only the no-op, as SMAC and MAPPO's
 * death masking expect; every dict has every agent of `agents`. When the episode ends (all
 * terminated or truncated) `agents` becomes empty until the next `reset`.
 * Returned arrays are fresh copies: keep them as long as you like.
 */
export class ParallelEnv {
  readonly sim: Simulation;
  readonly core: EnvCore;
  readonly io: AgentIO;
  readonly possibleAgents: readonly string[];
  agents: string[] = [];
  private readonly actionPolicy: ActionPolicy;
  private readonly observationSpaces: readonly BoxSpace[];
  private readonly actionSpaces: readonly DiscreteSpace[];
  private readonly indexOf: ReadonlyMap<string, number>;
  private hasReset = false;

  constructor(sim: Simulation, options: ParallelEnvOptions = {}) {
    this.sim = sim;
    this.possibleAgents = Object.freeze([...sim.agentNames]);
    for (const name of Object.keys(options.views ?? {})) {
      if (!this.possibleAgents.includes(name)) {
        throw new Error(`views: unknown agent '${name}' (agents: ${this.possibleAgents.join(', ')})`);
      }
    }
    this.core = new EnvCore(sim, { views: sim.agentNames.map((name) => options.views?.[name]) });
    this.io = this.core.io;
    this.actionPolicy = options.actions ?? 'strict';
    this.observationSpaces = this.io.views.map((v) => box(v.size));
    this.actionSpaces = sim.actionCounts.map((n) => discrete(n));
    this.indexOf = new Map(sim.agentNames.map((name, i) => [name, i]));
  }

  observationSpace(agent: string): BoxSpace {
    return this.observationSpaces[this.agentIndex(agent)];
  }

  actionSpace(agent: string): DiscreteSpace {
    return this.actionSpaces[this.agentIndex(agent)];
  }

  /** The global state for a centralized critic, a fresh copy. */
  state(): Float32Array {
    const out = new Float32Array(this.sim.stateSize);
    this.sim.writeState(out, 0);
    return out;
  }

  reset(options: { seed?: number } = {}): { observations: Record<string, AgentObservation>; infos: Record<string, AgentInfo> } {
    this.core.reset(options.seed);
    this.hasReset = true;
    this.agents = [...this.possibleAgents];
    const infos: Record<string, AgentInfo> = {};
    for (let i = 0; i < this.possibleAgents.length; i++) {
      infos[this.possibleAgents[i]] = { alive: this.sim.alive[i] === 1, invalidAction: false };
    }
    return { observations: this.collectObservations(), infos };
  }

  step(actions: Record<string, number>): StepResult {
    if (!this.hasReset) throw new Error('step() before reset()');
    if (this.agents.length === 0) throw new Error('step() after the episode ended: call reset()');
    const core = this.core;
    const n = this.possibleAgents.length;
    for (const name of Object.keys(actions)) {
      if (!this.indexOf.has(name)) throw new Error(`actions: unknown agent '${name}'`);
    }
    for (let i = 0; i < n; i++) {
      const name = this.possibleAgents[i];
      const given = actions[name];
      if (given === undefined && this.actionPolicy === 'strict') {
        throw new Error(`actions: missing action for ${name}`);
      }
      core.setAction(i, given, this.actionPolicy);
    }
    const ended = core.step();
    const end = ended ? core.episodeEnd() : null;
    const rewards: Record<string, number> = {};
    const terminations: Record<string, boolean> = {};
    const truncations: Record<string, boolean> = {};
    const infos: Record<string, AgentInfo> = {};
    for (let i = 0; i < n; i++) {
      const name = this.possibleAgents[i];
      rewards[name] = core.rewards[i];
      terminations[name] = core.terminated;
      truncations[name] = core.truncated;
      const info: AgentInfo = { alive: this.sim.alive[i] === 1, invalidAction: core.replaced[i] === 1 };
      if (end) {
        info.won = end.won;
        info.metrics = end.metrics;
      }
      infos[name] = info;
    }
    const observations = this.collectObservations();
    if (ended) this.agents = [];
    return { observations, rewards, terminations, truncations, infos };
  }

  private collectObservations(): Record<string, AgentObservation> {
    const observations: Record<string, AgentObservation> = {};
    for (let i = 0; i < this.possibleAgents.length; i++) {
      const observation = new Float32Array(this.io.views[i].size);
      this.io.writeObservation(i, observation, 0);
      const start = this.io.maskOffsets[i];
      const actionMask = this.io.masks.slice(start, start + this.sim.actionCounts[i]);
      observations[this.possibleAgents[i]] = { observation, actionMask };
    }
    return observations;
  }

  private agentIndex(agent: string): number {
    const i = this.indexOf.get(agent);
    if (i === undefined) throw new Error(`unknown agent '${agent}' (agents: ${this.possibleAgents.join(', ')})`);
    return i;
  }
}
