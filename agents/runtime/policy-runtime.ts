import { readFileSync } from 'node:fs';
import { decode } from '../../shared/codec.ts';
import { checkPolicyFile, policyFileSchema, type PolicyFile } from '../../shared/model-format.ts';
import { describeZodError } from '../../shared/zod-error.ts';
import { NetRuntime } from './net-runtime.ts';

/** Read and check a policy file (msgpack). Errors say which file and what is wrong. */
export function loadPolicyFile(path: string): PolicyFile {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`${path}: cannot read policy (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return parsePolicyBytes(bytes, path);
}

export function parsePolicyBytes(bytes: Uint8Array, where = 'policy'): PolicyFile {
  let raw: unknown;
  try {
    raw = decode(bytes);
  } catch (error) {
    throw new Error(`${where}: not a kdmarl policy file (msgpack decode failed: ${(error as Error).message})`);
  }
  const parsed = policyFileSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${where}: not a valid kdmarl policy: ${describeZodError(parsed.error)}`);
  const file = parsed.data as PolicyFile;
  checkPolicyFile(file, where);
  return file;
}

/**
 * One agent's deployed policy: builds the net input (view observation + optional agent-id one-hot),
 * runs the typed-array forward pass and picks an action under the mask. A recurrent net (GRU)
 * carries its state from one decision to the next: whoever starts an episode calls `reset()`.
 */
export class AgentPolicyRuntime {
  readonly agent: string;
  readonly runtime: NetRuntime;
  readonly observationSize: number;
  readonly actionCount: number;
  private readonly input: Float32Array;
  private readonly probs: Float32Array;

  constructor(file: PolicyFile, agent: string) {
    const spec = file.agents[agent];
    if (!spec) throw new Error(`policy for scenario '${file.scenario}' has no entry for agent '${agent}' (has: ${Object.keys(file.agents).join(', ')})`);
    this.agent = agent;
    this.runtime = new NetRuntime(file.nets[spec.net]);
    const idSize = spec.agentId?.size ?? 0;
    this.observationSize = this.runtime.inputSize - idSize;
    this.actionCount = this.runtime.outputSize;
    this.input = new Float32Array(this.runtime.inputSize);
    if (spec.agentId) this.input[this.observationSize + spec.agentId.index] = 1;
    this.probs = new Float32Array(this.actionCount);
  }

  get flops(): number {
    return this.runtime.flops;
  }

  /** True when the policy keeps state between decisions (GRU): reset it at every episode start. */
  get recurrent(): boolean {
    return this.runtime.recurrent;
  }

  /** Zero the recurrent state for a new episode (no-op for feed-forward nets). */
  reset(): void {
    this.runtime.reset();
  }

  /**
   * Logits for an observation (buffer owned by the runtime); each call is one decision step of a
   * recurrent net. With `advance` false a recurrent net repeats its last step instead (see NetRuntime.forward).
   */
  logits(observation: Float32Array, advance = true): Float32Array {
    if (observation.length !== this.observationSize) {
      throw new Error(`${this.agent}: observation has ${observation.length} values, the policy expects ${this.observationSize}`);
    }
    this.input.set(observation);
    return this.runtime.forward(this.input, advance);
  }

  /** Greedy action: the highest logit among allowed actions. */
  actGreedy(observation: Float32Array, mask: Uint8Array): number {
    const z = this.logits(observation);
    let best = -1;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let a = 0; a < this.actionCount; a++) {
      if (mask[a] !== 1) continue;
      if (best < 0 || z[a] > bestValue) {
        best = a;
        bestValue = z[a];
      }
    }
    return best < 0 ? 0 : best;
  }

  /** Sample from the masked softmax with a uniform number u in [0, 1). */
  actSample(observation: Float32Array, mask: Uint8Array, u: number): number {
    const z = this.logits(observation);
    let max = Number.NEGATIVE_INFINITY;
    for (let a = 0; a < this.actionCount; a++) if (mask[a] === 1 && z[a] > max) max = z[a];
    if (max === Number.NEGATIVE_INFINITY) return 0;
    let sum = 0;
    for (let a = 0; a < this.actionCount; a++) {
      const p = mask[a] === 1 ? Math.exp(z[a] - max) : 0;
      this.probs[a] = p;
      sum += p;
    }
    let target = u * sum;
    let last = 0;
    for (let a = 0; a < this.actionCount; a++) {
      if (this.probs[a] === 0) continue;
      last = a;
      target -= this.probs[a];
      if (target < 0) return a;
    }
    return last;
  }

  /**
   * Masked softmax probabilities for an observation (inspection panels). It does not take a step:
   * a recurrent net gives the distribution of the decision just made on this observation.
   */
  probabilities(observation: Float32Array, mask: Uint8Array): Float32Array {
    const z = this.logits(observation, false);
    let max = Number.NEGATIVE_INFINITY;
    for (let a = 0; a < this.actionCount; a++) if (mask[a] === 1 && z[a] > max) max = z[a];
    let sum = 0;
    for (let a = 0; a < this.actionCount; a++) {
      const p = mask[a] === 1 ? Math.exp(z[a] - max) : 0;
      this.probs[a] = p;
      sum += p;
    }
    for (let a = 0; a < this.actionCount; a++) this.probs[a] = sum > 0 ? this.probs[a] / sum : 0;
    return this.probs;
  }
}
