import type { ActorCritic } from '../actor-critic.ts';
import type { TrainConfig } from '../config.ts';
import type { Learner } from '../learner.ts';
import { TfjsLearner } from '../tfjs-learner.ts';

export type LearnerSetup = {
  /** The frozen actors of a KL-anchored fine-tune, or null. */
  anchor: ActorCritic | null;
  /** 'typed': collection samples from Float32Array actors (every rank of a parallel run); 'tfjs': today's single thread. */
  collectWith: 'tfjs' | 'typed';
};

/**
 * Builds a Learner around `net`, starting from its current weights. A worker thread cannot be
 * handed a function, so ranks name their learner and look the factory up here.
 */
export type LearnerFactory = (net: ActorCritic, config: TrainConfig, setup: LearnerSetup) => Learner;

export const LEARNERS: Record<string, LearnerFactory> = {
  tfjs: (net, config, setup) => new TfjsLearner(net, { lr: config.lr, criticLr: config.criticLr, adamEps: config.adamEps, anchor: setup.anchor, collectWith: setup.collectWith }),
};

export function learnerFactory(kind: string): LearnerFactory {
  const factory = LEARNERS[kind];
  if (!factory) throw new Error(`learner '${kind}': unknown (known: ${Object.keys(LEARNERS).join(', ')})`);
  return factory;
}
