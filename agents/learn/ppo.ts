import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../shared/rng.ts';
import type { ActorCritic } from './actor-critic.ts';
import type { Adam } from './adam.ts';
import type { RolloutBuffer } from './rollout.ts';
import { RecurrentActor } from './recurrent-actor.ts';
import { MASKED_LOGIT } from './sampling.ts';
import type { ValueNorm } from './value-norm.ts';
import { LOCAL_SUM, type AllSum } from './all-sum.ts';

export type PpoSettings = {
  epochs: number;
  minibatches: number;
  clip: number;
  entropyCoef: number;
  valueCoef: number;
  huberDelta: number;
  valueClip: boolean;
  maxGradNorm: number;
  normalizeAdvantages: boolean;
  /** Weight of KL(anchor || actor) when ppoUpdate is given an anchor (0 or absent: no anchor term). */
  anchorKl?: number;
};

export type PpoStats = {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  approxKl: number;
  /** Mean KL(anchor || actor) over live samples; 0 without an anchor. */
  anchorKl: number;
  clipFraction: number;
  actorGradNorm: number;
  criticGradNorm: number;
};

/** Huber of each element: 0.5 e^2 inside delta, linear outside (MAPPO's value loss). */
export function huber(error: tf.Tensor, delta: number): tf.Tensor {
  const abs = tf.abs(error);
  const quadratic = tf.minimum(abs, delta);
  return tf.add(tf.mul(0.5, tf.square(quadratic)), tf.mul(delta, tf.sub(abs, quadratic)));
}

/**
 * Masked categorical terms for a batch: log-probabilities of `actions` (one-hot) and entropies,
 * with masked-out actions given MASKED_LOGIT so they carry zero probability and zero gradient.
 */
export function maskedLogProbAndEntropy(logits: tf.Tensor2D, maskAdd: tf.Tensor2D, actionsOneHot: tf.Tensor2D): { logp: tf.Tensor1D; entropy: tf.Tensor1D; logProbs: tf.Tensor2D } {
  const logProbs = tf.logSoftmax(tf.add(logits, maskAdd)) as tf.Tensor2D;
  const logp = tf.sum(tf.mul(logProbs, actionsOneHot), 1) as tf.Tensor1D;
  const entropy = tf.neg(tf.sum(tf.mul(tf.exp(logProbs), logProbs), 1)) as tf.Tensor1D;
  return { logp, entropy, logProbs };
}

/** KL(p || q) per row from log-probabilities; masked actions carry zero probability in both, so zero terms. */
function rowKl(logP: tf.Tensor2D, logQ: tf.Tensor2D): tf.Tensor1D {
  return tf.sum(tf.mul(tf.exp(logP), tf.sub(logP, logQ)), 1) as tf.Tensor1D;
}

function maskedMean(x: tf.Tensor, mask: tf.Tensor, count: number): tf.Scalar {
  return tf.div(tf.sum(tf.mul(x, mask)), Math.max(count, 1)) as tf.Scalar;
}

/**
 * Recurrent groups: rows are reordered time-major by chunk (row s * chunks + j is step s of chunk j),
 * with each chunk's initial hidden state and a keep factor (0 where an episode starts).
 */
type SequenceTensors = { h0: tf.Tensor2D; keep: tf.Tensor2D; chunks: number; length: number };

type GroupTensors = { input: tf.Tensor2D; maskAdd: tf.Tensor2D; actions: tf.Tensor2D; oldLogp: tf.Tensor1D; adv: tf.Tensor1D; active: tf.Tensor1D; rows: number; activeCount: number; seq: SequenceTensors | null; anchorLogProbs?: tf.Tensor2D };

/**
 * What every PPO update starts from: the value normaliser moved by this rollout's returns (live
 * samples only), the returns normalised into critic targets, and the advantages normalised over
 * the live samples. `allSum` makes the statistics those of the whole batch across data-parallel
 * ranks.
 */
