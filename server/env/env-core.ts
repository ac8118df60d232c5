import { Rng } from '../../shared/rng.ts';
import type { ViewSpec } from '../../shared/view-spec.ts';
import type { Fallback } from '../../shared/handshake-protocol.ts';
import type { Simulation } from './simulation.ts';
import type { EpisodeMetrics } from './episode-metrics.ts';
import { AgentIO, InvalidActionError, type ActionPolicy } from './agent-io.ts';

/** How an episode ended: what training, evaluation and the server count. */
export type EpisodeReport = {
  /** Team return: the mean over agents of each agent's undiscounted return. */
  teamReturn: number;
  /** Per-agent undiscounted returns (a copy). */
  returns: Float64Array;
  length: number;
  /** Ended by the scenario's rules; false when the step limit cut it. */
  terminated: boolean;
  /** A win needs a termination: a timeout is a loss. */
  won: boolean;
  /** The scenario's own measures at the last step (Simulation.episodeMetrics). */
  metrics: EpisodeMetrics;
};

export type EnvCoreOptions = {
  /** Per-agent views for `io` (observations); absent: every agent's full view. */
  views?: readonly (ViewSpec | undefined)[];
  /** Seed of the env's random stream until `reset(seed)` gives another. Default 0. */
  seed?: number;
  /** What a late, missing or replaced action becomes: the scenario's default ('stop'), or the last action while it is still allowed ('hold'). */
  fallback?: Fallback;
};

/**
 * The one env step every loop goes through (the PettingZoo-style env, the vectorised env,
 * evaluation and the server's world): actions queued and checked against the masks, fallbacks,
 * the physics step, masks refreshed, per-agent returns, termination versus truncation, and the
 * episode's end report. Allocation-free per step; the caller decides when to reset.
 */
export class EnvCore {
  readonly sim: Simulation;
  readonly io: AgentIO;
  readonly agentCount: number;
  readonly rng: Rng;
  readonly fallback: Fallback;
  /** The actions the next `step` applies. Write them with `setAction` (checked) or `setFallback`. */
  readonly actions: Int32Array;
  /** Per agent, 1 when its queued action replaced an invalid one (lenient checking). */
  readonly replaced: Uint8Array;
  /** The actions applied by the last step (the fallbacks after a reset): what 'hold' repeats. */
  readonly lastActions: Int32Array;
  /** Rewards of the last step. */
  readonly rewards: Float32Array;
  /** Undiscounted per-agent returns of the episode so far. */
  readonly returns: Float64Array;
  /** Set by the last step: the episode ended by its rules. */
  terminated = false;
  /** Set by the last step: the episode reached its step limit without terminating. */
  truncated = false;

  constructor(sim: Simulation, options: EnvCoreOptions = {}) {
    this.sim = sim;
    this.io = new AgentIO(sim, options.views);
    this.agentCount = sim.agentNames.length;
    this.rng = new Rng(options.seed ?? 0);
    this.fallback = options.fallback ?? 'stop';
    this.actions = new Int32Array(this.agentCount);
    this.replaced = new Uint8Array(this.agentCount);
    this.lastActions = new Int32Array(this.agentCount);
    this.rewards = new Float32Array(this.agentCount);
    this.returns = new Float64Array(this.agentCount);
  }

  /** The episode is over (terminated or truncated): `reset` before stepping again. */
  get done(): boolean {
    return this.terminated || this.truncated;
  }

  /** Start an episode; with a seed, the random stream restarts from it, else it continues. */
  reset(seed?: number): void {
    if (seed !== undefined) this.rng.seed(seed);
    this.sim.reset(this.rng);
    this.io.refreshMasks();
    this.io.invalidCounts.fill(0);
    this.returns.fill(0);
    this.replaced.fill(0);
    this.rewards.fill(0);
    this.terminated = false;
    this.truncated = false;
    for (let i = 0; i < this.agentCount; i++) this.lastActions[i] = this.io.fallbackAction(i);
  }

  /** The action agent i gets when its own is late, missing or invalid. */
  fallbackAction(i: number): number {
    if (this.fallback === 'hold') {
      const last = this.lastActions[i];
      if (this.io.isAllowed(i, last)) return last;
    }
    return this.io.fallbackAction(i);
  }

  /**
   * Queue agent i's action for the next step, checked against its current mask. An invalid one
   * throws (strict: InvalidActionError naming the agent) or is replaced by the fallback and
   * counted (lenient). Returns false when it was replaced.
   */
  setAction(i: number, action: unknown, policy: ActionPolicy): boolean {
    if (typeof action === 'number' && this.io.isAllowed(i, action)) {
      this.actions[i] = action;
      this.replaced[i] = 0;
      return true;
    }
    if (policy === 'strict') throw new InvalidActionError(this.sim.agentNames[i], action, this.io.invalidReason(i, action));
    this.io.invalidCounts[i]++;
    this.actions[i] = this.fallbackAction(i);
    this.replaced[i] = 1;
    return false;
  }

  /** Queue agent i's fallback (a late or missing answer: not counted as invalid). */
  setFallback(i: number): void {
    this.actions[i] = this.fallbackAction(i);
    this.replaced[i] = 0;
  }

  /** Advance one step with the queued actions. Returns true when this step ended the episode. */
  step(): boolean {
    if (this.terminated || this.truncated) throw new Error('step() after the episode ended: call reset()');
    const sim = this.sim;
    sim.step(this.actions, this.rewards);
    // Plain loops: TypedArray.set costs more than it saves on a handful of agents.
    for (let i = 0; i < this.agentCount; i++) {
      this.lastActions[i] = this.actions[i];
      this.returns[i] += this.rewards[i];
    }
    this.io.refreshMasks();
    this.terminated = sim.terminated;
    this.truncated = !this.terminated && sim.t >= sim.maxSteps;
    return this.terminated || this.truncated;
  }

  /** The report of the episode as it stands (call when `done`). */
  episodeEnd(): EpisodeReport {
    let sum = 0;
    for (let i = 0; i < this.agentCount; i++) sum += this.returns[i];
    return {
      teamReturn: sum / this.agentCount,
      returns: this.returns.slice(),
      length: this.sim.t,
      terminated: this.terminated,
      won: this.terminated && this.sim.won,
      metrics: this.sim.episodeMetrics(),
    };
  }
}
