import * as tf from '@tensorflow/tfjs';
import { huber, maskedLogProbAndEntropy } from '../learn/ppo.ts';
import { MASKED_LOGIT } from '../learn/sampling.ts';
import type { DistillConfig } from './config.ts';
import type { StudentTeam } from './student-team.ts';

/**
 * The composite distillation loss of docs/method.md §3.2, one module for offline (`kdmarl distill`) and
 * online (`kdmarl teacher --distill`) distillation. Inputs are plain arrays, so a batch can come
 * from the in-process VecEnv or from what the supervisor saw over the network.
 *
 *   L = wPg L_PG + wKl L_KL + wCe L_CE + wSr L_SR + wRa L_RA - wEnt H(pi_S)
 *
 * Per-agent terms are means over that agent's live samples, averaged over agents; L_SR is a mean
 * over live agent pairs of every time step.
 */
export type AgentBatch = {
  /** rows x observationSize, the student's own view. */
  observations: Float32Array;
  /** rows x actionCount, 1 = allowed. */
  masks: Uint8Array;
  actions: Int32Array;
  /** log pi_S_old(a_t | o_t) at collection time. */
  oldLogp: Float32Array;
  /** Teacher-guided GAE advantages, normalised over `policyRows`; zeros elsewhere and when L_PG is off. */
  advantages: Float32Array;
  /** 1 where the agent was alive (death masking). */
  active: Uint8Array;
  /** 1 on the rows L_PG trains on: alive, and the action was sampled from pi_S (not greedy). */
  policyRows: Uint8Array;
  /** rows x actionCount, the frozen teacher's logits on its full view. */
  teacherLogits: Float32Array;
  /** Role target of each sample. */
  roles: Int32Array;
};

export type DistillBatch = {
  rows: number;
  agents: AgentBatch[];
  /** rows x N x N teacher relation matrices R_T (0 where pairMask is 0). */
  relationTarget: Float32Array;
  /** rows x N x N: 1 for pairs i != j of live agents. */
  pairMask: Float32Array;
};

export type LossSettings = Pick<DistillConfig, 'wPg' | 'wKl' | 'wCe' | 'wSr' | 'wRa' | 'wEnt' | 'tau' | 'clip' | 'huberDelta' | 'srEmbedding' | 'numRoles'>;

export type LossParts = { total: number; pg: number; kl: number; ce: number; sr: number; ra: number; entropy: number; agreement: number };

type AgentTensors = {
  observations: tf.Tensor2D;
  maskAdd: tf.Tensor2D;
  actions: tf.Tensor2D;
  oldLogp: tf.Tensor1D;
  advantages: tf.Tensor1D;
  active: tf.Tensor1D;
  activeCount: number;
  policyRows: tf.Tensor1D;
  policyCount: number;
  /** softmax(masked z_T / tau) and sum p log p of it (the KL's constant part). */
  teacherProbsTau: tf.Tensor2D;
  teacherNegEntropyTau: tf.Tensor1D;
  teacherArgmax: tf.Tensor2D;
  roles: tf.Tensor2D;
};

export type BatchTensors = { agents: AgentTensors[]; relationTarget: tf.Tensor3D; pairMask: tf.Tensor3D; pairCount: number; rows: number };