export function targetsAndAdvantages(buffer: RolloutBuffer, valueNorm: ValueNorm, normalizeAdvantages: boolean, allSum: AllSum = LOCAL_SUM): { targets: Float32Array; advantages: Float32Array } {
  const size = buffer.steps * buffer.columns;
  const returnSums = new Float64Array(3);
  for (let i = 0; i < size; i++) {
    if (!buffer.active[i]) continue;
    returnSums[0] += buffer.returns[i];
    returnSums[1] += buffer.returns[i] * buffer.returns[i];
    returnSums[2]++;
  }
  allSum(returnSums);
  valueNorm.updateFromSums(returnSums[0], returnSums[1], returnSums[2]);
  const targets = valueNorm.normalize(buffer.returns, new Float32Array(size));

  const advantages = Float32Array.from(buffer.advantages);
  if (normalizeAdvantages) {
    const sums = new Float64Array(2);
    for (let i = 0; i < size; i++) if (buffer.active[i]) { sums[0] += advantages[i]; sums[1]++; }
    allSum(sums);
    const mean = sums[0] / Math.max(sums[1], 1);
    const squares = new Float64Array(1);
    for (let i = 0; i < size; i++) if (buffer.active[i]) squares[0] += (advantages[i] - mean) ** 2;
    allSum(squares);
    const std = Math.sqrt(squares[0] / Math.max(sums[1], 1));
    for (let i = 0; i < size; i++) advantages[i] = (advantages[i] - mean) / (std + 1e-5);
  }
  return { targets, advantages };
}

/**
 * MAPPO's update on one rollout: value targets normalised with the running stats (updated first),
 * advantages normalised over live samples, then `epochs` passes of clipped-ratio policy loss with
 * entropy bonus per actor group, and a clipped Huber value loss for the critic, each network with
 * its own Adam and gradient-norm clip. Dead agents (active = 0) count in neither loss.
 * Recurrent actors train on chunks of `buffer.chunkLength` steps replayed from their stored initial
 * hidden states (MAPPO's data_chunk_length); their minibatches are sets of whole chunks.
 * `updateActor` false trains the critic alone: a warm-started actor keeps its behaviour while the
 * critic learns that behaviour's values. An `anchor` (a frozen copy of the actors a fine-tune
 * started from, feedforward only) adds `settings.anchorKl` x KL(anchor || actor) to each actor's
 * loss, the anchor's probabilities computed once per update on the rollout's inputs.
 * `allSum` makes it data-parallel: this rank's buffer is its shard of the batch; statistics,
 * gradients and diagnostics are summed across ranks (every rank must make the same calls: the
 * same epochs and the same number of minibatches), and every rank ends with the same weights.
 */
