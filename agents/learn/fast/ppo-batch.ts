import type { Rng } from '../../../shared/rng.ts';
import type { ActorCritic } from '../actor-critic.ts';
import type { RolloutBuffer } from '../rollout.ts';
import { MASKED_LOGIT } from '../sampling.ts';
import type { NativeKernels } from './native.ts';

/** One actor group's training rows, row = (t * numEnvs + env) * groupSize + slot, as ppo.ts builds them. */
export type PolicyRows = { input: Float32Array; width: number; maskAdd: Float32Array; actions: Int32Array; oldLogp: Float32Array; adv: Float32Array; active: Float32Array; rows: number };

/** The critic's training rows, row t * columns + env * numAgents + agent. */
export type ValueRows = { input: Float32Array; width: number; targets: Float32Array; oldValues: Float32Array; active: Float32Array; rows: number };

export function policyRows(net: ActorCritic, buffer: RolloutBuffer, advantages: Float32Array, gi: number): PolicyRows {
  const g = net.groups[gi];
  const T = buffer.steps;
  const E = buffer.numEnvs;
  const N = buffer.numAgents;
  const C = buffer.columns;
  const k = g.agents.length;
  const A = g.actionCount;
  const rows = T * E * k;
  const masks = buffer.groupMasks[gi];
  const maskAdd = new Float32Array(rows * A);
  for (let j = 0; j < maskAdd.length; j++) maskAdd[j] = masks[j] === 1 ? 0 : MASKED_LOGIT;
  const actions = new Int32Array(rows);
  const oldLogp = new Float32Array(rows);
  const adv = new Float32Array(rows);
  const active = new Float32Array(rows);
  for (let t = 0; t < T; t++) {
    for (let e = 0; e < E; e++) {
      for (let slot = 0; slot < k; slot++) {
        const row = (t * E + e) * k + slot;
        const i = t * C + e * N + g.agents[slot];
        actions[row] = buffer.actions[i];
        oldLogp[row] = buffer.logp[i];
        adv[row] = advantages[i];
        active[row] = buffer.active[i];
      }
    }
  }
  return { input: buffer.groupInputs[gi], width: g.inputSize, maskAdd, actions, oldLogp, adv, active, rows };
}

export function valueRows(net: ActorCritic, buffer: RolloutBuffer, targets: Float32Array): ValueRows {
  const rows = buffer.steps * buffer.columns;
  const input = new Float32Array(rows * net.criticInputSize);
  buffer.writeCriticInputs(net, input);
  return { input, width: net.criticInputSize, targets, oldValues: buffer.valuesNorm, active: Float32Array.from(buffer.active), rows };
}

/** ppo.ts's minibatches: one shuffle of the rows per pass, cut in `count` parts; [null] (whole batch) for one. */
export function minibatchParts(rows: number, count: number, rng: Rng): (Int32Array | null)[] {
  if (count <= 1) return [null];
  const order = rng.permutation(rows);
  const size = Math.ceil(rows / count);
  const out: Int32Array[] = [];
  for (let k = 0; k < count; k++) {
    const part = order.subarray(k * size, Math.min(rows, (k + 1) * size));
    if (part.length) out.push(part);
  }
  return out;
}

function pick1(src: Float32Array, index: Int32Array): Float32Array {
  const out = new Float32Array(index.length);
  for (let r = 0; r < index.length; r++) out[r] = src[index[r]];
  return out;
}

export function pickPolicyRows(k: NativeKernels, src: PolicyRows, index: Int32Array | null, actionCount: number): PolicyRows {
  if (!index) return src;
  const input = new Float32Array(index.length * src.width);
  k.gatherRows(src.input, src.width, index, input);
  const maskAdd = new Float32Array(index.length * actionCount);
  k.gatherRows(src.maskAdd, actionCount, index, maskAdd);
  const actions = new Int32Array(index.length);
  for (let r = 0; r < index.length; r++) actions[r] = src.actions[index[r]];
  return { input, width: src.width, maskAdd, actions, oldLogp: pick1(src.oldLogp, index), adv: pick1(src.adv, index), active: pick1(src.active, index), rows: index.length };
}

export function pickValueRows(k: NativeKernels, src: ValueRows, index: Int32Array | null): ValueRows {
  if (!index) return src;
  const input = new Float32Array(index.length * src.width);
  k.gatherRows(src.input, src.width, index, input);
  return { input, width: src.width, targets: pick1(src.targets, index), oldValues: pick1(src.oldValues, index), active: pick1(src.active, index), rows: index.length };
}

export function liveCount(active: Float32Array): number {
  let n = 0;
  for (let i = 0; i < active.length; i++) n += active[i];
  return n;
}