/** Move a batch (or a subset of its rows) to tensors, with the teacher's targets derived once. */
export function toTensors(batch: DistillBatch, team: StudentTeam, settings: LossSettings, rowsIndex?: Int32Array): BatchTensors {
  const rows = rowsIndex ? rowsIndex.length : batch.rows;
  const pick = <T extends Float32Array | Uint8Array | Int32Array>(src: T, width: number): T => {
    if (!rowsIndex) return src;
    const out = new (src.constructor as new (n: number) => T)(rows * width);
    for (let r = 0; r < rows; r++) out.set(src.subarray(rowsIndex[r] * width, (rowsIndex[r] + 1) * width) as never, r * width);
    return out;
  };
  const agents = batch.agents.map((b, a) => {
    const plan = team.plans[a];
    const A = plan.actionCount;
    const masks = pick(b.masks, A);
    const zT = pick(b.teacherLogits, A);
    const actions = pick(b.actions, 1);
    const active = pick(b.active, 1);
    const policyRows = pick(b.policyRows, 1);
    const maskAdd = new Float32Array(rows * A);
    const oneHot = new Float32Array(rows * A);
    const probsTau = new Float32Array(rows * A);
    const negEntropy = new Float32Array(rows);
    const argmax = new Float32Array(rows * A);
    const roles = new Float32Array(rows * settings.numRoles);
    const roleIds = pick(b.roles, 1);
    let activeCount = 0;
    let policyCount = 0;
    for (let r = 0; r < rows; r++) {
      activeCount += active[r];
      policyCount += policyRows[r];
      let max = Number.NEGATIVE_INFINITY;
      let best = 0;
      for (let k = 0; k < A; k++) {
        const allowed = masks[r * A + k] === 1;
        maskAdd[r * A + k] = allowed ? 0 : MASKED_LOGIT;
        if (allowed && zT[r * A + k] > max) {
          max = zT[r * A + k];
          best = k;
        }
      }
      let sum = 0;
      for (let k = 0; k < A; k++) if (masks[r * A + k] === 1) sum += Math.exp((zT[r * A + k] - max) / settings.tau);
      let plogp = 0;
      for (let k = 0; k < A; k++) {
        if (masks[r * A + k] !== 1) continue;
        const p = Math.exp((zT[r * A + k] - max) / settings.tau) / sum;
        probsTau[r * A + k] = p;
        if (p > 0) plogp += p * Math.log(p);
      }
      negEntropy[r] = plogp;
      argmax[r * A + best] = 1;
      oneHot[r * A + actions[r]] = 1;
      roles[r * settings.numRoles + roleIds[r]] = 1;
    }
    return {
      observations: tf.tensor2d(pick(b.observations, plan.observationSize), [rows, plan.observationSize]),
      maskAdd: tf.tensor2d(maskAdd, [rows, A]),
      actions: tf.tensor2d(oneHot, [rows, A]),
      oldLogp: tf.tensor1d(pick(b.oldLogp, 1)),
      advantages: tf.tensor1d(pick(b.advantages, 1)),
      active: tf.tensor1d(Float32Array.from(active)),
      activeCount,
      policyRows: tf.tensor1d(Float32Array.from(policyRows)),
      policyCount,
      teacherProbsTau: tf.tensor2d(probsTau, [rows, A]),
      teacherNegEntropyTau: tf.tensor1d(negEntropy),
      teacherArgmax: tf.tensor2d(argmax, [rows, A]),
      roles: tf.tensor2d(roles, [rows, settings.numRoles]),
    };
  });
  const n = batch.agents.length;
  const pairMask = pick(batch.pairMask, n * n);
  let pairCount = 0;
  for (let i = 0; i < pairMask.length; i++) pairCount += pairMask[i];
  return {
    agents,
    relationTarget: tf.tensor3d(pick(batch.relationTarget, n * n), [rows, n, n]),
    pairMask: tf.tensor3d(pairMask, [rows, n, n]),
    pairCount,
    rows,
  };
}