export function ppoUpdate(net: ActorCritic, buffer: RolloutBuffer, valueNorm: ValueNorm, actorOpts: Adam[], criticOpt: Adam, settings: PpoSettings, rng: Rng, updateActor = true, anchor: ActorCritic | null = null, allSum: AllSum = LOCAL_SUM): PpoStats {
  const T = buffer.steps;
  const E = buffer.numEnvs;
  const N = buffer.numAgents;
  const C = buffer.columns;
  const size = T * C;

  const { targets, advantages: adv } = targetsAndAdvantages(buffer, valueNorm, settings.normalizeAdvantages, allSum);

  // Training tensors, built once per update and reused by every epoch.
  const groups: GroupTensors[] = net.groups.map((g, gi) => {
    const k = g.agents.length;
    const rows = T * E * k;
    const maskAdd = new Float32Array(rows * g.actionCount);
    const masks = buffer.groupMasks[gi];
    for (let j = 0; j < maskAdd.length; j++) maskAdd[j] = masks[j] === 1 ? 0 : MASKED_LOGIT;
    const oneHot = new Float32Array(rows * g.actionCount);
    const oldLogp = new Float32Array(rows);
    const gAdv = new Float32Array(rows);
    const active = new Float32Array(rows);
    let activeCount = 0;
    for (let t = 0; t < T; t++) {
      for (let e = 0; e < E; e++) {
        for (let slot = 0; slot < k; slot++) {
          const row = (t * E + e) * k + slot;
          const i = t * C + e * N + g.agents[slot];
          oneHot[row * g.actionCount + buffer.actions[i]] = 1;
          oldLogp[row] = buffer.logp[i];
          gAdv[row] = adv[i];
          active[row] = buffer.active[i];
          activeCount += buffer.active[i];
        }
      }
    }
    const actor = net.actors[gi];
    if (actor instanceof RecurrentActor) {
      return recurrentGroupTensors(buffer, gi, actor.hiddenSize, { input: buffer.groupInputs[gi], maskAdd, oneHot, oldLogp, adv: gAdv, active }, g.inputSize, g.actionCount, activeCount);
    }
    return {
      input: tf.tensor2d(buffer.groupInputs[gi], [rows, g.inputSize]),
      maskAdd: tf.tensor2d(maskAdd, [rows, g.actionCount]),
      actions: tf.tensor2d(oneHot, [rows, g.actionCount]),
      oldLogp: tf.tensor1d(oldLogp),
      adv: tf.tensor1d(gAdv),
      active: tf.tensor1d(active),
      rows,
      activeCount,
      seq: null,
    };
  });
  const anchorWeight = anchor && updateActor ? (settings.anchorKl ?? 0) : 0;
  if (anchorWeight > 0) {
    groups.forEach((gt, gi) => {
      const anchorActor = anchor!.actors[gi];
      if (anchorActor instanceof RecurrentActor) throw new Error('ppoUpdate: an anchor needs feedforward actors (recurrent groups replay sequences)');
      gt.anchorLogProbs = tf.tidy(() => tf.logSoftmax(tf.add(anchorActor.apply(gt.input), gt.maskAdd)) as tf.Tensor2D);
    });
  }
  const criticRows = new Float32Array(size * net.criticInputSize);
  buffer.writeCriticInputs(net, criticRows);
  let activeTotal = 0;
  const activeF = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    activeF[i] = buffer.active[i];
    activeTotal += buffer.active[i];
  }
  const critic = {
    input: tf.tensor2d(criticRows, [size, net.criticInputSize]),
    targets: tf.tensor1d(targets),
    oldValues: tf.tensor1d(buffer.valuesNorm),
    active: tf.tensor1d(activeF),
  };

  const stats: PpoStats = { policyLoss: 0, valueLoss: 0, entropy: 0, approxKl: 0, anchorKl: 0, clipFraction: 0, actorGradNorm: 0, criticGradNorm: 0 };
  let policySteps = 0;
  let valueSteps = 0;
  const mb = settings.minibatches;
  for (let epoch = 0; epoch < settings.epochs; epoch++) {
    for (let gi = 0; gi < (updateActor ? groups.length : 0); gi++) {
      const gt = groups[gi];
      const seq = gt.seq;
      const parts = seq ? chunkMinibatches(seq.chunks, seq.length, mb, rng) : minibatchIndices(gt.rows, mb, rng).map((rows) => ({ rows, chunks: null }));
      for (const { rows: idx, chunks } of parts) {
        const pick = <R extends tf.Rank>(x: tf.Tensor<R>): tf.Tensor<R> => (idx ? tf.gather(x, idx) : x);
        const batch = tf.tidy(() => ({ input: pick(gt.input), maskAdd: pick(gt.maskAdd), actions: pick(gt.actions), oldLogp: pick(gt.oldLogp), adv: pick(gt.adv), active: pick(gt.active) }));
        const sequence = seq ? tf.tidy(() => ({ h0: chunks ? tf.gather(seq.h0, chunks) : seq.h0, keep: pick(seq.keep) })) : null;
        const count = idx ? (tf.tidy(() => tf.sum(batch.active).dataSync()[0])) : gt.activeCount;
        let entropyValue = 0;
        let klValue = 0;
        let clipValue = 0;
        let anchorValue = 0;
        const anchorLogProbs = gt.anchorLogProbs ? pick(gt.anchorLogProbs) : null;
        const { loss, gradNorm, diagnostics } = actorOpts[gi].minimize(() => {
          const actor = net.actors[gi];
          const logits = actor instanceof RecurrentActor ? actor.applySequence(batch.input, sequence!.h0, sequence!.keep, seq!.length) : actor.apply(batch.input);
          const { logp, entropy, logProbs } = maskedLogProbAndEntropy(logits, batch.maskAdd, batch.actions);
          const logRatio = tf.sub(logp, batch.oldLogp);
          const ratio = tf.exp(logRatio);
          const surr1 = tf.mul(ratio, batch.adv);
          const surr2 = tf.mul(tf.clipByValue(ratio, 1 - settings.clip, 1 + settings.clip), batch.adv);
          const policyLoss = tf.neg(maskedMean(tf.minimum(surr1, surr2), batch.active, count));
          const entropyMean = maskedMean(entropy, batch.active, count);
          // Diagnostics read inside the tape: cheap scalars, not part of the gradient.
          entropyValue = entropyMean.dataSync()[0];
          klValue = maskedMean(tf.sub(tf.sub(ratio, 1), logRatio), batch.active, count).dataSync()[0];
          clipValue = maskedMean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), settings.clip), 'float32'), batch.active, count).dataSync()[0];
          const objective = tf.sub(policyLoss, tf.mul(settings.entropyCoef, entropyMean));
          if (!anchorLogProbs) return objective as tf.Scalar;
          const anchorMean = maskedMean(rowKl(anchorLogProbs, logProbs), batch.active, count);
          anchorValue = anchorMean.dataSync()[0];
          return tf.add(objective, tf.mul(anchorWeight, anchorMean)) as tf.Scalar;
        }, settings.maxGradNorm, { allSum, count, diagnostics: () => [entropyValue, klValue, clipValue, anchorValue] });
        // Across ranks these are the whole batch's means (this rank's alone with LOCAL_SUM).
        [entropyValue, klValue, clipValue, anchorValue] = diagnostics;
        if (anchorLogProbs && idx) anchorLogProbs.dispose();
        if (idx) tf.dispose([batch.input, batch.maskAdd, batch.actions, batch.oldLogp, batch.adv, batch.active, idx]);
        if (sequence && chunks) tf.dispose([sequence.h0, sequence.keep, chunks]);
        stats.policyLoss += loss + settings.entropyCoef * entropyValue - anchorWeight * anchorValue;
        stats.anchorKl += anchorValue;
        stats.entropy += entropyValue;
        stats.approxKl += klValue;
        stats.clipFraction += clipValue;
        stats.actorGradNorm += gradNorm;
        policySteps++;
      }
    }
    for (const idx of minibatchIndices(size, mb, rng)) {
      const pick = <R extends tf.Rank>(x: tf.Tensor<R>): tf.Tensor<R> => (idx ? tf.gather(x, idx) : x);
      const batch = tf.tidy(() => ({ input: pick(critic.input), targets: pick(critic.targets), oldValues: pick(critic.oldValues), active: pick(critic.active) }));
      const count = idx ? tf.tidy(() => tf.sum(batch.active).dataSync()[0]) : activeTotal;
      const { loss, gradNorm } = criticOpt.minimize(() => {
        const values = tf.reshape(net.critic.apply(batch.input), [-1]);
        const errorOriginal = huber(tf.sub(batch.targets, values), settings.huberDelta);
        let perSample = errorOriginal;
        if (settings.valueClip) {
          const clipped = tf.add(batch.oldValues, tf.clipByValue(tf.sub(values, batch.oldValues), -settings.clip, settings.clip));
          perSample = tf.maximum(errorOriginal, huber(tf.sub(batch.targets, clipped), settings.huberDelta));
        }
        return tf.mul(settings.valueCoef, maskedMean(perSample, batch.active, count)) as tf.Scalar;
      }, settings.maxGradNorm, { allSum, count });
      if (idx) tf.dispose([batch.input, batch.targets, batch.oldValues, batch.active, idx]);
      stats.valueLoss += loss / Math.max(settings.valueCoef, 1e-12);
      stats.criticGradNorm += gradNorm;
      valueSteps++;
    }
  }
  for (const gt of groups) {
    tf.dispose([gt.input, gt.maskAdd, gt.actions, gt.oldLogp, gt.adv, gt.active]);
    gt.anchorLogProbs?.dispose();
    if (gt.seq) tf.dispose([gt.seq.h0, gt.seq.keep]);
  }
  tf.dispose([critic.input, critic.targets, critic.oldValues, critic.active]);
  return averageStats(stats, policySteps, valueSteps);
}

