import type { ActorCritic } from '../actor-critic.ts';
import type { TrainConfig } from '../config.ts';
import type { Learner } from '../learner.ts';
import { TfjsLearner } from '../tfjs-learner.ts';
import { FastLearner } from '../fast/fast-learner.ts';
import { fastLearnerAvailable } from '../fast/native.ts';

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

/**
 * How ranks collect: with the learner's own tfjs actors (each rank holds the same weights, so no
 * copy is needed). Measured on spread, 32 envs x 25 steps per rank, wasm: the typed-array actors
 * took 1.8x (2 x 64) to 4.3x (2 x 128) the time of the batched tfjs forward.
 */
export const RANK_COLLECTION: LearnerSetup['collectWith'] = 'tfjs';

export const LEARNERS: Record<string, LearnerFactory> = {
  tfjs: (net, config, setup) => new TfjsLearner(net, { lr: config.lr, criticLr: config.criticLr, adamEps: config.adamEps, anchor: setup.anchor, collectWith: setup.collectWith }),
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
