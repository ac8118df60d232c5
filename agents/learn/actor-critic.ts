import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../shared/rng.ts';
import { POLICY_FORMAT, POLICY_FORMAT_VERSION, type PolicyFile } from '../../shared/model-format.ts';
import { Mlp } from './mlp.ts';
import { RecurrentActor } from './recurrent-actor.ts';
import type { DenseMode } from './dense.ts';
import type { ViewSpec } from '../../shared/view-spec.ts';

/** The shape of a scenario that the networks depend on. */
export type ScenarioShape = {
  agentNames: readonly string[];
  observationSizes: readonly number[];
  actionCounts: readonly number[];
  stateSize: number;
};

/**
 * Agents sharing one actor: same observation size and action count (a unit type, or a whole
 * homogeneous team). `idSize` > 0 when the net is shared: the agent's index in the group is
 * appended as a one-hot after its observation.
 */
export type ActorGroup = {
  name: string;
  agents: number[];
  observationSize: number;
  actionCount: number;
  idSize: number;
  inputSize: number;
};

export function makeGroups(shape: ScenarioShape, share: boolean): ActorGroup[] {
  const byKey = new Map<string, number[]>();
  shape.agentNames.forEach((_, a) => {
    const key = share ? `${shape.observationSizes[a]}x${shape.actionCounts[a]}` : `agent${a}`;
    const list = byKey.get(key) ?? [];
    list.push(a);
    byKey.set(key, list);
  });
  const groups: ActorGroup[] = [];
  const used = new Set<string>();
  for (const agents of byKey.values()) {
    const a0 = agents[0];
    const idSize = agents.length > 1 ? agents.length : 0;
    let name = byKey.size === 1 ? 'shared' : commonStem(agents.map((a) => shape.agentNames[a]));
    if (!name || used.has(name)) name = `group${groups.length}`;
    used.add(name);
    groups.push({ name, agents, observationSize: shape.observationSizes[a0], actionCount: shape.actionCounts[a0], idSize, inputSize: shape.observationSizes[a0] + idSize });
  }
  return groups;
}

/** 'speaker_0' -> 'speaker'; names of one stem give that stem, else ''. */
function commonStem(names: string[]): string {
  const stems = new Set(names.map((n) => n.replace(/_\d+$/, '')));
  return stems.size === 1 ? [...stems][0] : '';
}

export type ActorCriticOptions = {
  actorHidden: readonly number[];
  criticHidden: readonly number[];
  layerNorm: boolean;
  shareActor: boolean;
  denseMode: DenseMode;
  seed: number;
  /** Per-agent actor hidden sizes (unshared actors of different sizes: the from-scratch students). */
  perAgentHidden?: readonly (readonly number[])[];
  /** Per-agent views written into the exported policy (absent: the full view). */
  views?: readonly ViewSpec[];
  /** GRU actors (MAPPO's rMAPPO) instead of MLPs. */
  recurrent?: boolean;
  /** What the critic sees besides the agent one-hot (absent: 'state'); see CriticInput. */
  criticInput?: CriticInput;
  /**
   * Per-agent full (teacher) observation sizes, the observations an 'agent_state' critic sees.
   * Absent: `shape.observationSizes` (right whenever the actors see full views).
   */
  criticObservationSizes?: readonly number[];
};

/**
 * 'state': global state ++ agent one-hot. 'agent_state': MAPPO's agent-specific global state
 * (Yu et al. 2022, "AS"): global state ++ the agent's own full observation, zero-padded to the
 * widest agent's so one critic serves every agent, ++ agent one-hot.
 */
export type CriticInput = 'state' | 'agent_state';

/** An actor network: feed-forward, or recurrent (its state is passed in and out by the caller). */
export type Actor = Mlp | RecurrentActor;

/**
 * MAPPO's networks: one actor per group over (observation + agent-id one-hot), and one
 * centralized critic over (global state [+ the agent's own full observation, for 'agent_state']
 * + agent-id one-hot over all agents) giving a normalised value.
 * With `recurrent` the actors are GRUs; the critic stays an MLP, as it sees the full global state
 * and has nothing a memory would add there.
 */
