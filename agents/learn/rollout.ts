import type { VecEnv, EpisodeSummary } from '../../server/env/vec-env.ts';
import type { Rng } from '../../shared/rng.ts';
import type { ActorCritic } from './actor-critic.ts';
import { RecurrentActor } from './recurrent-actor.ts';
import { computeGae } from './gae.ts';
import { sampleMasked } from './sampling.ts';
import type { ValueNorm } from './value-norm.ts';

/** The VecEnv view set of full (teacher) views: VecEnv's default set, and the one an 'agent_state' critic reads. */
export const FULL_VIEW_SET = 'teacher';

/**
 * One update's worth of experience. Per-agent arrays are time-major over columns
 * (column = env * numAgents + agent): index t * columns + column. Actor inputs and masks are kept
 * per group, row = (t * numEnvs + env) * groupSize + slot, ready to become training tensors.
 * Recurrent groups also keep, per chunk of `chunkLength` steps, each (env, slot)'s hidden state at
 * the chunk's first step, and per row a flag for the steps where an episode started.
 */
export class RolloutBuffer {
  readonly steps: number;
  readonly numEnvs: number;
  readonly numAgents: number;
  readonly columns: number;
  readonly groupInputs: Float32Array[];
  readonly groupMasks: Uint8Array[];
  readonly actions: Int32Array;
  readonly logp: Float32Array;
  readonly rewards: Float32Array;
  /** 1 where the agent was alive when it acted (MAPPO active masks). */
  readonly active: Uint8Array;
  readonly terminated: Uint8Array;
  readonly episodeEnd: Uint8Array;
  /** Critic values, denormalised (returns scale) and normalised (the critic's own scale). */
  readonly values: Float32Array;
  readonly valuesNorm: Float32Array;
  readonly nextValues: Float32Array;
  readonly advantages: Float32Array;
  readonly returns: Float32Array;
  /** Global states per (t, env) and the state seen at truncation per (t, env). */
  readonly states: Float32Array;
  readonly finalStates: Float32Array;
  readonly truncated: Uint8Array;
  readonly bootstrapStates: Float32Array;
  /**
   * 'agent_state' critics only (empty arrays otherwise), per agent: its full observation per
   * (t, env) at (t * numEnvs + env) * size, the one seen at truncation likewise, and the one after
   * the last step per env. The critic's bootstrap rows pair them with the states above.
   */
  readonly criticObs: Float32Array[];
  readonly finalCriticObs: Float32Array[];
  readonly bootstrapCriticObs: Float32Array[];
  /** Steps per recurrent training chunk (0: no recurrent group). */
  readonly chunkLength: number;
  /** Recurrent groups: hidden state at each chunk start, chunk index (c * numEnvs + env) * groupSize + slot; empty otherwise. */
  readonly groupChunkH0: Float32Array[];
  /** Recurrent groups: 1 where the row's step is the first of an episode (h was zeroed before it); empty otherwise. */
  readonly groupStarts: Uint8Array[];

  constructor(net: ActorCritic, steps: number, numEnvs: number, chunkLength = 0) {
    const n = net.shape.agentNames.length;
    this.steps = steps;
    this.numEnvs = numEnvs;
    this.numAgents = n;
    this.columns = numEnvs * n;
    const size = steps * this.columns;
    this.groupInputs = net.groups.map((g) => new Float32Array(steps * numEnvs * g.agents.length * g.inputSize));
    this.groupMasks = net.groups.map((g) => new Uint8Array(steps * numEnvs * g.agents.length * g.actionCount));
    this.actions = new Int32Array(size);
    this.logp = new Float32Array(size);
    this.rewards = new Float32Array(size);
    this.active = new Uint8Array(size);
    this.terminated = new Uint8Array(size);
    this.episodeEnd = new Uint8Array(size);
    this.values = new Float32Array(size);
    this.valuesNorm = new Float32Array(size);
    this.nextValues = new Float32Array(size);
    this.advantages = new Float32Array(size);
    this.returns = new Float32Array(size);
    const s = net.shape.stateSize;
    this.states = new Float32Array(steps * numEnvs * s);
    this.finalStates = new Float32Array(steps * numEnvs * s);
    this.truncated = new Uint8Array(steps * numEnvs);
    this.bootstrapStates = new Float32Array(numEnvs * s);
    const obsSizes = net.criticObservationSize > 0 ? net.criticObservationSizes : net.criticObservationSizes.map(() => 0);
    this.criticObs = obsSizes.map((size) => new Float32Array(steps * numEnvs * size));
    this.finalCriticObs = obsSizes.map((size) => new Float32Array(steps * numEnvs * size));
    this.bootstrapCriticObs = obsSizes.map((size) => new Float32Array(numEnvs * size));
    if (net.recurrent && (chunkLength <= 0 || steps % chunkLength !== 0)) throw new Error(`rollout of ${steps} steps cannot be cut into recurrent chunks of ${chunkLength}`);
    this.chunkLength = net.recurrent ? chunkLength : 0;
    this.groupChunkH0 = net.groups.map((g, gi) => {
      const actor = net.actors[gi];
      return actor instanceof RecurrentActor ? new Float32Array((steps / chunkLength) * numEnvs * g.agents.length * actor.hiddenSize) : new Float32Array(0);
    });
    this.groupStarts = net.groups.map((g, gi) => new Uint8Array(net.actors[gi] instanceof RecurrentActor ? steps * numEnvs * g.agents.length : 0));
  }

