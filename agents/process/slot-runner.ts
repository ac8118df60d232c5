import { performance } from 'node:perf_hooks';
import type { SlotInfo } from '../../shared/handshake-protocol.ts';
import type { Caps } from '../../shared/student-profile.ts';
import type { DecisionPolicy } from '../baselines/decision-policy.ts';
import { hasDistribution } from '../policy-source.ts';

const WINDOW = 64;

/**
 * One slot inside an agent process: its policy, its observation and mask buffers, its caps and
 * its own accounting (decision times, reply delays), so a host running many slots reports each
 * one as if it were its own process.
 */
export class SlotRunner {
  readonly info: SlotInfo;
  policy: DecisionPolicy;
  generation = 0;
  /** Delay the last reply was held for by the cpu-share emulation (ms). */
  replyDelayMs = 0;
  decisions = 0;
  private readonly cpu: number;
  private readonly observation: Float32Array;
  private readonly mask: Uint8Array;
  private pending: { policy: DecisionPolicy; generation: number } | null = null;
  private readonly decideTimes = new Float32Array(WINDOW);
  private readonly replyTimes = new Float32Array(WINDOW);
  private readonly scratch = new Float32Array(WINDOW);
  private next = 0;
  private filled = 0;

  /** `emulateCpu`: false where a cgroup's CPU quota holds the cpu share, so replies are not delayed on top of it. */
  constructor(info: SlotInfo, policy: DecisionPolicy, caps: Caps, emulateCpu = true) {
    this.info = info;
    this.policy = policy;
    this.cpu = emulateCpu ? (caps.cpu ?? 1) : 1;
    this.observation = new Float32Array(info.observationSize);
    this.mask = new Uint8Array(info.actionCount);
  }

  /** New weights wait for the start of the next episode, so one episode never mixes two policies. */
  queue(policy: DecisionPolicy, generation: number): void {
    this.pending = { policy, generation };
  }

  /**
   * At the first step of every episode: queued weights take over, and the policy forgets the last
   * episode (a recurrent net's state is zeroed, as in training).
   */
  startEpisode(): void {
    if (this.pending) {
      this.policy = this.pending.policy;
      this.generation = this.pending.generation;
      this.pending = null;
    }
    this.policy.reset?.();
  }

  /**
   * Decide from this slot's part of the frame. Sets `replyDelayMs` so the reply leaves after
   * measured_compute / cpu in total (the method's (docs/method.md §7) cpu cap).
   */
  decide(observations: Float32Array, obsOffset: number, masks: Uint8Array, maskOffset: number, u: number): number {
    const obs = this.observation;
    for (let i = 0; i < obs.length; i++) obs[i] = observations[obsOffset + i];
    const mask = this.mask;
    for (let i = 0; i < mask.length; i++) mask[i] = masks[maskOffset + i];
    const start = performance.now();
    const action = this.policy.decide(obs, mask, u);
    const computeMs = performance.now() - start;
    this.replyDelayMs = this.cpu < 1 ? computeMs * (1 / this.cpu - 1) : 0;
    this.decideTimes[this.next] = computeMs;
    this.replyTimes[this.next] = computeMs + this.replyDelayMs;
    this.next = (this.next + 1) % WINDOW;
    if (this.filled < WINDOW) this.filled++;
    this.decisions++;
    return action;
  }

  /**
   * This slot's action distribution for the last `decide`, into `out` at `offset` (actionCount
   * values), for the server's inspect panel and overlays. Outside the decision timing: it costs a
   * second forward pass, paid only while the server asks. Policy files give their masked softmax;
   * the random baseline is uniform over the allowed actions; scripted heuristics (no distribution)
   * give the one-hot of the action they chose.
   */
  writeDistribution(out: Float32Array, offset: number, action: number): void {
    const count = this.info.actionCount;
    const policy = this.policy;
    if (hasDistribution(policy)) {
      const probs = policy.probabilities(this.observation, this.mask);
      for (let a = 0; a < count; a++) out[offset + a] = probs[a];
      return;
    }
    const mask = this.mask;
    if (policy.label === 'random') {
      let allowed = 0;
      for (let a = 0; a < count; a++) allowed += mask[a];
      for (let a = 0; a < count; a++) out[offset + a] = allowed > 0 && mask[a] === 1 ? 1 / allowed : 0;
      return;
    }
    for (let a = 0; a < count; a++) out[offset + a] = a === action ? 1 : 0;
  }

  report(): { slot: number; decideMs: number; replyMs: number; flops: number; decisions: number } {
    return {
      slot: this.info.slot,
      decideMs: this.median(this.decideTimes),
      replyMs: this.median(this.replyTimes),
      flops: this.policy.flops,
      decisions: this.decisions,
    };
  }

  private median(values: Float32Array): number {
    if (this.filled === 0) return 0;
    const s = this.scratch.subarray(0, this.filled);
    s.set(values.subarray(0, this.filled));
    s.sort();
    return s[Math.floor((this.filled - 1) / 2)];
  }
}
