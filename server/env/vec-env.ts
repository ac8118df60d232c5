import { deriveSeed, type Rng } from '../../shared/rng.ts';
import type { Simulation } from './simulation.ts';
import { InvalidActionError, type AgentIO } from './agent-io.ts';
import { EnvCore } from './env-core.ts';
import type { EpisodeMetrics } from './episode-metrics.ts';
import { ObservationView } from '../views/view.ts';
import type { ViewSpec } from '../../shared/view-spec.ts';

/** A finished episode, as the vectorised env reports it. */
export type EpisodeSummary = {
  env: number;
  /** Team return: the mean over agents of the undiscounted per-agent return. */
  teamReturn: number;
  /** Per-agent undiscounted returns. */
  returns: Float32Array;
  length: number;
  won: boolean;
  terminated: boolean;
  /** The scenario's own measures at the last step (battle end, landmarks covered, goal distance). */
  metrics: EpisodeMetrics;
};

export type VecEnvOptions = {
  numEnvs: number;
  seed: number;
  /**
   * Named sets of per-agent views; each gets its own observation buffers. Default: one set,
   * `teacher`, with every agent's full view. Distillation adds a `student` set.
   */
  viewSets?: Record<string, readonly (ViewSpec | undefined)[]>;
};

/**
 * Many copies of one scenario stepped together in one process over batched typed arrays, for
 * training. Envs reset themselves when an episode ends; the state and observations seen at that
 * moment are kept in `final*` so a learner can bootstrap a truncated episode. Buffers are laid out
 * env-major: agent a's observation in env e is `obs[set][a].subarray(e * size, (e + 1) * size)`.
 */
export class VecEnv {
  readonly numEnvs: number;
  /** One env core per env: the step, checks and episode bookkeeping. */
  readonly cores: readonly EnvCore[];
  readonly sims: readonly Simulation[];
  readonly ios: readonly AgentIO[];
  readonly agentNames: readonly string[];
  readonly numAgents: number;
  readonly actionCounts: readonly number[];
  readonly stateSize: number;
  readonly viewSetNames: readonly string[];
  /** Views per set per agent (the same compiled view object serves every env). */
  readonly views: Record<string, readonly ObservationView[]>;
  /** Observation buffers per set per agent: numEnvs x view size. */
  readonly obs: Record<string, Float32Array[]>;
  /** Action masks per agent: numEnvs x actionCount. */
  readonly masks: Uint8Array[];
  /** Global states: numEnvs x stateSize. */
  readonly states: Float32Array;
  /** Rewards of the last step: numEnvs x numAgents. */
  readonly rewards: Float32Array;
  /** Alive flags matching the current observations: numEnvs x numAgents. */
  readonly alive: Uint8Array;
  /** Per env, set by the last step: 1 when that step ended the episode by its rules. */
  readonly terminated: Uint8Array;
  /** Per env, set by the last step: 1 when that step hit the step limit. */
  readonly truncated: Uint8Array;
  /** Per env: the state just before an auto-reset (valid where terminated or truncated is 1). */
  readonly finalStates: Float32Array;
  /** Per set per agent: the observation just before an auto-reset. */
  readonly finalObs: Record<string, Float32Array[]>;
  /** Episodes finished by the last step. */
  readonly finished: EpisodeSummary[] = [];
  readonly rngs: readonly Rng[];

