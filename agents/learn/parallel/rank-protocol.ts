import type { AdamState } from '../adam.ts';
import type { TrainConfig } from '../config.ts';
import type { ValueNormState } from '../value-norm.ts';
import type { RankPlace, RankReport } from './rank.ts';
import type { SharedAllSumMemory } from './shared-all-sum.ts';

/**
 * What rank 0 gives a worker thread at its start: the run's config, its share of the envs, the
 * learner to build, and the state every rank starts the same from (weights, Adam states, value
 * normaliser). After that a worker runs update after update on its own, each one's order given by
 * `rankOrder`, and only its reports pass: all ranks apply the same summed gradients, so their
 * weights stay identical without being sent, and the barriers keep every rank on the same update.
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

/** What every rank does in update `update` (0-based count of updates done before it). */
export type RankOrder = { update: number; updateActor: boolean; /** Report a digest of the weights after the update. */ digest: boolean };

/**
 * The order of update `update` in a run (or resumed run) that started at update `startUpdates`:
 * a function of the config alone, so a worker can start the next update without being told to
 * while rank 0 logs, evaluates or checkpoints the last one. The ranks' weights are compared on
 * the first update and on every update that ends in a checkpoint.
 */
export function rankOrder(config: Pick<TrainConfig, 'freezeActorUpdates' | 'checkpointEvery'>, startUpdates: number, update: number, ranks: number): RankOrder {
  return { update, updateActor: update >= config.freezeActorUpdates, digest: ranks > 1 && ((update + 1) % config.checkpointEvery === 0 || update === startUpdates) };
}

export type FromRank =
  | { kind: 'ready'; backend: string }
  | { kind: 'done'; update: number; report: RankReport }
  /** This rank failed (it aborted the others); `message` says why. */
  | { kind: 'failed'; message: string }
  /** Another rank aborted the run while this one waited at the barrier. */
  | { kind: 'aborted' };
