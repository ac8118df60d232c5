import type * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../shared/rng.ts';
import type { Adam } from '../learn/adam.ts';
import { computeGae } from '../learn/gae.ts';
import type { DistillConfig } from './config.ts';
import type { DistillTeacher } from './teacher-pair.ts';
import { assignKMeans, fitKMeans } from './kmeans.ts';
import { compositeLoss, disposeTensors, headsInUse, readParts, relationMatricesPlain, toTensors, type AgentBatch, type DistillBatch, type LossParts } from './losses.ts';
import type { StudentPlan } from './student-plan.ts';
import type { StudentTeam } from './student-team.ts';

/**
 * What the students did: T steps of E parallel worlds, row = t * E + e. Offline distillation
 * fills it from the in-process VecEnv (E envs); online distillation from the supervisor stream of
 * the networked world (E = 1). Everything after collection is shared: `distillUpdate`.
 */
export class StudentRollout {
  readonly steps: number;
  readonly envs: number;
  readonly rows: number;
  readonly numAgents: number;
  readonly stateSize: number;
  readonly studentObs: Float32Array[];
  readonly teacherObs: Float32Array[];
  readonly masks: Uint8Array[];
  readonly actions: Int32Array[];
  /** log pi_S(a_t | o_t) of the policy that acted. */
  readonly logp: Float32Array[];
  /** 1 where the agent was alive and its own action was applied. */
  readonly active: Uint8Array[];
  /** Per row, 1 where the students acted greedily (not sampled): L_PG skips the row. */
  readonly greedy: Uint8Array;
  readonly states: Float32Array;
  /** State after a truncating step (bootstrap); rows where truncated = 1. */
  readonly finalStates: Float32Array;
  readonly truncated: Uint8Array;
  /** Per row and agent (row * N + a). */
  readonly rewards: Float32Array;
  readonly terminated: Uint8Array;
  readonly episodeEnd: Uint8Array;
  /** The states after the last step, one per env (bootstrap of unfinished episodes). */
  readonly bootstrapStates: Float32Array;
  /**
   * Per agent, full (teacher) observations paired with `finalStates` (rows where truncated = 1)
   * and with `bootstrapStates` (one per env): an 'agent_state' teacher critic reads them.
   */
  readonly finalTeacherObs: Float32Array[];
  readonly bootstrapTeacherObs: Float32Array[];

  constructor(plans: readonly StudentPlan[], teacherSizes: readonly number[], stateSize: number, steps: number, envs: number) {
    this.steps = steps;
    this.envs = envs;
    this.rows = steps * envs;
    this.numAgents = plans.length;
    this.stateSize = stateSize;
    const rows = this.rows;
    this.studentObs = plans.map((p) => new Float32Array(rows * p.observationSize));
    this.teacherObs = teacherSizes.map((size) => new Float32Array(rows * size));
    this.masks = plans.map((p) => new Uint8Array(rows * p.actionCount));
    this.actions = plans.map(() => new Int32Array(rows));
    this.logp = plans.map(() => new Float32Array(rows));
    this.active = plans.map(() => new Uint8Array(rows));
    this.greedy = new Uint8Array(rows);
    this.states = new Float32Array(rows * stateSize);
    this.finalStates = new Float32Array(rows * stateSize);
    this.truncated = new Uint8Array(rows);
    this.rewards = new Float32Array(rows * plans.length);
    this.terminated = new Uint8Array(rows * plans.length);
    this.episodeEnd = new Uint8Array(rows * plans.length);
    this.bootstrapStates = new Float32Array(envs * stateSize);
    this.finalTeacherObs = teacherSizes.map((size) => new Float32Array(rows * size));
    this.bootstrapTeacherObs = teacherSizes.map((size) => new Float32Array(envs * size));
  }
}

export type DistillContext = {
  teacher: DistillTeacher;
  team: StudentTeam;
  adam: Adam;
  plans: readonly StudentPlan[];
  config: DistillConfig;
  rng: Rng;
  /** k-means role centroids, fitted on the first update and kept (checkpointed) after. */
  centroids: Float32Array | null;
};

export type UpdateStats = LossParts & { gradNorm: number };

/**
 * One distillation update on a rollout: the frozen teacher's logits, hidden states and critic
 * values on the same steps; teacher-guided GAE (no student critic); roles and relation targets;
 * then `epochs` passes of the composite loss over minibatches of time steps.
 */