export class ActorCritic {
  readonly shape: ScenarioShape;
  readonly groups: ActorGroup[];
  readonly actors: Actor[];
  readonly recurrent: boolean;
  readonly critic: Mlp;
  /** Width of the observation part of a critic row (0 for 'state'): the widest full view. */
  readonly criticObservationSize: number;
  /** Full observation size per agent (what `writeCriticInput` copies for 'agent_state'). */
  readonly criticObservationSizes: readonly number[];
  readonly criticInputSize: number;
  /** For each agent: its group index and its index inside the group. */
  readonly agentGroup: Int32Array;
  readonly agentSlot: Int32Array;

  readonly views: readonly ViewSpec[] | undefined;

  constructor(shape: ScenarioShape, options: ActorCriticOptions) {
    if (options.perAgentHidden && options.shareActor) throw new Error('per-agent actor sizes need unshared actors (shareActor false)');
    if (options.perAgentHidden && options.recurrent) throw new Error('per-agent actor sizes (student views) have no recurrent form');
    this.shape = shape;
    this.recurrent = options.recurrent === true;
    this.views = options.views;
    this.groups = makeGroups(shape, options.shareActor);
    const rng = new Rng(options.seed ^ 0x5eed);
    this.actors = this.groups.map((g): Actor =>
      this.recurrent
        ? new RecurrentActor([g.inputSize, ...options.actorHidden, g.actionCount], { layerNorm: options.layerNorm, rng, denseMode: options.denseMode, name: `actor_${g.name}` })
        : new Mlp([g.inputSize, ...(options.perAgentHidden?.[g.agents[0]] ?? options.actorHidden), g.actionCount], { layerNorm: options.layerNorm, outputGain: 0.01, rng, denseMode: options.denseMode, name: `actor_${g.name}` }),
    );
    const n = shape.agentNames.length;
    const criticInput = options.criticInput ?? 'state';
    this.criticObservationSizes = [...(options.criticObservationSizes ?? shape.observationSizes)];
    if (this.criticObservationSizes.length !== n) throw new Error(`criticObservationSizes has ${this.criticObservationSizes.length} entries for ${n} agents`);
    this.criticObservationSize = criticInput === 'agent_state' ? Math.max(...this.criticObservationSizes) : 0;
    this.criticInputSize = shape.stateSize + this.criticObservationSize + n;
    this.critic = new Mlp([this.criticInputSize, ...options.criticHidden, 1], { layerNorm: options.layerNorm, outputGain: 1, rng, denseMode: options.denseMode, name: 'critic' });
    this.agentGroup = new Int32Array(n);
    this.agentSlot = new Int32Array(n);
    this.groups.forEach((g, gi) => g.agents.forEach((a, slot) => {
      this.agentGroup[a] = gi;
      this.agentSlot[a] = slot;
    }));
  }

  groupIndex(name: string): number {
    const i = this.groups.findIndex((g) => g.name === name);
    if (i < 0) throw new Error(`no actor group '${name}' (groups: ${this.groups.map((g) => g.name).join(', ')})`);
    return i;
  }

  /** Copy agent `agent`'s observation into `out` at row `row` of a group input batch, with its id one-hot. */
  writeActorInput(agent: number, observation: Float32Array, obsOffset: number, out: Float32Array, row: number): void {
    const g = this.groups[this.agentGroup[agent]];
    const base = row * g.inputSize;
    out.set(observation.subarray(obsOffset, obsOffset + g.observationSize), base);
    if (g.idSize > 0) {
      out.fill(0, base + g.observationSize, base + g.inputSize);
      out[base + g.observationSize + this.agentSlot[agent]] = 1;
    }
  }

