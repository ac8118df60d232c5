import type { Rng } from '../../shared/rng.ts';
import type { ActorCritic } from './actor-critic.ts';
import { Adam, type AdamState } from './adam.ts';
import type { AllSum } from './all-sum.ts';
import type { Learner } from './learner.ts';
import { ppoUpdate, type PpoSettings, type PpoStats } from './ppo.ts';
import { tfjsActors, type ActorStepper, type CriticForward, type RolloutBuffer } from './rollout.ts';
import type { ValueNorm } from './value-norm.ts';

export type TfjsLearnerOptions = {
  lr: number;
  criticLr: number;
  adamEps: number;
  /** The frozen actors a KL-anchored fine-tune stays near (see ppoUpdate); owned by the caller. */
  anchor?: ActorCritic | null;
};

/** The Learner on tfjs autodiff: an ActorCritic, an Adam per actor group and one for the critic, ppoUpdate. */
export class TfjsLearner implements Learner {
  readonly kind = 'tfjs';
  readonly actors: ActorStepper;
  readonly critic: CriticForward;
  readonly net: ActorCritic;
  readonly actorOpts: Adam[];
  readonly criticOpt: Adam;
  private readonly anchor: ActorCritic | null;

  constructor(net: ActorCritic, options: TfjsLearnerOptions) {
    this.net = net;
    this.anchor = options.anchor ?? null;
    this.actorOpts = net.actors.map((a) => new Adam(a.variables(), options.lr, options.adamEps));
    this.criticOpt = new Adam(net.critic.variables(), options.criticLr, options.adamEps);
    this.critic = (input, rows) => net.criticForward(input, rows);
    // Collection samples from the tfjs actors: per batch they measured 1.8x (2 x 64) to 4.3x
    // (2 x 128) faster on wasm than the row-by-row typed-array actors.
    this.actors = tfjsActors(net);
  }

  setLearningRates(actorLr: number, criticLr: number): void {
    for (const o of this.actorOpts) o.lr = actorLr;
    this.criticOpt.lr = criticLr;
  }

  update(buffer: RolloutBuffer, valueNorm: ValueNorm, settings: PpoSettings, rng: Rng, options: { updateActor: boolean; allSum: AllSum }): PpoStats {
    return ppoUpdate(this.net, buffer, valueNorm, this.actorOpts, this.criticOpt, settings, rng, options.updateActor, this.anchor, options.allSum);
  }

  getWeights(): Record<string, Float32Array[]> {
    return this.net.getWeights();
  }

  setWeights(weights: Record<string, Float32Array[]>, where: string): void {
    this.net.setWeights(weights, where);
  }

  getOptimizerState(): Record<string, AdamState> {
    return Object.fromEntries([...this.net.groups.map((g, gi) => [`actor/${g.name}`, this.actorOpts[gi].getState()] as const), ['critic', this.criticOpt.getState()] as const]);
  }

  setOptimizerState(state: Record<string, AdamState>, where: string): void {
    this.net.groups.forEach((g, gi) => {
      const s = state[`actor/${g.name}`];
      if (!s) throw new Error(`${where}: no optimizer state for actor/${g.name} (has: ${Object.keys(state).join(', ')})`);
      this.actorOpts[gi].setState(s, `${where}: optimizer actor/${g.name}`);
    });
    if (!state.critic) throw new Error(`${where}: no optimizer state for the critic`);
    this.criticOpt.setState(state.critic, `${where}: optimizer critic`);
  }

  /** Disposes the optimizers and the net (not the anchor, which the caller owns). */
  dispose(): void {
    for (const o of this.actorOpts) o.dispose();
    this.criticOpt.dispose();
    this.net.dispose();
  }
}
