import type { ActorCritic } from '../actor-critic.ts';
import type { TrainConfig } from '../config.ts';
import type { Learner } from '../learner.ts';
import { TfjsLearner } from '../tfjs-learner.ts';
import { FastLearner } from '../fast/fast-learner.ts';
import { fastLearnerAvailable } from '../fast/native.ts';

export type LearnerSetup = {
  /** The frozen actors of a KL-anchored fine-tune, or null. */
  anchor: ActorCritic | null;
};

/**
 * Builds a Learner around `net`, starting from its current weights. A worker thread cannot be
 * handed a function, so ranks name their learner and look the factory up here.
 */
export type LearnerFactory = (net: ActorCritic, config: TrainConfig, setup: LearnerSetup) => Learner;

export const LEARNERS: Record<string, LearnerFactory> = {
  tfjs: (net, config, setup) => new TfjsLearner(net, { lr: config.lr, criticLr: config.criticLr, adamEps: config.adamEps, anchor: setup.anchor }),
  native: (net, config) => new FastLearner(net, { lr: config.lr, criticLr: config.criticLr, adamEps: config.adamEps }),
};

/**
 * The learner a config trains with: 'native' must be available and support the config (else one
 * line says why); 'auto' takes native where it can and says why not where it cannot.
 */
export function chooseLearner(config: TrainConfig, log: (line: string) => void): 'native' | 'tfjs' {
  if (config.learner === 'tfjs') return 'tfjs';
  const why = fastLearnerAvailable() ?? FastLearner.unsupported(config);
  if (why === null) return 'native';
  if (config.learner === 'native') throw new Error(`learner 'native': ${why}`);
  log(`learner: tfjs (${why})`);
  return 'tfjs';
}

export function learnerFactory(kind: string): LearnerFactory {
  const factory = LEARNERS[kind];
  if (!factory) throw new Error(`learner '${kind}': unknown (known: ${Object.keys(LEARNERS).join(', ')})`);
  return factory;
}
