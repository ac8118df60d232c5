import { median } from 'simple-statistics';
import { COVER_DISTANCE, type BattleEnd, type EpisodeMetrics } from '../../server/env/episode-metrics.ts';
/**
 * The method's metrics (docs/method.md §6), defined once. Every caller (training's periodic evaluation, `kdmarl eval`,
 * reports, tests) computes them through these functions.
 *
 * - Return of an episode: the team return, i.e. the mean over agents of each agent's undiscounted
 *   return, on the scenario's own reward scale (PettingZoo/MPE2 for MPE: per-agent rewards, not
 *   MAPPO's summed team reward; see REFERENCE.md 1.6).
 * - Win: the episode terminated by its rules with a win (SMAC: every enemy dead); a timeout is a loss.
 *   MPE scenarios never terminate, so their win rate is 0 and return is the figure that matters.
 */
export type EpisodeOutcome = { teamReturn: number; length: number; won: boolean } & EpisodeMetrics;

export { COVER_DISTANCE, type BattleEnd };

/** Means over the won and the lost episodes of the battle ends, when the scenario has them. */
export type BattleEndSummary = {
  wins: { count: number; alliesLeft: number; allyHealthLeft: number; allyLostFirst: number };
  losses: { count: number; enemiesLeft: number; enemyHealthLeft: number; allyLostFirst: number; oneEnemyLeft: number };
};

export type EvalSummary = {
  episodes: number;
  winRate: number;
  meanReturn: number;
  returnStd: number;
  /** Half-width of the 95% interval of the mean return (Student t). */
  returnCi95: number;
  meanLength: number;
  /** Present when the episodes have battle ends (SMAC). */
  battleEnds?: BattleEndSummary;
  /** Spread: mean fraction of landmarks covered at the last step (COVER_DISTANCE). */
  landmarksCovered?: number;
  /** speaker_listener: the listener's distance to its goal at the last step, median over episodes, and the share within COVER_DISTANCE. */
  goal?: { medianDistance: number; reached: number };
  /** Robot tasks: the share of episodes that met the scenario's success measure (EpisodeMetrics.success). */
  successRate?: number;
};

export function summarizeEpisodes(outcomes: readonly EpisodeOutcome[]): EvalSummary {
  const n = outcomes.length;
  if (n === 0) return { episodes: 0, winRate: 0, meanReturn: Number.NaN, returnStd: Number.NaN, returnCi95: Number.NaN, meanLength: Number.NaN };
  const returns = outcomes.map((o) => o.teamReturn);
  const meanReturn = mean(returns);
  const returnStd = sampleStd(returns);
  return {
    episodes: n,
    winRate: outcomes.filter((o) => o.won).length / n,
    meanReturn,
    returnStd,
    returnCi95: ci95HalfWidth(returns),
    meanLength: mean(outcomes.map((o) => o.length)),
    ...(outcomes.every((o) => o.end) ? { battleEnds: summarizeBattleEnds(outcomes) } : {}),
    ...(outcomes.every((o) => o.landmarksCovered !== undefined) ? { landmarksCovered: mean(outcomes.map((o) => o.landmarksCovered!)) } : {}),
    ...(outcomes.every((o) => o.goalDistance !== undefined) ? { goal: summarizeGoal(outcomes.map((o) => o.goalDistance!)) } : {}),
    ...(outcomes.every((o) => o.success !== undefined) ? { successRate: mean(outcomes.map((o) => o.success!)) } : {}),
  };
}

function summarizeGoal(distances: number[]): { medianDistance: number; reached: number } {
  return { medianDistance: median(distances), reached: distances.filter((d) => d <= COVER_DISTANCE).length / distances.length };
}

function summarizeBattleEnds(outcomes: readonly EpisodeOutcome[]): BattleEndSummary {
  const wins = outcomes.filter((o) => o.won).map((o) => o.end!);
  const losses = outcomes.filter((o) => !o.won).map((o) => o.end!);
  const share = (ends: BattleEnd[], test: (e: BattleEnd) => boolean): number => (ends.length ? ends.filter(test).length / ends.length : Number.NaN);
  return {
    wins: {
      count: wins.length,
      alliesLeft: mean(wins.map((e) => e.alliesLeft)),
      allyHealthLeft: mean(wins.map((e) => e.allyHealthLeft)),
      allyLostFirst: share(wins, (e) => e.firstLoss === 'ally'),
    },
    losses: {
      count: losses.length,
      enemiesLeft: mean(losses.map((e) => e.enemiesLeft)),
      enemyHealthLeft: mean(losses.map((e) => e.enemyHealthLeft)),
      allyLostFirst: share(losses, (e) => e.firstLoss === 'ally'),
      oneEnemyLeft: share(losses, (e) => e.enemiesLeft === 1),
    },
  };
}

export function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return values.length ? s / values.length : Number.NaN;
}

export function sampleStd(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const m = mean(values);
  let s = 0;
  for (const v of values) s += (v - m) ** 2;
  return Math.sqrt(s / (values.length - 1));
}

// Two-sided 97.5% Student t quantiles for 1..30 degrees of freedom; beyond, the normal 1.96 is within 2%.
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

/** Half-width of the 95% confidence interval of the mean (used for eval episodes and for seeds). */
export function ci95HalfWidth(values: readonly number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const t = n - 1 <= T975.length ? T975[n - 2] : 1.96;
  return (t * sampleStd(values)) / Math.sqrt(n);
}

/** Student over teacher win rate. */
export function winRateRetention(student: number, teacher: number): number {
  return teacher > 0 ? student / teacher : Number.NaN;
}

/** (R_S - R_rand) / (R_T - R_rand), the return retention against the uniform-random policy. */
export function returnRetention(student: number, teacher: number, random: number): number {
  const span = teacher - random;
  return span !== 0 ? (student - random) / span : Number.NaN;
}