  /** Critic input rows of every (t, env, agent), row t * columns + env * numAgents + agent (targets and PPO share them). */
  writeCriticInputs(net: ActorCritic, out: Float32Array): void {
    const E = this.numEnvs;
    const N = this.numAgents;
    const S = net.shape.stateSize;
    const sizes = net.criticObservationSize > 0 ? net.criticObservationSizes : null;
    for (let t = 0; t < this.steps; t++) {
      for (let e = 0; e < E; e++) {
        const k = t * E + e;
        for (let a = 0; a < N; a++) net.writeCriticInput(a, this.states, k * S, this.criticObs[a], sizes ? k * sizes[a] : 0, out, t * this.columns + e * N + a);
      }
    }
  }
}

/**
 * What collection samples from: logits of actor group `group` for `rows` input rows. The tfjs
 * actors serve by default; a rollout worker passes a typed-array copy of them. `step` is the
 * recurrent form, which overwrites `hidden` with the next state.
 */
export type ActorStepper = {
  forward(group: number, input: Float32Array, rows: number): Float32Array;
  step(group: number, input: Float32Array, rows: number, hidden: Float32Array): Float32Array;
};

/** Normalised critic values of `rows` critic input rows (ActorCritic's critic by default). */
export type CriticForward = (input: Float32Array, rows: number) => Float32Array;

/** The tfjs actors of `net` as an ActorStepper. */
export function tfjsActors(net: ActorCritic): ActorStepper {
  return { forward: (g, input, rows) => net.actorForward(g, input, rows), step: (g, input, rows, hidden) => net.actorStep(g, input, rows, hidden) };
}

/** Scratch arrays for collection, allocated once per trainer. */
export class Collector {
  readonly net: ActorCritic;
  readonly actor: ActorStepper;
  readonly critic: CriticForward;
  readonly vec: VecEnv;
  readonly buffer: RolloutBuffer;
  private readonly stepInputs: Float32Array[];
  private readonly stepMasks: Uint8Array[];
  private readonly stepLogp: Float32Array[];
  private readonly actions: Int32Array;
  private readonly criticInput: Float32Array;
  /** Bootstrap critic rows (after the last step, then truncations); grown to the largest rollout's need. */
  private extraInput = new Float32Array(0);
  /** Per agent, the full observations an 'agent_state' critic reads (null for a 'state' critic). */
  private readonly criticObsSource: Float32Array[] | null;
  private readonly criticFinalObsSource: Float32Array[] | null;
  /** Recurrent groups: each (env, slot)'s hidden state, row env * groupSize + slot; kept across updates. */
  private readonly hidden: Float32Array[];
  /** Per env: 1 when its next step is the first of an episode. */
  private readonly episodeStart: Uint8Array;

