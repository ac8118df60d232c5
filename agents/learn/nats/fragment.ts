import type { EpisodeSummary } from '../../../server/env/vec-env.ts';
import type { RolloutBuffer } from '../rollout.ts';
import type { FragmentOrigin } from './identity.ts';

export type Column = Float32Array | Int32Array | Uint8Array;

/**
 * An experience batch seen as named arrays: `step` arrays hold rows of (t, env), row t * numEnvs +
 * env, each of one width; `env` arrays hold one row per env (what bootstraps the last step). A
 * trainer's RolloutBuffer and a distiller's StudentRollout are both read and filled through it,
 * so one fragment format, one shape check and one copy serve both kinds of run.
 */
export type ExperienceColumns = {
  numEnvs: number;
  steps: number;
  step: Record<string, Column>;
  env: Record<string, Column>;
};

/**
 * One worker's experience: `envs` envs x `steps` steps of the run's columns (as if the batch had
 * `envs` envs), with behaviour log-probabilities, the episodes that finished in it, and which
 * worker, run and weights made it.
 */
export type Fragment = {
  origin: FragmentOrigin;
  worker: string;
  /** The learner session and weights version the actors came from. */
  session: string;
  weightsVersion: number;
  envs: number;
  steps: number;
  step: Record<string, Column>;
  env: Record<string, Column>;
  episodes: EpisodeSummary[];
};

export type FragmentMeta = Pick<Fragment, 'origin' | 'worker' | 'session' | 'weightsVersion'>;

/** A trainer's rollout as columns (its arrays, not copies): what a train worker sends and a train learner fills. */
export function rolloutColumns(b: RolloutBuffer): ExperienceColumns {
  if (b.chunkLength > 0) throw new Error('recurrent buffers cannot travel as fragments (workers run feed-forward actors)');
  const indexed = (name: string, arrays: Column[]) => Object.fromEntries(arrays.map((a, i) => [`${name}[${i}]`, a]));
  return {
    numEnvs: b.numEnvs,
    steps: b.steps,
    step: {
      ...indexed('groupInputs', b.groupInputs),
      ...indexed('groupMasks', b.groupMasks),
      actions: b.actions, logp: b.logp, rewards: b.rewards, active: b.active, terminated: b.terminated, episodeEnd: b.episodeEnd,
      states: b.states, finalStates: b.finalStates, truncated: b.truncated,
      ...indexed('criticObs', b.criticObs),
      ...indexed('finalCriticObs', b.finalCriticObs),
    },
    env: { bootstrapStates: b.bootstrapStates, ...indexed('bootstrapCriticObs', b.bootstrapCriticObs) },
  };
}

/** A fragment holding collected columns (their arrays, not copies: encode it before the next collection). */
export function fragmentOf(columns: ExperienceColumns, meta: FragmentMeta, episodes: EpisodeSummary[]): Fragment {
  return { ...meta, envs: columns.numEnvs, steps: columns.steps, step: columns.step, env: columns.env, episodes };
}

type Pair = [src: Column, dst: Column, name: string];

function pairs(src: Record<string, Column>, dst: Record<string, Column>): Pair[] {
  return Object.entries(dst).map(([name, d]) => [src[name], d, name]);
}

function sameNames(src: Record<string, Column> | undefined, dst: Record<string, Column>): string | null {
  if (!src || typeof src !== 'object') return 'no arrays';
  const missing = Object.keys(dst).filter((k) => !(k in src));
  const extra = Object.keys(src).filter((k) => !(k in dst));
  if (missing.length) return `no ${missing.join(', ')}`;
  if (extra.length) return `arrays the run does not have: ${extra.join(', ')}`;
  return null;
}

/** Why `f` does not fit `batch`'s columns (null: it fits), e.g. a decoded message of another shape. */
export function fragmentShapeError(f: Fragment, batch: ExperienceColumns): string | null {
  if (f.steps !== batch.steps) return `${f.steps} steps per fragment, the learner's rollout has ${batch.steps}`;
  if (!Number.isInteger(f.envs) || f.envs < 1 || f.envs > batch.numEnvs) return `${f.envs} envs, the learner's batch has ${batch.numEnvs}`;
  const names = sameNames(f.step, batch.step) ?? sameNames(f.env, batch.env);
  if (names) return names;
  for (const [src, dst, name] of pairs(f.step, batch.step)) {
    const want = (dst.length / (batch.steps * batch.numEnvs)) * f.steps * f.envs;
    if (!(src instanceof dst.constructor) || src.length !== want) return `${name} has ${src?.length} values, expected ${want}`;
  }
  for (const [src, dst, name] of pairs(f.env, batch.env)) {
    const want = (dst.length / batch.numEnvs) * f.envs;
    if (!(src instanceof dst.constructor) || src.length !== want) return `${name} has ${src?.length} values, expected ${want}`;
  }
  return null;
}

/** Copy fragment `f` into the batch's envs [envOffset, envOffset + f.envs). Check its shape first. */
export function copyFragment(f: Fragment, batch: ExperienceColumns, envOffset: number): void {
  const E = batch.numEnvs;
  if (envOffset < 0 || envOffset + f.envs > E) throw new Error(`fragment of ${f.envs} envs does not fit at env ${envOffset} of ${E}`);
  for (const [src, dst] of pairs(f.step, batch.step)) {
    const width = dst.length / (batch.steps * E);
    const block = f.envs * width;
    if (block === 0) continue;
    for (let t = 0; t < f.steps; t++) dst.set(src.subarray(t * block, (t + 1) * block), (t * E + envOffset) * width);
  }
  for (const [src, dst] of pairs(f.env, batch.env)) dst.set(src, envOffset * (dst.length / E));
}

/** Bytes of one env's experience in `batch` (what a fragment carries per env, before msgpack's framing and names). */
export function bytesPerEnv(batch: ExperienceColumns): number {
  const arrays = [...Object.values(batch.step), ...Object.values(batch.env)];
  return arrays.reduce((sum, a) => sum + a.byteLength, 0) / batch.numEnvs;
}
