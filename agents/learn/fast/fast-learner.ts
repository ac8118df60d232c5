import type { Rng } from '../../../shared/rng.ts';
import type { ActorCritic } from '../actor-critic.ts';
import type { AdamState } from '../adam.ts';
import type { AllSum } from '../all-sum.ts';
import type { Learner } from '../learner.ts';
import { averageStats, targetsAndAdvantages, type PpoSettings, type PpoStats } from '../ppo.ts';
import type { ActorStepper, CriticForward, RolloutBuffer } from '../rollout.ts';
import type { ValueNorm } from '../value-norm.ts';
import { NativeMlp, mlpParameterCount } from './native-mlp.ts';
import { nativeKernels, type NativeKernels } from './native.ts';
import { liveCount, minibatchParts, pickPolicyRows, pickValueRows, policyRows, valueRows, type PolicyRows, type ValueRows } from './ppo-batch.ts';

export type FastLearnerOptions = { lr: number; criticLr: number; adamEps: number };

/** Slots after a policy gradient: live count, then sums of surrogate, entropy, approx KL, clipped. */
const POLICY_EXTRA = 5;
/** Slots after a value gradient: live count, then the sum of per-sample value losses. */
const VALUE_EXTRA = 2;

/**
 * MAPPO's PPO update (ppoUpdate's semantics) on hand-written kernels: forward and backward of each
 * MLP through OpenBLAS, the loss gradients, global-norm clipping and Adam in C, over Float32Arrays.
 * Feed-forward actors only, no KL anchor (`unsupported` says so for a config). The ActorCritic it is
 * built from gives the shapes, the first weights and the critic row layout; its own tfjs weights are
 * not updated (read them back with getWeights).
 */
export class FastLearner implements Learner {
  readonly kind = 'native';
  readonly actors: ActorStepper;
  readonly critic: CriticForward;
  /** Learning rates, mutable so a schedule can set them before each update. */
  lr: number;
  criticLr: number;
  readonly adamEps: number;
  private readonly net: ActorCritic;
  private readonly k: NativeKernels;
  private readonly actorNets: NativeMlp[];
  private readonly criticNet: NativeMlp;
  /** The gradient slots of every net (each NativeMlp's `grads` is a view of it). */
  private readonly fused: Float32Array;
  private readonly stats = new Float64Array(4);
  private dOut = new Float32Array(0);

  /** Why this learner cannot train `config`, or null. */
  static unsupported(config: { recurrent: boolean; anchorKl: number }): string | null {
    if (config.recurrent) return 'the native learner trains feed-forward actors only (recurrent: true uses the tfjs learner)';
    if (config.anchorKl > 0) return 'the native learner has no KL anchor term (anchorKl > 0 uses the tfjs learner)';
    return null;
  }

  constructor(net: ActorCritic, options: FastLearnerOptions) {
    if (net.recurrent) throw new Error(FastLearner.unsupported({ recurrent: true, anchorKl: 0 })!);
    this.k = nativeKernels();
    this.net = net;
    this.lr = options.lr;
    this.criticLr = options.criticLr;
    this.adamEps = options.adamEps;
    const weights = net.getWeights();
    // Every net's gradient slots in one array, actors in group order then the critic.
    const slots = [...net.actors.map((a) => mlpParameterCount(a.sizes, a.layerNorm) + POLICY_EXTRA), mlpParameterCount(net.critic.sizes, net.critic.layerNorm) + VALUE_EXTRA];
    this.fused = new Float32Array(slots.reduce((a, b) => a + b, 0));
    let at = 0;
    const view = (n: number) => this.fused.subarray(at, (at += n));
    this.actorNets = net.groups.map((g, gi) => {
      const actor = net.actors[gi];
      return new NativeMlp(this.k, actor.sizes, actor.layerNorm, weights[`actor/${g.name}`], POLICY_EXTRA, `actor/${g.name}`, view(slots[gi]));
    });
    this.criticNet = new NativeMlp(this.k, net.critic.sizes, net.critic.layerNorm, weights.critic, VALUE_EXTRA, 'critic', view(slots[slots.length - 1]));
    this.actors = {
      forward: (group, input, rows) => this.actorNets[group].forward(input, rows).slice(),
      step: () => {
        throw new Error('the native learner has feed-forward actors only');
      },
    };
    this.critic = (input, rows) => this.criticNet.forward(input, rows).slice();
  }