  constructor(net: ActorCritic, vec: VecEnv, steps: number, recurrentChunk = 0, nets: { actor?: ActorStepper; critic?: CriticForward } = {}) {
    this.net = net;
    this.actor = nets.actor ?? tfjsActors(net);
    this.critic = nets.critic ?? ((input, rows) => net.criticForward(input, rows));
    this.vec = vec;
    this.buffer = new RolloutBuffer(net, steps, vec.numEnvs, recurrentChunk);
    const e = vec.numEnvs;
    this.stepInputs = net.groups.map((g) => new Float32Array(e * g.agents.length * g.inputSize));
    this.stepMasks = net.groups.map((g) => new Uint8Array(e * g.agents.length * g.actionCount));
    this.stepLogp = net.groups.map((g) => new Float32Array(e * g.agents.length));
    this.actions = new Int32Array(e * vec.numAgents);
    this.criticInput = new Float32Array(steps * this.buffer.columns * net.criticInputSize);
    if (net.criticObservationSize > 0) {
      const full = vec.obs[FULL_VIEW_SET];
      if (!full) throw new Error(`the 'agent_state' critic needs every agent's full observation, but the VecEnv has no '${FULL_VIEW_SET}' view set (sets: ${vec.viewSetNames.join(', ')})`);
      vec.views[FULL_VIEW_SET].forEach((view, a) => {
        if (view.size !== net.criticObservationSizes[a]) throw new Error(`the 'agent_state' critic expects ${net.criticObservationSizes[a]} observation values for ${net.shape.agentNames[a]}, the VecEnv's '${FULL_VIEW_SET}' view has ${view.size}`);
      });
      this.criticObsSource = full;
      this.criticFinalObsSource = vec.finalObs[FULL_VIEW_SET];
    } else {
      this.criticObsSource = null;
      this.criticFinalObsSource = null;
    }
    this.hidden = net.groups.map((g, gi) => {
      const actor = net.actors[gi];
      return new Float32Array(actor instanceof RecurrentActor ? e * g.agents.length * actor.hiddenSize : 0);
    });
    // The envs come freshly reset: every first step starts an episode.
    this.episodeStart = new Uint8Array(e).fill(1);
  }

  /**
   * Step the envs `steps` times sampling from the actors, then compute values, bootstrap targets
   * and GAE. Finished episodes are appended to `episodes`.
   */
  collect(rng: Rng, valueNorm: ValueNorm, gamma: number, lambda: number, episodes: EpisodeSummary[]): void {
    this.collectSteps(rng, episodes);
    this.computeTargets(valueNorm, gamma, lambda);
  }

  /**
   * Step the envs `steps` times sampling from the actors, filling the buffer's experience (inputs,
   * masks, actions, behaviour log-probabilities, rewards, ends, states) but not its values or
   * targets. Finished episodes are appended to `episodes`.
   */
  collectSteps(rng: Rng, episodes: EpisodeSummary[]): void {
    const { net, vec, buffer } = this;
    const E = vec.numEnvs;
    const N = vec.numAgents;
    const C = buffer.columns;
    const S = net.shape.stateSize;
    const obs = vec.obs[vec.viewSetNames[0]];
    const criticObs = this.criticObsSource;
    const criticFinalObs = this.criticFinalObsSource;
    const criticSizes = net.criticObservationSizes;
    for (let t = 0; t < buffer.steps; t++) {
      buffer.states.set(vec.states, t * E * S);
      if (criticObs) for (let a = 0; a < N; a++) buffer.criticObs[a].set(criticObs[a], t * E * criticSizes[a]);
      for (let gi = 0; gi < net.groups.length; gi++) {
        const g = net.groups[gi];
        const k = g.agents.length;
        const input = this.stepInputs[gi];
        const masks = this.stepMasks[gi];
        for (let e = 0; e < E; e++) {
          for (let slot = 0; slot < k; slot++) {
            const a = g.agents[slot];
            const row = e * k + slot;
            net.writeActorInput(a, obs[a], e * g.observationSize, input, row);
            masks.set(vec.masks[a].subarray(e * g.actionCount, (e + 1) * g.actionCount), row * g.actionCount);
          }
        }
        let logits: Float32Array;
        const hidden = this.hidden[gi];
        if (hidden.length > 0) {
          const L = buffer.chunkLength;
          if (t % L === 0) buffer.groupChunkH0[gi].set(hidden, (t / L) * hidden.length);
          const starts = buffer.groupStarts[gi];
          for (let e = 0; e < E; e++) starts.fill(this.episodeStart[e], (t * E + e) * k, (t * E + e + 1) * k);
          logits = this.actor.step(gi, input, E * k, hidden);
        } else {
          logits = this.actor.forward(gi, input, E * k);
        }
        const logp = this.stepLogp[gi];
        for (let e = 0; e < E; e++) {
          for (let slot = 0; slot < k; slot++) {
            const a = g.agents[slot];
            const row = e * k + slot;
            const action = sampleMasked(logits, masks, row, g.actionCount, rng.uniform(), logp, row);
            this.actions[e * N + a] = action;
            const i = t * C + e * N + a;
            buffer.actions[i] = action;
            buffer.logp[i] = logp[row];
            buffer.active[i] = vec.alive[e * N + a];
          }
        }
        buffer.groupInputs[gi].set(input, t * E * k * g.inputSize);
        buffer.groupMasks[gi].set(masks, t * E * k * g.actionCount);
      }
      vec.step(this.actions);
      for (let e = 0; e < E; e++) {
        const ended = vec.terminated[e] === 1 || vec.truncated[e] === 1 ? 1 : 0;
        this.episodeStart[e] = ended;
        if (ended) {
          // The env has auto-reset: its agents start the next episode with no memory.
          for (let gi = 0; gi < this.hidden.length; gi++) {
            const width = this.hidden[gi].length / E;
            if (width > 0) this.hidden[gi].fill(0, e * width, (e + 1) * width);
          }
        }
        buffer.truncated[t * E + e] = vec.truncated[e];
        if (vec.truncated[e] === 1) {
          buffer.finalStates.set(vec.finalStates.subarray(e * S, (e + 1) * S), (t * E + e) * S);
          if (criticFinalObs) {
            for (let a = 0; a < N; a++) {
              const size = criticSizes[a];
              buffer.finalCriticObs[a].set(criticFinalObs[a].subarray(e * size, (e + 1) * size), (t * E + e) * size);
            }
          }
        }
        for (let a = 0; a < N; a++) {
          const i = t * C + e * N + a;
          buffer.rewards[i] = vec.rewards[e * N + a];
          buffer.terminated[i] = vec.terminated[e];
          buffer.episodeEnd[i] = ended;
        }
      }
      for (const ep of vec.finished) episodes.push(ep);
    }
    buffer.bootstrapStates.set(vec.states);
    if (criticObs) for (let a = 0; a < N; a++) buffer.bootstrapCriticObs[a].set(criticObs[a]);
  }

