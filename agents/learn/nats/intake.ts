import type { EpisodeSummary } from '../../../server/env/vec-env.ts';
import { copyFragment, fragmentShapeError, type ExperienceColumns, type Fragment } from './fragment.ts';
import { originMismatch, type RunIdentity } from './identity.ts';

export type Verdict =
  | { status: 'accepted'; staleness: number }
  | { status: 'stale'; staleness: number }
  | { status: 'refused'; reason: string };

type WorkerStats = { fragments: number; envSteps: number; lastSeen: number };

export type IntakeOptions = {
  /** Fragments collected with weights more than this many updates old are dropped. */
  maxStaleness: number;
  /** This learner's session: fragments from another (a learner that restarted) are dropped as stale. */
  session: string;
  log: (message: string) => void;
  now?: () => number;
};

/**
 * The learner's side of fragments, without the network: checks each one against the run, drops
 * stale ones, copies the rest into the batch's env columns, and keeps the per-worker and
 * staleness figures. An accepted fragment keeps its behaviour log-probabilities, which are what
 * the clipped ratio divides by (PPO's, or the distiller's L_PG).
 */
export class FragmentIntake {
  readonly identity: RunIdentity;
  /** The weights version the learner is at (what it last published). */
  version = 0;
  dropped = 0;
  refused = 0;
  private readonly o: IntakeOptions;
  private readonly now: () => number;
  private readonly workers = new Map<string, WorkerStats>();
  private readonly refusals = new Map<string, string>();
  private buffer: ExperienceColumns | null = null;
  private offset = 0;
  private episodes: EpisodeSummary[] = [];
  private windowStart: number;
  private stalenessSum = 0;
  private stalenessCount = 0;

  constructor(identity: RunIdentity, options: IntakeOptions) {
    this.identity = identity;
    this.o = options;
    this.now = options.now ?? (() => performance.now() / 1000);
    this.windowStart = this.now();
  }

  /** Start filling `buffer`'s columns; finished episodes of accepted fragments go to `episodes`. */
  begin(buffer: ExperienceColumns, episodes: EpisodeSummary[]): void {
    if (buffer.numEnvs % this.identity.fragmentEnvs !== 0) throw new Error(`a batch of ${buffer.numEnvs} envs cannot be cut into fragments of ${this.identity.fragmentEnvs}`);
    this.buffer = buffer;
    this.offset = 0;
    this.episodes = episodes;
  }

  get full(): boolean {
    return this.buffer !== null && this.offset >= this.buffer.numEnvs;
  }

  /** Envs of the batch filled so far. */
  get filled(): number {
    return this.offset;
  }

  offer(f: Fragment): Verdict {
    const verdict = this.judge(f);
    if (verdict.status === 'refused') {
      this.refused++;
      if (this.refusals.get(f.worker) !== verdict.reason) {
        this.refusals.set(f.worker, verdict.reason);
        this.o.log(`worker ${f.worker} refused: ${verdict.reason}`);
      }
      return verdict;
    }
    this.refusals.delete(f.worker);
    this.see(f.worker, f.envs * f.steps);
    if (verdict.status === 'stale') {
      this.dropped++;
      return verdict;
    }
    copyFragment(f, this.buffer!, this.offset);
    this.offset += f.envs;
    for (const e of f.episodes) this.episodes.push(e);
    this.stalenessSum += verdict.staleness;
    this.stalenessCount++;
    return verdict;
  }

  private judge(f: Fragment): Verdict {
    if (!this.buffer) throw new Error('FragmentIntake.offer before begin');
    const mismatch = originMismatch(this.identity, f.origin);
    if (mismatch) return { status: 'refused', reason: `another run's fragments: ${mismatch}; restart the worker against this run (kdmarl worker --nats URL --run ${this.identity.run}) on kdmarl ${this.identity.version}` };
    if (f.envs !== this.identity.fragmentEnvs) return { status: 'refused', reason: `fragments of ${f.envs} envs, the run's are ${this.identity.fragmentEnvs}` };
    const shape = fragmentShapeError(f, this.buffer);
    if (shape) return { status: 'refused', reason: `fragment does not fit the run's batch: ${shape}` };
    if (f.session !== this.o.session) return { status: 'stale', staleness: Number.POSITIVE_INFINITY };
    const staleness = this.version - f.weightsVersion;
    if (staleness < 0 || staleness > this.o.maxStaleness) return { status: 'stale', staleness };
    return { status: 'accepted', staleness };
  }