  setLearningRates(actorLr: number, criticLr: number): void {
    this.lr = actorLr;
    this.criticLr = criticLr;
  }

  update(buffer: RolloutBuffer, valueNorm: ValueNorm, settings: PpoSettings, rng: Rng, options: { updateActor: boolean; allSum: AllSum }): PpoStats {
    if ((settings.anchorKl ?? 0) > 0) throw new Error(FastLearner.unsupported({ recurrent: false, anchorKl: settings.anchorKl ?? 0 })!);
    const { targets, advantages } = targetsAndAdvantages(buffer, valueNorm, settings.normalizeAdvantages, options.allSum);
    const groups = options.updateActor ? this.net.groups.map((_, gi) => policyRows(this.net, buffer, advantages, gi)) : [];
    const values = valueRows(this.net, buffer, targets);
    const stats: PpoStats = { policyLoss: 0, valueLoss: 0, entropy: 0, approxKl: 0, anchorKl: 0, clipFraction: 0, actorGradNorm: 0, criticGradNorm: 0 };
    let policySteps = 0;
    let valueSteps = 0;
    for (let epoch = 0; epoch < settings.epochs; epoch++) {
      // Shuffles drawn in ppoUpdate's order (each actor group's, then the critic's): the same rng, the same minibatches.
      const groupParts = groups.map((rows) => minibatchParts(rows.rows, settings.minibatches, rng));
      const valueParts = minibatchParts(values.rows, settings.minibatches, rng);
      const steps = Math.max(valueParts.length, ...groupParts.map((p) => p.length));
      // Step j moves every net by its j-th minibatch: actors and critic are separate nets, so their
      // gradients are taken together and cross the ranks in one all-sum (one barrier per step).
      for (let j = 0; j < steps; j++) {
        const live = groupParts.map((parts) => j < parts.length);
        groups.forEach((rows, gi) => {
          if (live[gi]) this.policyGradient(gi, pickPolicyRows(this.k, rows, groupParts[gi][j], this.net.groups[gi].actionCount), settings);
        });
        const criticLive = j < valueParts.length;
        if (criticLive) this.valueGradient(pickValueRows(this.k, values, valueParts[j]), settings);
        options.allSum(this.fusedRange(live, criticLive));
        groups.forEach((_, gi) => {
          if (!live[gi]) return;
          this.applyPolicy(gi, settings, stats);
          policySteps++;
        });
        if (criticLive) {
          this.applyValue(settings, stats);
          valueSteps++;
        }
      }
    }
    return averageStats(stats, policySteps, valueSteps);
  }

  /** The part of the fused gradient array from the first live net's slots to the last one's. */
  private fusedRange(actorLive: boolean[], criticLive: boolean): Float32Array {
    const nets = [...this.actorNets.filter((_, gi) => actorLive[gi]), ...(criticLive ? [this.criticNet] : [])];
    const first = nets[0].grads;
    const last = nets[nets.length - 1].grads;
    return this.fused.subarray(first.byteOffset / 4, last.byteOffset / 4 + last.length);
  }

  /** Actor `gi`'s clipped-ratio gradient sums into its slots, then the live count and the loss sums. */
  private policyGradient(gi: number, batch: PolicyRows, settings: PpoSettings): void {
    const actor = this.actorNets[gi];
    const A = actor.outputSize;
    const logits = actor.forward(batch.input, batch.rows);
    const dLogits = this.scratch(batch.rows * A);
    this.stats.fill(0);
    this.k.policyGrad(logits, batch.maskAdd, batch.actions, batch.oldLogp, batch.adv, batch.active, batch.rows, A, settings.clip, settings.entropyCoef, dLogits, this.stats);
    actor.backward(batch.input, dLogits);
    const g = actor.grads;
    const P = actor.count;
    g[P] = liveCount(batch.active);
    for (let i = 0; i < 4; i++) g[P + 1 + i] = this.stats[i];
  }

