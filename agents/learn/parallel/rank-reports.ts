import type { RankReport } from './rank.ts';

/**
 * Each rank's time in the update: collection (and its env steps/s), targets, PPO update and the
 * part of it spent waiting at the all-sum barrier. Rank 0's are also the run's collect and update times.
 */
export function rankMetrics(reports: RankReport[]): Record<string, number> {
  const own = reports[0];
  const out: Record<string, number> = { collect_seconds: own.collectSeconds + own.targetSeconds, update_seconds: own.updateSeconds };
  if (reports.length === 1) return out;
  for (const r of reports) {
    out[`ranks/${r.rank}/env_sps`] = r.envSteps / Math.max(r.collectSeconds, 1e-9);
    out[`ranks/${r.rank}/collect_seconds`] = r.collectSeconds;
    out[`ranks/${r.rank}/update_seconds`] = r.updateSeconds;
    out[`ranks/${r.rank}/wait_seconds`] = r.waitSeconds;
  }
  out['ranks/wait_seconds'] = Math.max(...reports.map((r) => r.waitSeconds));
  return out;
}

/** The progress line's part on ranks: env steps/s per rank, the longest barrier wait, the update time. */
export function rankDetail(reports: RankReport[]): string {
  const sps = reports.map((r) => formatCount(r.envSteps / Math.max(r.collectSeconds, 1e-9))).join('+');
  const wait = Math.max(...reports.map((r) => r.waitSeconds));
  return `ranks ${sps} env/s | wait ${wait.toFixed(2)}s | update ${reports[0].updateSeconds.toFixed(2)}s`;
}

export function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

const formatCount = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(1)}k` : n.toFixed(0));

/**
 * Ranks that apply the same summed gradients hold the same weights; a digest that differs means
 * they diverged (a learner that is not deterministic across threads), which a checkpoint would hide.
 */
export function checkSameWeights(reports: RankReport[]): void {
  const digests = reports.filter((r) => r.weightsDigest !== undefined);
  const differs = digests.find((r) => r.weightsDigest !== digests[0].weightsDigest);
  if (differs) throw new Error(`rank ${differs.rank}'s weights differ from rank ${digests[0].rank}'s after the update: the ranks diverged (train with --workers 0 and report this)`);
}
