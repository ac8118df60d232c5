import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../../shared/atomic-write.ts';

/**
 * Stable metric names (CleanRL style). Every line of `metrics.jsonl` has `global_step` (env steps)
 * and `update`, plus some of these.
 */
export const METRIC = {
  episodeReturn: 'charts/episode_return',
  episodeLength: 'charts/episode_length',
  winRate: 'charts/win_rate',
  sps: 'charts/SPS',
  agentSps: 'charts/agent_SPS',
  policyLoss: 'losses/policy',
  valueLoss: 'losses/value',
  entropy: 'losses/entropy',
  approxKl: 'losses/approx_kl',
  anchorKl: 'losses/anchor_kl',
  clipFraction: 'losses/clip_fraction',
  actorGradNorm: 'losses/actor_grad_norm',
  criticGradNorm: 'losses/critic_grad_norm',
  evalReturn: 'eval/return',
  evalReturnCi95: 'eval/return_ci95',
  evalWinRate: 'eval/win_rate',
  evalLength: 'eval/length',
} as const;

export type MetricLine = { global_step: number; update: number; wall_seconds: number } & Record<string, number>;

/** Append-only JSONL metrics, one object per line. */
export class MetricsLog {
  readonly path: string;
  constructor(path: string) {
    this.path = path;
  }

  write(line: MetricLine): void {
    appendFileSync(this.path, JSON.stringify(line) + '\n');
  }

  /** On resume: drop lines written after the checkpoint being resumed (they will be redone). */
  truncateAfter(update: number): void {
    if (!existsSync(this.path)) return;
    const kept = readMetrics(this.path).filter((l) => l.update <= update);
    writeFileAtomic(this.path, kept.map((l) => JSON.stringify(l) + '\n').join(''));
  }
}

export function readMetrics(path: string): MetricLine[] {
  const out: MetricLine[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as MetricLine);
    } catch {
      // A line cut by a kill mid-write: skip it, the rest of the log is still good.
    }
  }
  return out;
}