  /** Clip and Adam on actor `gi`'s all-summed gradient; its loss diagnostics into `out`. */
  private applyPolicy(gi: number, settings: PpoSettings, out: PpoStats): void {
    const actor = this.actorNets[gi];
    const g = actor.grads;
    const P = actor.count;
    const count = g[P];
    const n = Math.max(count, 1);
    out.actorGradNorm += actor.applyGradients(count, this.lr, this.adamEps, settings.maxGradNorm);
    out.policyLoss -= g[P + 1] / n;
    out.entropy += g[P + 2] / n;
    out.approxKl += g[P + 3] / n;
    out.clipFraction += g[P + 4] / n;
  }

  /** The critic's clipped-Huber gradient sums into its slots, then the live count and the loss sum. */
  private valueGradient(batch: ValueRows, settings: PpoSettings): void {
    const critic = this.criticNet;
    const values = critic.forward(batch.input, batch.rows);
    const dValues = this.scratch(batch.rows);
    this.stats.fill(0);
    this.k.valueGrad(values, batch.targets, batch.oldValues, batch.active, batch.rows, settings.huberDelta, settings.clip, settings.valueClip ? 1 : 0, settings.valueCoef, dValues, this.stats);
    critic.backward(batch.input, dValues);
    const g = critic.grads;
    const P = critic.count;
    g[P] = liveCount(batch.active);
    g[P + 1] = this.stats[0];
  }

  private applyValue(settings: PpoSettings, out: PpoStats): void {
    const critic = this.criticNet;
    const g = critic.grads;
    const P = critic.count;
    const n = Math.max(g[P], 1);
    out.criticGradNorm += critic.applyGradients(g[P], this.criticLr, this.adamEps, settings.maxGradNorm);
    // As ppo.ts reports it: the weighted loss divided back by the coefficient.
    out.valueLoss += (settings.valueCoef * (g[P + 1] / n)) / Math.max(settings.valueCoef, 1e-12);
  }

  private scratch(length: number): Float32Array {
    if (this.dOut.length < length) this.dOut = new Float32Array(length);
    return this.dOut.subarray(0, length);
  }

  getWeights(): Record<string, Float32Array[]> {
    const out: Record<string, Float32Array[]> = {};
    this.net.groups.forEach((g, gi) => {
      out[`actor/${g.name}`] = this.actorNets[gi].getWeights();
    });
    out.critic = this.criticNet.getWeights();
    return out;
  }

  setWeights(weights: Record<string, Float32Array[]>, where: string): void {
    this.net.groups.forEach((g, gi) => {
      const w = weights[`actor/${g.name}`];
      if (!w) throw new Error(`${where}: no weights for actor '${g.name}' (has: ${Object.keys(weights).join(', ')})`);
      this.actorNets[gi].setWeights(w, `${where}: actor/${g.name}`);
    });
    if (!weights.critic) throw new Error(`${where}: no critic weights`);
    this.criticNet.setWeights(weights.critic, `${where}: critic`);
  }

  getOptimizerState(): Record<string, AdamState> {
    const out: Record<string, AdamState> = {};
    this.net.groups.forEach((g, gi) => {
      out[`actor/${g.name}`] = this.actorNets[gi].getAdamState();
    });
    out.critic = this.criticNet.getAdamState();
    return out;
  }

  setOptimizerState(state: Record<string, AdamState>, where: string): void {
    this.net.groups.forEach((g, gi) => {
      const s = state[`actor/${g.name}`];
      if (!s) throw new Error(`${where}: no optimizer state for actor '${g.name}'`);
      this.actorNets[gi].setAdamState(s, `${where}: optimizer actor/${g.name}`);
    });
    if (!state.critic) throw new Error(`${where}: no critic optimizer state`);
    this.criticNet.setAdamState(state.critic, `${where}: optimizer critic`);
  }

  dispose(): void {}
}