  /**
   * The one layout of a critic input row: the state at `stateOffset` of `states`, then (for
   * 'agent_state') agent `agent`'s full observation at `observationOffset` of `observations`,
   * zero-padded to `criticObservationSize`, then the agent's one-hot. A 'state' critic ignores
   * the observation arguments.
   */
  writeCriticInput(agent: number, states: Float32Array, stateOffset: number, observations: Float32Array, observationOffset: number, out: Float32Array, row: number): void {
    const s = this.shape.stateSize;
    const base = row * this.criticInputSize;
    // Plain loops: called for every (step, env, agent) row, and subarray views would allocate.
    for (let i = 0; i < s; i++) out[base + i] = states[stateOffset + i];
    let at = base + s;
    if (this.criticObservationSize > 0) {
      const size = this.criticObservationSizes[agent];
      if (observationOffset + size > observations.length) {
        throw new Error(`writeCriticInput: ${this.shape.agentNames[agent]}'s observation (${size} values at ${observationOffset}) lies outside its array of ${observations.length} (an 'agent_state' critic needs the agent's full observation)`);
      }
      for (let i = 0; i < size; i++) out[at + i] = observations[observationOffset + i];
      at += size;
    }
    out.fill(0, at, base + this.criticInputSize);
    out[base + s + this.criticObservationSize + agent] = 1;
  }

  /** Logits (or last hidden activations) of feed-forward group `g` for `rows` inputs; plain arrays in and out. */
  actorForward(g: number, input: Float32Array, rows: number, hidden = false): Float32Array {
    const actor = this.actors[g];
    if (actor instanceof RecurrentActor) throw new Error(`actorForward: actor '${this.groups[g].name}' is recurrent (use actorStep with its hidden state)`);
    return tf.tidy(() => actor.apply(tf.tensor2d(input, [rows, actor.inputSize]), hidden).dataSync() as Float32Array);
  }

  /**
   * One step of recurrent group `g` for `rows` inputs: returns the logits and overwrites `hidden`
   * (rows x hiddenSize, the state each row starts from) with the next state.
   */
  actorStep(g: number, input: Float32Array, rows: number, hidden: Float32Array): Float32Array {
    const actor = this.actors[g];
    if (!(actor instanceof RecurrentActor)) throw new Error(`actorStep: actor '${this.groups[g].name}' is not recurrent`);
    return tf.tidy(() => {
      const out = actor.step(tf.tensor2d(input, [rows, actor.inputSize]), tf.tensor2d(hidden, [rows, actor.hiddenSize]));
      hidden.set(out.h.dataSync() as Float32Array);
      return out.logits.dataSync() as Float32Array;
    });
  }

  /** Normalised critic values for `rows` critic inputs. */
  criticForward(input: Float32Array, rows: number): Float32Array {
    return tf.tidy(() => this.critic.apply(tf.tensor2d(input, [rows, this.criticInputSize])).dataSync() as Float32Array);
  }

  /** The actors in the deployed format; the critic is never exported. */
  toPolicyFile(scenario: string, producedBy: string, role = 'teacher'): PolicyFile {
    const nets: PolicyFile['nets'] = {};
    this.groups.forEach((g, gi) => {
      nets[g.name] = this.actors[gi].toPolicyNet();
    });
    const agents: PolicyFile['agents'] = {};
    this.shape.agentNames.forEach((name, a) => {
      const g = this.groups[this.agentGroup[a]];
      agents[name] = { net: g.name, view: this.views?.[a] ?? {}, ...(g.idSize > 0 ? { agentId: { index: this.agentSlot[a], size: g.idSize } } : {}) };
    });
    return { format: POLICY_FORMAT, version: POLICY_FORMAT_VERSION, scenario, role, producedBy, agents, nets };
  }

  /** Every net's weights by a stable key ('actor/<group>', 'critic'). */
  getWeights(): Record<string, Float32Array[]> {
    const out: Record<string, Float32Array[]> = {};
    this.groups.forEach((g, gi) => {
      out[`actor/${g.name}`] = this.actors[gi].getWeights();
    });
    out.critic = this.critic.getWeights();
    return out;
  }

  setWeights(weights: Record<string, Float32Array[]>, where: string): void {
    this.groups.forEach((g, gi) => {
      const w = weights[`actor/${g.name}`];
      if (!w) throw new Error(`${where}: no weights for actor '${g.name}' (has: ${Object.keys(weights).join(', ')})`);
      this.actors[gi].setWeights(w, `${where}: actor/${g.name}`);
    });
    if (!weights.critic) throw new Error(`${where}: no critic weights`);
    this.critic.setWeights(weights.critic, `${where}: critic`);
  }

  dispose(): void {
    for (const a of this.actors) a.dispose();
    this.critic.dispose();
  }
}
