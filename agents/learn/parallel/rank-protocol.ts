import type { AdamState } from '../adam.ts';
import type { TrainConfig } from '../config.ts';
import type { ValueNormState } from '../value-norm.ts';
import type { RankPlace, RankReport } from './rank.ts';
import type { SharedAllSumMemory } from './shared-all-sum.ts';

/**
 * What rank 0 gives a worker thread at its start: the run's config, its share of the envs, the
 * learner to build, and the state every rank starts the same from (weights, Adam states, value
 * normaliser). After that only update orders and reports pass: all ranks apply the same summed
 * gradients, so their weights stay identical without being sent.
 */
export type RankWorkerData = {
  place: RankPlace;
  config: TrainConfig;
  learner: string;
  startUpdates: number;
  memory: SharedAllSumMemory;
  weights: Record<string, Float32Array[]>;
  optimizer: Record<string, AdamState>;
  valueNorm: ValueNormState;
  anchorWeights: Record<string, Float32Array[]> | null;
  /** Tests: fail at this update, by throwing or by ending the thread. */
  fault?: RankFault;
};

export type RankFault = { rank: number; update: number; how: 'throw' | 'exit' };

/** Rank 0 to a worker: run update `update` (0-based count of updates done before it). */
export type ToRank = { update: number; updateActor: boolean; /** Report a digest of the weights after the update. */ digest: boolean };

export type FromRank =
  | { kind: 'ready'; backend: string }
  | { kind: 'done'; report: RankReport }
  /** This rank failed (it aborted the others); `message` says why. */
  | { kind: 'failed'; message: string }
  /** Another rank aborted the run while this one waited at the barrier. */
  | { kind: 'aborted' };