  /** Values of every (t, env, agent), of the bootstrap and truncation states, then GAE. */
  computeTargets(valueNorm: ValueNorm, gamma: number, lambda: number): void {
    const { net, buffer } = this;
    const T = buffer.steps;
    const E = buffer.numEnvs;
    const N = buffer.numAgents;
    const C = buffer.columns;
    const S = net.shape.stateSize;
    const input = this.criticInput;
    buffer.writeCriticInputs(net, input);
    const valuesNorm = this.critic(input, T * C);
    buffer.valuesNorm.set(valuesNorm);
    valueNorm.denormalize(valuesNorm, buffer.values);

    // Bootstrap rows: the states (and observations) after the last step, then every truncation's.
    const truncations: number[] = [];
    for (let k = 0; k < T * E; k++) if (buffer.truncated[k] === 1) truncations.push(k);
    const extraStates = E + truncations.length;
    const extraLength = extraStates * N * net.criticInputSize;
    if (this.extraInput.length < extraLength) this.extraInput = new Float32Array(extraLength);
    const extra = this.extraInput;
    const sizes = net.criticObservationSize > 0 ? net.criticObservationSizes : null;
    let row = 0;
    for (let e = 0; e < E; e++) for (let a = 0; a < N; a++) net.writeCriticInput(a, buffer.bootstrapStates, e * S, buffer.bootstrapCriticObs[a], sizes ? e * sizes[a] : 0, extra, row++);
    for (const k of truncations) for (let a = 0; a < N; a++) net.writeCriticInput(a, buffer.finalStates, k * S, buffer.finalCriticObs[a], sizes ? k * sizes[a] : 0, extra, row++);
    const extraValues = valueNorm.denormalize(this.critic(extra.subarray(0, extraLength), extraStates * N));
    const finalValueRow = new Map<number, number>();
    truncations.forEach((k, j) => finalValueRow.set(k, (E + j) * N));

    for (let t = 0; t < T; t++) {
      for (let e = 0; e < E; e++) {
        const k = t * E + e;
        for (let a = 0; a < N; a++) {
          const i = t * C + e * N + a;
          let next: number;
          if (buffer.truncated[k] === 1) next = extraValues[finalValueRow.get(k)! + a];
          else if (buffer.episodeEnd[i] === 1) next = 0;
          else next = t + 1 < T ? buffer.values[i + C] : extraValues[e * N + a];
          buffer.nextValues[i] = next;
        }
      }
    }
    computeGae(
      { steps: T, columns: C, rewards: buffer.rewards, values: buffer.values, nextValues: buffer.nextValues, terminated: buffer.terminated, episodeEnd: buffer.episodeEnd, gamma, lambda },
      buffer.advantages,
      buffer.returns,
    );
  }
}