export function distillUpdate(ctx: DistillContext, r: StudentRollout): UpdateStats {
  const { teacher, team, adam, plans, config, rng } = ctx;
  const N = r.numAgents;
  const rows = r.rows;
  const E = r.envs;
  const T = r.steps;

  // Teacher hidden states and relation targets only where the loss uses them (L_SR needs 3+ agents).
  const heads = headsInUse(config, N);
  const teacherLogits: Float32Array[] = [];
  const teacherHidden: Float32Array[] = [];
  for (let a = 0; a < N; a++) {
    teacherLogits.push(teacher.logits(a, r.teacherObs[a], rows));
    if (heads.relations || (heads.roles && config.roles === 'kmeans')) teacherHidden.push(teacher.hidden(a, r.teacherObs[a], rows));
  }

  const policyRows = policyGradientRows(r.active, r.greedy);
  // delta_t = r_t + gamma V_T(s_{t+1}) (1 - terminated_t) - V_T(s_t), cut at episode ends
  const advantages = plans.map(() => new Float32Array(rows));
  if (config.teacherGae && config.wPg > 0) {
    const values = new Float32Array(rows * N);
    const nextValues = new Float32Array(rows * N);
    for (let a = 0; a < N; a++) {
      const v = teacher.values(a, r.states, rows, r.teacherObs[a]);
      const vFinal = teacher.values(a, r.finalStates, rows, r.finalTeacherObs[a]);
      const vBoot = teacher.values(a, r.bootstrapStates, E, r.bootstrapTeacherObs[a]);
      for (let row = 0; row < rows; row++) {
        values[row * N + a] = v[row];
        const e = row % E;
        const t = (row - e) / E;
        if (r.truncated[row] === 1) nextValues[row * N + a] = vFinal[row];
        else if (t + 1 < T) nextValues[row * N + a] = v[row + E];
        else nextValues[row * N + a] = vBoot[e];
      }
    }
    const adv = new Float32Array(rows * N);
    const returns = new Float32Array(rows * N);
    computeGae({ steps: T, columns: E * N, rewards: r.rewards, values, nextValues, terminated: r.terminated, episodeEnd: r.episodeEnd, gamma: config.gamma, lambda: config.gaeLambda }, adv, returns);
    normalizeAdvantages(adv, policyRows, advantages);
  }

  const roles = plans.map(() => new Int32Array(rows));
  if (heads.roles) {
    if (config.roles === 'type') {
      const types = [...new Set(plans.map((p) => p.type))];
      plans.forEach((p, a) => roles[a].fill(types.indexOf(p.type)));
    } else {
      ctx.centroids ??= fitKMeans(sampleLiveRows(teacherHidden, r.active, teacher.hiddenSize, 4096, rng), teacher.hiddenSize, config.numRoles, rng);
      for (let a = 0; a < N; a++) assignKMeans(teacherHidden[a], teacher.hiddenSize, ctx.centroids, config.numRoles, roles[a]);
    }
  }
  const relationTarget = new Float32Array(rows * N * N);
  const pairMask = new Float32Array(rows * N * N);
  if (heads.relations) relationMatricesPlain(teacherHidden, teacher.hiddenSize, rows, (row, a) => r.active[a][row] === 1, relationTarget, pairMask);

  const batch: DistillBatch = {
    rows,
    agents: plans.map(
      (_, a): AgentBatch => ({
        observations: r.studentObs[a],
        masks: r.masks[a],
        actions: r.actions[a],
        oldLogp: r.logp[a],
        advantages: advantages[a],
        active: r.active[a],
        policyRows: policyRows[a],
        teacherLogits: teacherLogits[a],
        roles: roles[a],
      }),
    ),
    relationTarget,
    pairMask,
  };

  const settings = { ...config, wPg: config.teacherGae ? config.wPg : 0 };
  let last: LossParts = { total: Number.NaN, pg: Number.NaN, kl: Number.NaN, ce: Number.NaN, sr: Number.NaN, ra: Number.NaN, entropy: Number.NaN, agreement: Number.NaN };
  let gradNorm = 0;
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    const order = rng.permutation(rows);
    const size = Math.ceil(rows / config.minibatches);
    for (let m = 0; m < config.minibatches; m++) {
      const index = order.subarray(m * size, Math.min(rows, (m + 1) * size));
      if (index.length === 0) continue;
      const tensors = toTensors(batch, team, settings, index);
      const parts: tf.Scalar[] = [];
      const result = adam.minimize(() => compositeLoss(team, tensors, settings, parts), config.maxGradNorm);
      gradNorm = result.gradNorm;
      last = readParts(parts, result.loss);
      disposeTensors(tensors);
    }
  }
  return { ...last, gradNorm };
}

/**
 * Per agent, 1 on the rows L_PG trains on: the agent alive and its action sampled. A greedy action
 * was not drawn from pi_S, so L_PG's probability ratio says nothing there (the other terms keep
 * those rows).
 */
export function policyGradientRows(active: readonly Uint8Array[], greedy: Uint8Array): Uint8Array[] {
  return active.map((alive) => alive.map((x, row) => (x === 1 && greedy[row] === 0 ? 1 : 0)));
}

/**
 * Advantages (row * N + a) split per agent and normalised over exactly the rows L_PG trains on
 * (`rows[a][row] = 1`), so that rows it skips move neither its centre nor its scale; 0 on the
 * others, and everywhere when no row qualifies.
 */
export function normalizeAdvantages(adv: Float32Array, rows: readonly Uint8Array[], out: Float32Array[]): void {
  const n = rows.length;
  const count = rows.reduce((sum, r) => sum + r.reduce((s, x) => s + x, 0), 0);
  const T = adv.length / n;
  let sum = 0;
  for (let row = 0; row < T; row++) for (let a = 0; a < n; a++) if (rows[a][row] === 1) sum += adv[row * n + a];
  const mean = count ? sum / count : 0;
  let squares = 0;
  for (let row = 0; row < T; row++) for (let a = 0; a < n; a++) if (rows[a][row] === 1) squares += (adv[row * n + a] - mean) ** 2;
  const std = Math.sqrt(count ? squares / count : 0) + 1e-8;
  for (let row = 0; row < T; row++) for (let a = 0; a < n; a++) out[a][row] = rows[a][row] === 1 ? (adv[row * n + a] - mean) / std : 0;
}

/** Up to `max` rows of live samples pooled over agents (the k-means fitting set). */
function sampleLiveRows(hidden: Float32Array[], active: readonly Uint8Array[], width: number, max: number, rng: Rng): Float32Array {
  const picks: [number, number][] = [];
  hidden.forEach((h, a) => {
    const rows = h.length / width;
    for (let r = 0; r < rows; r++) if (active[a][r] === 1) picks.push([a, r]);
  });
  const count = Math.min(max, picks.length);
  const out = new Float32Array(count * width);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(picks.length - i);
    [picks[i], picks[j]] = [picks[j], picks[i]];
    const [a, r] = picks[i];
    out.set(hidden[a].subarray(r * width, (r + 1) * width), i * width);
  }
  return out;
}