  constructor(makeSim: () => Simulation, options: VecEnvOptions) {
    const { numEnvs } = options;
    if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new Error(`numEnvs must be a positive integer, got ${numEnvs}`);
    this.numEnvs = numEnvs;
    this.cores = Array.from({ length: numEnvs }, (_, e) => new EnvCore(makeSim(), { seed: deriveSeed(options.seed, e) }));
    this.sims = this.cores.map((core) => core.sim);
    this.ios = this.cores.map((core) => core.io);
    this.rngs = this.cores.map((core) => core.rng);
    const first = this.sims[0];
    this.agentNames = first.agentNames;
    this.numAgents = first.agentNames.length;
    this.actionCounts = first.actionCounts;
    this.stateSize = first.stateSize;
    const sets = options.viewSets ?? { teacher: [] };
    this.viewSetNames = Object.keys(sets);
    this.views = {};
    this.obs = {};
    this.finalObs = {};
    for (const set of this.viewSetNames) {
      const views = first.layouts.map(
        (layout, a) => new ObservationView(layout, sets[set][a] ?? {}, `${set} view of ${first.agentNames[a]}`),
      );
      this.views[set] = views;
      this.obs[set] = views.map((v) => new Float32Array(numEnvs * v.size));
      this.finalObs[set] = views.map((v) => new Float32Array(numEnvs * v.size));
    }
    this.masks = first.actionCounts.map((n) => new Uint8Array(numEnvs * n));
    this.states = new Float32Array(numEnvs * this.stateSize);
    this.finalStates = new Float32Array(numEnvs * this.stateSize);
    this.rewards = new Float32Array(numEnvs * this.numAgents);
    this.alive = new Uint8Array(numEnvs * this.numAgents);
    this.terminated = new Uint8Array(numEnvs);
    this.truncated = new Uint8Array(numEnvs);
  }

  /** Reset every env; seeds derive from `seed` (defaults to the constructor's). */
  reset(seed?: number): void {
    for (let e = 0; e < this.numEnvs; e++) {
      this.cores[e].reset(seed === undefined ? undefined : deriveSeed(seed, e));
      this.writeOutputs(e, this.obs, this.states);
    }
    this.terminated.fill(0);
    this.truncated.fill(0);
    this.finished.length = 0;
  }

  /**
   * Step every env with `actions` (numEnvs x numAgents). Actions must be valid under the current
   * masks: learners sample from masked distributions, so an invalid one is a bug and throws.
   */
  step(actions: Int32Array): void {
    const n = this.numAgents;
    this.finished.length = 0;
    for (let e = 0; e < this.numEnvs; e++) {
      const core = this.cores[e];
      try {
        for (let a = 0; a < n; a++) core.setAction(a, actions[e * n + a], 'strict');
      } catch (error) {
        if (error instanceof InvalidActionError) throw new Error(`env ${e}: ${error.message} (a learner must sample from the mask)`);
        throw error;
      }
      const ended = core.step();
      for (let a = 0; a < n; a++) this.rewards[e * n + a] = core.rewards[a];
      this.terminated[e] = core.terminated ? 1 : 0;
      this.truncated[e] = core.truncated ? 1 : 0;
      if (ended) {
        this.writeOutputs(e, this.finalObs, this.finalStates);
        const end = core.episodeEnd();
        this.finished.push({
          env: e,
          teamReturn: end.teamReturn,
          returns: Float32Array.from(end.returns),
          length: end.length,
          won: end.won,
          terminated: end.terminated,
          metrics: end.metrics,
        });
        core.reset();
      }
      this.writeOutputs(e, this.obs, this.states);
    }
  }

  private writeOutputs(e: number, obs: Record<string, Float32Array[]>, states: Float32Array): void {
    const sim = this.sims[e];
    const io = this.ios[e];
    const n = this.numAgents;
    for (let a = 0; a < n; a++) {
      const alive = sim.alive[a] === 1;
      this.alive[e * n + a] = alive ? 1 : 0;
      if (alive) sim.observe(a, io.raws[a]);
      for (const set of this.viewSetNames) {
        const view = this.views[set][a];
        view.write(io.raws[a], alive, obs[set][a], e * view.size);
      }
      const count = this.actionCounts[a];
      this.masks[a].set(io.masks.subarray(io.maskOffsets[a], io.maskOffsets[a] + count), e * count);
    }
    sim.writeState(states, e * this.stateSize);
  }
}