export function disposeTensors(t: BatchTensors): void {
  for (const a of t.agents) tf.dispose(Object.values(a).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
  tf.dispose([t.relationTarget, t.pairMask]);
}

/**
 * Which training-only heads the loss uses, so the optimizer is given exactly those (a head with no
 * gradient is an error for it). With fewer than three agents the normalised relation matrix is
 * constant, so L_SR is off whatever its weight.
 */
export function headsInUse(settings: Pick<LossSettings, 'wSr' | 'wRa' | 'srEmbedding'>, numAgents: number): { relations: boolean; projections: boolean; roles: boolean } {
  const relations = settings.wSr > 0 && numAgents >= 3;
  return { relations, projections: relations && settings.srEmbedding === 'projection', roles: settings.wRa > 0 };
}

const masked = (x: tf.Tensor, active: tf.Tensor1D, count: number): tf.Scalar => tf.div(tf.sum(tf.mul(x, active)), Math.max(count, 1)) as tf.Scalar;

/**
 * Relation matrices of row-major embeddings [rows, N, width] -> [rows, N, N]: pairwise Euclidean
 * distances divided by their mean over live pairs i != j of the same row (docs/method.md §3.3 R[i][j]).
 */
export function relationMatrices(embeddings: tf.Tensor3D, pairMask: tf.Tensor3D): tf.Tensor3D {
  const diff = tf.sub(tf.expandDims(embeddings, 2), tf.expandDims(embeddings, 1));
  const distance = tf.sqrt(tf.add(tf.sum(tf.square(diff), -1), 1e-8)) as tf.Tensor3D;
  const pairs = tf.sum(pairMask, [1, 2], true);
  const mean = tf.div(tf.sum(tf.mul(distance, pairMask), [1, 2], true), tf.maximum(pairs, 1));
  return tf.mul(tf.div(distance, tf.add(mean, 1e-6)), pairMask) as tf.Tensor3D;
}

/** The same relation matrices in plain arrays (one implementation, in shared/relations.ts). */
export { relationMatricesPlain } from '../../shared/relations.ts';

/**
 * The scalar loss (for Adam.minimize) and its parts (kept tensors the caller reads and disposes
 * with `readParts`; the total itself belongs to the optimizer).
 */
export function compositeLoss(team: StudentTeam, t: BatchTensors, s: LossSettings, parts: tf.Scalar[]): tf.Scalar {
  const n = t.agents.length;
  const heads = headsInUse(s, n);
  let pg: tf.Scalar = tf.scalar(0);
  let kl: tf.Scalar = tf.scalar(0);
  let ce: tf.Scalar = tf.scalar(0);
  let ra: tf.Scalar = tf.scalar(0);
  let entropy: tf.Scalar = tf.scalar(0);
  let agreement: tf.Scalar = tf.scalar(0);
  const embeddings: tf.Tensor2D[] = [];
  t.agents.forEach((b, a) => {
    const { hidden, logits } = team.forward(a, b.observations);
    const { logp, entropy: h } = maskedLogProbAndEntropy(logits, b.maskAdd, b.actions);
    const masked_z = tf.add(logits, b.maskAdd);
    const logProbs = tf.logSoftmax(masked_z);
    if (s.wPg > 0) {
      const ratio = tf.exp(tf.sub(logp, b.oldLogp));
      const surrogate = tf.minimum(tf.mul(ratio, b.advantages), tf.mul(tf.clipByValue(ratio, 1 - s.clip, 1 + s.clip), b.advantages));
      // A mean over the rows whose actions were sampled: greedy rows neither train L_PG nor dilute it.
      pg = tf.add(pg, tf.neg(masked(surrogate, b.policyRows, b.policyCount)));
    }
    const logProbsTau = tf.logSoftmax(tf.div(masked_z, s.tau));
    const klRows = tf.sub(b.teacherNegEntropyTau, tf.sum(tf.mul(b.teacherProbsTau, logProbsTau), 1));
    kl = tf.add(kl, tf.mul(s.tau * s.tau, masked(klRows, b.active, b.activeCount)));
    ce = tf.add(ce, masked(tf.neg(tf.sum(tf.mul(b.teacherArgmax, logProbs), 1)), b.active, b.activeCount));
    const sameChoice = tf.cast(tf.equal(tf.argMax(masked_z, 1), tf.argMax(b.teacherArgmax, 1)), 'float32');
    agreement = tf.add(agreement, masked(sameChoice, b.active, b.activeCount));
    entropy = tf.add(entropy, masked(h, b.active, b.activeCount));
    if (heads.roles) {
      const roleLogits = team.roleHeads[a].apply(hidden);
      ra = tf.add(ra, masked(tf.neg(tf.sum(tf.mul(b.roles, tf.logSoftmax(roleLogits)), 1)), b.active, b.activeCount));
    }
    if (heads.relations) embeddings.push(s.srEmbedding === 'projection' ? team.projections[a].apply(hidden) : (tf.softmax(masked_z) as tf.Tensor2D));
  });
  let sr: tf.Scalar = tf.scalar(0);
  if (heads.relations && t.pairCount > 0) {
    const stacked = tf.stack(embeddings, 1) as tf.Tensor3D;
    const relation = relationMatrices(stacked, t.pairMask);
    sr = tf.div(tf.sum(tf.mul(huber(tf.sub(relation, t.relationTarget), s.huberDelta), t.pairMask)), t.pairCount) as tf.Scalar;
  }
  const perAgent = tf.div(
    tf.addN([tf.mul(pg, s.wPg), tf.mul(kl, s.wKl), tf.mul(ce, s.wCe), tf.mul(ra, s.wRa), tf.mul(entropy, -s.wEnt)]),
    n,
  );
  const total = tf.add(perAgent, tf.mul(sr, s.wSr)) as tf.Scalar;
  for (const part of [tf.div(pg, n), tf.div(kl, n), tf.div(ce, n), sr, tf.div(ra, n), tf.div(entropy, n), tf.div(agreement, n)]) parts.push(tf.keep(part as tf.Scalar));
  return total;
}

/** Read and dispose the parts kept by `compositeLoss`; `total` is the loss value Adam returned. */
export function readParts(parts: tf.Scalar[], total: number): LossParts {
  const [pg, kl, ce, sr, ra, entropy, agreement] = parts.map((p) => p.dataSync()[0]);
  tf.dispose(parts);
  parts.length = 0;
  return { total, pg, kl, ce, sr, ra, entropy, agreement };
}