/** Per-step means of stats summed over `policySteps` actor and `valueSteps` critic steps (a critic-only update reports zeros for the actor). */
export function averageStats(stats: PpoStats, policySteps: number, valueSteps: number): PpoStats {
  const steps = Math.max(policySteps, 1);
  stats.policyLoss /= steps;
  stats.entropy /= steps;
  stats.approxKl /= steps;
  stats.anchorKl /= steps;
  stats.clipFraction /= steps;
  stats.actorGradNorm /= steps;
  stats.valueLoss /= Math.max(valueSteps, 1);
  stats.criticGradNorm /= Math.max(valueSteps, 1);
  return stats;
}

/** Shuffled index tensors for `count` minibatches, or [null] (use the whole batch) for one. */
function minibatchIndices(rows: number, count: number, rng: Rng): (tf.Tensor1D | null)[] {
  if (count <= 1) return [null];
  const order = rng.permutation(rows);
  const size = Math.ceil(rows / count);
  const out: tf.Tensor1D[] = [];
  for (let k = 0; k < count; k++) {
    const part = order.subarray(k * size, Math.min(rows, (k + 1) * size));
    if (part.length) out.push(tf.tensor1d(part, 'int32'));
  }
  return out;
}

type GroupRows = { input: Float32Array; maskAdd: Float32Array; oneHot: Float32Array; oldLogp: Float32Array; adv: Float32Array; active: Float32Array };

