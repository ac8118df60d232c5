import type { EpisodeSummary } from '../../../server/env/vec-env.ts';
import type { RolloutBuffer } from '../rollout.ts';
import type { FragmentOrigin } from './identity.ts';

type Column = Float32Array | Int32Array | Uint8Array;
type Pair = [Column, Column, string];

/**
 * One worker's experience: `envs` envs x `steps` steps in a RolloutBuffer's own layout (as if the
 * buffer had `envs` envs), with behaviour log-probabilities and no values, the episodes that
 * finished in it, and which worker, run and weights made it.
 */
export type Fragment = {
  origin: FragmentOrigin;
  worker: string;
  /** The learner session and weights version the actors came from. */
  session: string;
  weightsVersion: number;
  envs: number;
  steps: number;
  groupInputs: Float32Array[];
  groupMasks: Uint8Array[];
  actions: Int32Array;
  logp: Float32Array;
  rewards: Float32Array;
  active: Uint8Array;
  terminated: Uint8Array;
  episodeEnd: Uint8Array;
  states: Float32Array;
  finalStates: Float32Array;
  truncated: Uint8Array;
  bootstrapStates: Float32Array;
  criticObs: Float32Array[];
  finalCriticObs: Float32Array[];
  bootstrapCriticObs: Float32Array[];
  episodes: EpisodeSummary[];
};

export type FragmentMeta = Pick<Fragment, 'origin' | 'worker' | 'session' | 'weightsVersion'>;

/** A fragment holding a collected buffer's experience (its arrays, not copies: encode it before the next collection). */
export function fragmentOf(buffer: RolloutBuffer, meta: FragmentMeta, episodes: EpisodeSummary[]): Fragment {
  if (buffer.chunkLength > 0) throw new Error('recurrent buffers cannot travel as fragments (workers run feed-forward actors)');
  const b = buffer;
  return {
    ...meta,
    envs: b.numEnvs,
    steps: b.steps,
    groupInputs: b.groupInputs,
    groupMasks: b.groupMasks,
    actions: b.actions,
    logp: b.logp,
    rewards: b.rewards,
    active: b.active,
    terminated: b.terminated,
    episodeEnd: b.episodeEnd,
    states: b.states,
    finalStates: b.finalStates,
    truncated: b.truncated,
    bootstrapStates: b.bootstrapStates,
    criticObs: b.criticObs,
    finalCriticObs: b.finalCriticObs,
    bootstrapCriticObs: b.bootstrapCriticObs,
    episodes,
  };
}

/** Pairs of (fragment array, buffer array) with rows of (t, env) and rows of env (bootstrap). */
function columns(f: Fragment, b: RolloutBuffer): { stepRows: Pair[]; envRows: Pair[] } {
  const stepRows: Pair[] = [
    ...f.groupInputs.map((a, g): Pair => [a, b.groupInputs[g], `groupInputs[${g}]`]),
    ...f.groupMasks.map((a, g): Pair => [a, b.groupMasks[g], `groupMasks[${g}]`]),
    [f.actions, b.actions, 'actions'], [f.logp, b.logp, 'logp'], [f.rewards, b.rewards, 'rewards'], [f.active, b.active, 'active'],
    [f.terminated, b.terminated, 'terminated'], [f.episodeEnd, b.episodeEnd, 'episodeEnd'],
    [f.states, b.states, 'states'], [f.finalStates, b.finalStates, 'finalStates'], [f.truncated, b.truncated, 'truncated'],
    ...f.criticObs.map((a, i): Pair => [a, b.criticObs[i], `criticObs[${i}]`]),
    ...f.finalCriticObs.map((a, i): Pair => [a, b.finalCriticObs[i], `finalCriticObs[${i}]`]),
  ];
  const envRows: Pair[] = [
    [f.bootstrapStates, b.bootstrapStates, 'bootstrapStates'],
    ...f.bootstrapCriticObs.map((a, i): Pair => [a, b.bootstrapCriticObs[i], `bootstrapCriticObs[${i}]`]),
  ];
  return { stepRows, envRows };
}

/** Why `f` does not fit `buffer`'s columns (null: it fits), e.g. a decoded message of another shape. */
export function fragmentShapeError(f: Fragment, buffer: RolloutBuffer): string | null {
  if (f.steps !== buffer.steps) return `${f.steps} steps per fragment, the learner's rollout has ${buffer.steps}`;
  if (!Number.isInteger(f.envs) || f.envs < 1 || f.envs > buffer.numEnvs) return `${f.envs} envs, the learner's batch has ${buffer.numEnvs}`;
  if (f.groupInputs?.length !== buffer.groupInputs.length || f.groupMasks?.length !== buffer.groupMasks.length) return 'another number of actor groups';
  if (f.criticObs?.length !== buffer.criticObs.length || f.finalCriticObs?.length !== buffer.finalCriticObs.length || f.bootstrapCriticObs?.length !== buffer.bootstrapCriticObs.length) return 'another critic input';
  const { stepRows, envRows } = columns(f, buffer);
  for (const [src, dst, name] of stepRows) {
    const want = (dst.length / (buffer.steps * buffer.numEnvs)) * f.steps * f.envs;
    if (!(src instanceof dst.constructor) || src.length !== want) return `${name} has ${src?.length} values, expected ${want}`;
  }
  for (const [src, dst, name] of envRows) {
    const want = (dst.length / buffer.numEnvs) * f.envs;
    if (!(src instanceof dst.constructor) || src.length !== want) return `${name} has ${src?.length} values, expected ${want}`;
  }
  return null;
}

/** Copy fragment `f` into the buffer's envs [envOffset, envOffset + f.envs). Check its shape first. */
export function copyFragment(f: Fragment, buffer: RolloutBuffer, envOffset: number): void {
  if (envOffset < 0 || envOffset + f.envs > buffer.numEnvs) throw new Error(`fragment of ${f.envs} envs does not fit at env ${envOffset} of ${buffer.numEnvs}`);
  const { stepRows, envRows } = columns(f, buffer);
  const E = buffer.numEnvs;
  for (const [src, dst] of stepRows) {
    const width = dst.length / (buffer.steps * E);
    const block = f.envs * width;
    if (block === 0) continue;
    for (let t = 0; t < f.steps; t++) dst.set(src.subarray(t * block, (t + 1) * block), (t * E + envOffset) * width);
  }
  for (const [src, dst] of envRows) {
    const width = dst.length / E;
    dst.set(src, envOffset * width);
  }
}

/** Bytes of one env's experience in `buffer` (what a fragment carries per env, before msgpack's few framing bytes). */
export function bytesPerEnv(buffer: RolloutBuffer): number {
  const b = buffer;
  const arrays = [...b.groupInputs, ...b.groupMasks, b.actions, b.logp, b.rewards, b.active, b.terminated, b.episodeEnd, b.states, b.finalStates, b.truncated, b.bootstrapStates, ...b.criticObs, ...b.finalCriticObs, ...b.bootstrapCriticObs];
  return arrays.reduce((sum, a) => sum + a.byteLength, 0) / b.numEnvs;
}
