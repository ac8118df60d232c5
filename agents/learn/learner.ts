import type { Rng } from '../../shared/rng.ts';
import type { AllSum } from './all-sum.ts';
import type { AdamState } from './adam.ts';
import type { PpoSettings, PpoStats } from './ppo.ts';
import type { ActorStepper, CriticForward, RolloutBuffer } from './rollout.ts';
import type { ValueNorm } from './value-norm.ts';

/**
 * What trains MAPPO's networks: the actors collection samples from, the critic its targets come
 * from, and the PPO update. Weights and optimizer states are keyed as ActorCritic keys them
 * ('actor/<group>', 'critic') in its layouts, so checkpoints do not depend on which learner wrote
 * them. `allSum` makes an update data-parallel: every rank passes its own shard of the batch and
 * all ranks end with the same weights.
 */
export type Learner = {
  /** 'tfjs' (autodiff on the tfjs backend) or the name of a hand-written learner. */
  readonly kind: string;
  readonly actors: ActorStepper;
  readonly critic: CriticForward;
  /** Sets the actors' and the critic's Adam learning rates (a schedule calls it before each update). */
  setLearningRates(actorLr: number, criticLr: number): void;
  update(buffer: RolloutBuffer, valueNorm: ValueNorm, settings: PpoSettings, rng: Rng, options: { updateActor: boolean; allSum: AllSum }): PpoStats;
  getWeights(): Record<string, Float32Array[]>;
  setWeights(weights: Record<string, Float32Array[]>, where: string): void;
  getOptimizerState(): Record<string, AdamState>;
  setOptimizerState(state: Record<string, AdamState>, where: string): void;
  dispose(): void;
};
