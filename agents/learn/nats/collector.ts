import type { Rng } from '../../../shared/rng.ts';
import type { PolicyFile } from '../../../shared/model-format.ts';
import type { EpisodeSummary } from '../../../server/env/vec-env.ts';
import type { LoadedScenario } from '../../../server/scenarios/registry.ts';
import type { ExperienceColumns } from './fragment.ts';
import type { RunWork } from './identity.ts';

/**
 * A worker's collection for one kind of run: its own envs, the actors it was sent, and one
 * fragment's columns that each `collect` refills (encode them before the next).
 */
export type FragmentCollector = {
  readonly columns: ExperienceColumns;
  /** Sample from these weights (the learner's published policy file) from now on. */
  setPolicy(policy: PolicyFile): void;
  collect(rng: Rng, episodes: EpisodeSummary[]): void;
  dispose(): void;
};

export type CollectorSpec<W extends RunWork = RunWork> = { work: W; scenario: LoadedScenario; envs: number; seed: number; policy: PolicyFile };

/** Builds a worker's collector for the kind of run it serves. */
export type CollectorFactory<W extends RunWork = RunWork> = (spec: CollectorSpec<W>) => FragmentCollector;