  private see(worker: string, envSteps: number): void {
    let stats = this.workers.get(worker);
    if (!stats) {
      stats = { fragments: 0, envSteps: 0, lastSeen: 0 };
      this.workers.set(worker, stats);
      this.o.log(`worker ${worker} joined; workers: ${this.names()}`);
    }
    stats.fragments++;
    stats.envSteps += envSteps;
    stats.lastSeen = this.now();
  }

  /** A known worker sent something (counted when its fragment is taken). */
  touch(worker: string): void {
    const stats = this.workers.get(worker);
    if (stats) stats.lastSeen = this.now();
  }

  /** A worker said goodbye, or was silent for `timeoutSeconds`: it is no longer counted. */
  leave(worker: string, why: string): void {
    if (!this.workers.delete(worker)) return;
    this.o.log(`worker ${worker} ${why}; workers: ${this.names() || 'none'}`);
  }

  expire(timeoutSeconds: number): void {
    const now = this.now();
    for (const [id, s] of [...this.workers]) if (now - s.lastSeen > timeoutSeconds) this.leave(id, `silent for ${timeoutSeconds}s, dropped`);
  }

  get workerCount(): number {
    return this.workers.size;
  }

  names(): string {
    return [...this.workers.keys()].join(', ');
  }

  /**
   * Figures since the last call, for metrics.jsonl: per worker fragments/s and env steps/s (every
   * fragment it sent, dropped ones too), mean staleness of the accepted ones, dropped and refused
   * counts over the run.
   */
  takeMetrics(): Record<string, number> {
    const now = this.now();
    const seconds = Math.max(1e-9, now - this.windowStart);
    const out: Record<string, number> = {
      'fragments/workers': this.workers.size,
      'fragments/staleness_mean': this.stalenessCount ? this.stalenessSum / this.stalenessCount : 0,
      'fragments/dropped_stale': this.dropped,
      'fragments/refused': this.refused,
    };
    for (const [id, s] of this.workers) {
      out[`workers/${id}/fragments_per_s`] = s.fragments / seconds;
      out[`workers/${id}/env_steps_per_s`] = s.envSteps / seconds;
      s.fragments = 0;
      s.envSteps = 0;
    }
    this.windowStart = now;
    this.stalenessSum = 0;
    this.stalenessCount = 0;
    return out;
  }
}

/** Workers named one by one on the progress line; the rest are counted. */
const NAMED_WORKERS = 4;

/**
 * The progress line's words for a metrics window (`takeMetrics`): each worker's env steps/s, the
 * fastest first (up to four, then how many more), the total, mean staleness and drops.
 */
export function progressNote(m: Record<string, number>): string {
  const rates = Object.keys(m)
    .filter((k) => k.startsWith('workers/') && k.endsWith('/env_steps_per_s'))
    .map((k) => ({ id: k.slice('workers/'.length, -'/env_steps_per_s'.length), rate: m[k] }))
    .sort((a, b) => b.rate - a.rate);
  const total = rates.reduce((sum, w) => sum + w.rate, 0);
  const named = rates.slice(0, NAMED_WORKERS).map((w) => `${w.id} ${w.rate.toFixed(0)}`);
  if (rates.length > NAMED_WORKERS) named.push(`+${rates.length - NAMED_WORKERS} more`);
  const who = rates.length ? ` (${named.join(', ')})` : '';
  const count = m['fragments/workers'];
  return `${count} worker${count === 1 ? '' : 's'} ${total.toFixed(0)} env steps/s${who}, stale ${m['fragments/staleness_mean'].toFixed(2)}, dropped ${m['fragments/dropped_stale']}`;
}
