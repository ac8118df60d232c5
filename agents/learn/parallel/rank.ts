import type { EpisodeSummary } from '../../../server/env/vec-env.ts';
import type { LoadedScenario } from '../../../server/scenarios/registry.ts';
import { deriveSeed, type Rng } from '../../../shared/rng.ts';
import type { StudentPlan } from '../../distill/student-plan.ts';
import type { ActorCritic } from '../actor-critic.ts';
import type { AllSum } from '../all-sum.ts';
import type { TrainConfig } from '../config.ts';
import type { Learner } from '../learner.ts';
import type { PpoStats } from '../ppo.ts';
import { Collector } from '../rollout.ts';
import { trainingEnvs } from '../teacher-net.ts';
import type { ValueNorm } from '../value-norm.ts';
import { linearDecay } from '../adam.ts';

/** What one rank did in one update. */
export type RankReport = {
  rank: number;
  /** Env steps this rank collected (its envs x rollout length). */
  envSteps: number;
  collectSeconds: number;
  /** Critic values, bootstraps and GAE on this rank's share. */
  targetSeconds: number;
  /** The PPO update, barrier waits included. */
  updateSeconds: number;
  /** Time spent waiting for the other ranks at the all-sum barrier. */
  waitSeconds: number;
  /** A hash of the weights after the update, when asked for (every rank must have the same). */
  weightsDigest?: number;
  episodes: EpisodeSummary[];
};

/** Where a rank stands in the run: its envs are [envStart, envStart + numEnvs) of the config's. */
export type RankPlace = { rank: number; ranks: number; envStart: number; numEnvs: number };

/**
 * The contiguous shares of `numEnvs` envs among `ranks` ranks, the first ranks taking one more
 * when they do not divide evenly.
 */
export function envShares(numEnvs: number, ranks: number): RankPlace[] {
  if (numEnvs < ranks) throw new Error(`numEnvs ${numEnvs} is less than the ${ranks} ranks of workers ${ranks - 1} (every rank steps at least one env): raise --envs to ${ranks} or more, or lower --workers to ${numEnvs - 1} or less`);
  const base = Math.floor(numEnvs / ranks);
  const extra = numEnvs % ranks;
  const out: RankPlace[] = [];
  let start = 0;
  for (let rank = 0; rank < ranks; rank++) {
    const n = base + (rank < extra ? 1 : 0);
    out.push({ rank, ranks, envStart: start, numEnvs: n });
    start += n;
  }
  return out;
}

/**
 * Number of minibatches ppoUpdate cuts `rows` rows into when asked for `count` (it skips empty
 * ones): every rank of a data-parallel update must make the same number of gradient steps.
 */
export function minibatchCount(rows: number, count: number): number {
  if (count <= 1) return 1;
  return Math.ceil(rows / Math.ceil(rows / count));
}

/**
 * One rank's part of an update: collect its envs' share of the rollout with the learner's actors,
 * compute its targets with the learner's critic, then the PPO update shared with the other ranks
 * through `allSum`. Rank 0 (the trainer's thread) and every worker thread run this same step.
 */
export class Rank {
  readonly rank: number;
  readonly learner: Learner;
  readonly collector: Collector;
  readonly valueNorm: ValueNorm;
  readonly rng: Rng;
  private readonly config: TrainConfig;

  constructor(rank: number, parts: { learner: Learner; collector: Collector; valueNorm: ValueNorm; rng: Rng; config: TrainConfig }) {
    this.rank = rank;
    this.learner = parts.learner;
    this.collector = parts.collector;
    this.valueNorm = parts.valueNorm;
    this.rng = parts.rng;
    this.config = parts.config;
  }

  /**
   * `collected`: the buffer already holds this update's experience (fragments from rollout workers
   * on NATS) and these are its finished episodes; the rank then only computes targets and updates.
   */
  step(update: number, updateActor: boolean, allSum: AllSum, digest = false, collected: EpisodeSummary[] | null = null): { report: RankReport; stats: PpoStats } {
    const { config, collector } = this;
    if (config.lrAnneal) {
      const planned = Math.ceil(config.totalSteps / (config.rolloutLength * config.numEnvs));
      this.learner.setLearningRates(linearDecay(config.lr, update, planned), linearDecay(config.criticLr, update, planned));
    }
    const episodes: EpisodeSummary[] = collected ?? [];
    const t0 = performance.now();
    if (!collected) collector.collectSteps(this.rng, episodes);
    const t1 = performance.now();
    collector.computeTargets(this.valueNorm, config.gamma, config.gaeLambda);
    const t2 = performance.now();
    const stats = this.learner.update(collector.buffer, this.valueNorm, config, this.rng, { updateActor, allSum });
    const t3 = performance.now();
    const report: RankReport = {
      rank: this.rank,
      envSteps: collector.buffer.steps * collector.buffer.numEnvs,
      collectSeconds: (t1 - t0) / 1000,
      targetSeconds: (t2 - t1) / 1000,
      updateSeconds: (t3 - t2) / 1000,
      waitSeconds: 0,
      episodes,
      ...(digest ? { weightsDigest: weightsDigest(this.learner.getWeights()) } : {}),
    };
    return { report, stats };
  }
}

/**
 * Seeds of a rank's envs and sampling rng. They move on with the update counter so a resumed run
 * does not replay the same episodes; rank 0 keeps the single-thread trainer's (its rng state is
 * also in the checkpoint).
 */
export function rankSeeds(seed: number, startUpdates: number, rank: number): { envs: number; rng: number } {
  const envs = deriveSeed(seed, startUpdates + 1);
  if (rank === 0) return { envs, rng: deriveSeed(seed, 0xac7) };
  return { envs: deriveSeed(envs, rank), rng: deriveSeed(deriveSeed(seed, 0xac7 + rank), startUpdates) };
}

/** A rank's freshly reset envs and the Collector that samples them from the learner's actors. */
export function rankCollector(config: TrainConfig, scenario: LoadedScenario, students: StudentPlan[] | null, net: ActorCritic, learner: Learner, numEnvs: number, envSeed: number): Collector {
  const vec = trainingEnvs(config, scenario, students, numEnvs, envSeed);
  vec.reset();
  return new Collector(net, vec, config.rolloutLength, config.recurrent ? config.recurrentChunk : 0, { actor: learner.actors, critic: learner.critic });
}

/** FNV-1a over the bits of every weight, in key order: equal weights give equal digests. */
export function weightsDigest(weights: Record<string, Float32Array[]>): number {
  let h = 0x811c9dc5;
  for (const key of Object.keys(weights).sort()) {
    for (const w of weights[key]) {
      const bits = new Uint32Array(w.buffer, w.byteOffset, w.length);
      for (let i = 0; i < bits.length; i++) h = Math.imul(h ^ bits[i], 0x01000193) >>> 0;
    }
  }
  return h;
}

/**
 * Every rank of a data-parallel update must take the same number of gradient steps; ppoUpdate
 * skips empty minibatches, which a rank with few envs can have.
 */
export function checkMinibatches(config: TrainConfig, envs: number[], net: ActorCritic): void {
  if (envs.length === 1 || config.minibatches <= 1) return;
  const rowsPerEnv = [...net.groups.map((g) => g.agents.length), net.shape.agentNames.length].map((k) => k * config.rolloutLength);
  for (const e of envs) {
    for (const rows of rowsPerEnv) {
      if (minibatchCount(rows * e, config.minibatches) !== config.minibatches) throw new Error(`minibatches ${config.minibatches}: a rank of ${e} envs cannot be cut into ${config.minibatches} minibatches; lower minibatches or --workers, or raise --envs`);
    }
  }
}