/**
 * A recurrent group's training tensors: the buffer's rows (t, env, slot) reordered so that row
 * s * chunks + j is step s of chunk j = (c * numEnvs + env) * groupSize + slot, where chunk c covers
 * steps c * L .. c * L + L - 1. Then one slice of rows is one GRU step over every sequence.
 */
function recurrentGroupTensors(buffer: RolloutBuffer, gi: number, hiddenSize: number, src: GroupRows, inputSize: number, actionCount: number, activeCount: number): GroupTensors {
  const L = buffer.chunkLength;
  const k = src.oldLogp.length / (buffer.steps * buffer.numEnvs);
  const perStep = buffer.numEnvs * k;
  const chunks = (buffer.steps / L) * perStep;
  const rows = buffer.steps * perStep;
  const input = new Float32Array(rows * inputSize);
  const maskAdd = new Float32Array(rows * actionCount);
  const oneHot = new Float32Array(rows * actionCount);
  const oldLogp = new Float32Array(rows);
  const adv = new Float32Array(rows);
  const active = new Float32Array(rows);
  const keep = new Float32Array(rows);
  const starts = buffer.groupStarts[gi];
  for (let s = 0; s < L; s++) {
    for (let j = 0; j < chunks; j++) {
      const c = Math.floor(j / perStep);
      const from = (c * L + s) * perStep + (j % perStep);
      const to = s * chunks + j;
      input.set(src.input.subarray(from * inputSize, (from + 1) * inputSize), to * inputSize);
      maskAdd.set(src.maskAdd.subarray(from * actionCount, (from + 1) * actionCount), to * actionCount);
      oneHot.set(src.oneHot.subarray(from * actionCount, (from + 1) * actionCount), to * actionCount);
      oldLogp[to] = src.oldLogp[from];
      adv[to] = src.adv[from];
      active[to] = src.active[from];
      keep[to] = starts[from] === 1 ? 0 : 1;
    }
  }
  return {
    input: tf.tensor2d(input, [rows, inputSize]),
    maskAdd: tf.tensor2d(maskAdd, [rows, actionCount]),
    actions: tf.tensor2d(oneHot, [rows, actionCount]),
    oldLogp: tf.tensor1d(oldLogp),
    adv: tf.tensor1d(adv),
    active: tf.tensor1d(active),
    rows,
    activeCount,
    seq: { h0: tf.tensor2d(buffer.groupChunkH0[gi], [chunks, hiddenSize]), keep: tf.tensor2d(keep, [rows, 1]), chunks, length: L },
  };
}

/**
 * Minibatches of whole chunks: `count` shuffled sets of chunk indices, each with the row indices
 * of its chunks in the time-major order of `recurrentGroupTensors`; [whole batch] for one.
 */
function chunkMinibatches(chunks: number, length: number, count: number, rng: Rng): { rows: tf.Tensor1D | null; chunks: tf.Tensor1D | null }[] {
  if (count <= 1) return [{ rows: null, chunks: null }];
  const order = rng.permutation(chunks);
  const size = Math.ceil(chunks / count);
  const out: { rows: tf.Tensor1D; chunks: tf.Tensor1D }[] = [];
  for (let m = 0; m < count; m++) {
    const part = order.subarray(m * size, Math.min(chunks, (m + 1) * size));
    if (!part.length) continue;
    const rowIndex = new Int32Array(length * part.length);
    for (let s = 0; s < length; s++) for (let b = 0; b < part.length; b++) rowIndex[s * part.length + b] = s * chunks + part[b];
    out.push({ rows: tf.tensor1d(rowIndex, 'int32'), chunks: tf.tensor1d(part, 'int32') });
  }
  return out;
}
