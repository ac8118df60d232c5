import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../../shared/atomic-write.ts';
import { vegaLiteSvg } from '../learn/plot.ts';

/** The students' score over a stretch of episodes: win rate (SMAC) or mean team return. */
export type Score = { episodes: number; value: number };

/** One window of an arm's timeline: the episodes that ended in it, with the agents running. */
export type TimelinePoint = { minutes: number; episodes: number; value: number; retention: number };

export type ArmResult = {
  /** 'control': the teacher as it is on the world left unchanged (drift and noise, nothing to recover from). */
  arm: 'as-is' | 'fine-tuned' | 'control';
  /** The arm's teacher on the arm's world (greedy; the unchanged one for control), the retention's denominator. */
  teacher: Score;
  /** Minutes spent fine-tuning before online distillation began (0 for as-is). */
  finetuneMinutes: number;
  /** Minutes the online teacher ran (it stops early only if the server closed its connection). */
  onlineMinutes: number;
  timeline: TimelinePoint[];
  /** First window whose retention reached the target, in minutes from the arm's start; null if none. */
  recoveredAtMinutes: number | null;
};

export type AdaptResult = {
  scenario: string;
  change: string;
  /** 'win rate' (SMAC) or 'return above random' (scored by return). */
  measure: string;
  command: string;
  load: string;
  /** Decisions the agents owed over the whole run and those that missed the deadline (the server applied the fallback). */
  decisions: { due: number; missed: number };
  teacherBefore: Score;
  teacherAfter: Score;
  /** Mean return of uniform-random agents, before and after (retention by return only). */
  randomBefore: Score | null;
  randomAfter: Score | null;
  studentsBefore: Score;
  studentsAfter: Score;
  retentionBefore: number;
  retentionAfter: number;
  /** 90% of the pre-change retention. */
  target: number;
  arms: ArmResult[];
};

/** What an experiment that stopped early had measured, and why it stopped. */
export type AdaptPartial = {
  /** The one-line reason it stopped. */
  error: string;
  /** Every part of the result measured before it stopped. */
  measured: Partial<AdaptResult>;
  /** The stretch it was in: what it waited for and the episodes that ended in it. */
  stretch: { waitingFor: string; score: Score } | null;
  /** The arm that was running, with its windows so far (retention needs that arm's teacher score, not measured yet). */
  armInProgress: { arm: ArmResult['arm']; windows: { minutes: number; score: Score }[] } | null;
};

/** The world an arm distils on: the control arm's is left unchanged. */
const worldOf = (a: ArmResult): string => (a.arm === 'control' ? 'unchanged' : 'changed');
const pct = (v: number): string => (Number.isFinite(v) ? `${(100 * v).toFixed(1)}%` : 'n/a');
const score = (s: Score, wins: boolean): string => `${wins ? pct(s.value) : s.value.toFixed(3)} (${s.episodes} ep.)`;

export function adaptMarkdown(r: AdaptResult): string {
  const wins = r.measure === 'win rate';
  const lines = [
    `# Online adaptation: ${r.scenario}, ${r.change}`,
    '',
    `Measure: ${r.measure}; retention = students / teacher on the same world. Target: ${pct(r.target)} (90% of the pre-change retention).`,
    '',
    '| | teacher | students | retention |',
    '|---|---:|---:|---:|',
    `| before the change | ${score(r.teacherBefore, wins)} | ${score(r.studentsBefore, wins)} | ${pct(r.retentionBefore)} |`,
    `| after the change | ${score(r.teacherAfter, wins)} | ${score(r.studentsAfter, wins)} | ${pct(r.retentionAfter)} |`,
    '',
    '| arm | world | teacher on that world | fine-tuning | online distillation | last window | best window | target reached after |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...r.arms.map((a) => {
      const last = a.timeline.at(-1);
      const best = a.timeline.reduce((m, p) => Math.max(m, p.retention), Number.NEGATIVE_INFINITY);
      // The control arm has nothing to recover from: its curve is the yardstick, not a recovery.
      const reached = a.arm === 'control' ? 'n/a (control)' : a.recoveredAtMinutes === null ? 'not reached' : `${a.recoveredAtMinutes.toFixed(1)} min`;
      return `| ${a.arm} | ${worldOf(a)} | ${score(a.teacher, wins)} | ${a.finetuneMinutes.toFixed(1)} min | ${a.onlineMinutes.toFixed(1)} min | ${last ? pct(last.retention) : 'n/a'} | ${a.timeline.length ? pct(best) : 'n/a'} | ${reached} |`;
    }),
    ...(r.arms.some((a) => a.arm === 'control')
      ? ['', 'The control arm runs the same timeline with the world swapped for the unchanged one: its curve is what drift and noise do with nothing to recover from.']
      : []),
    '',
    `Command: \`${r.command}\``,
    '',
    `Load: ${r.load}. Agent decisions that missed the deadline: ${r.decisions.missed} of ${r.decisions.due}.`,
    '',
  ];
  return lines.join('\n');
}

/**
 * Above: retention against wall time, one line per arm, with the target and the post-change level
 * as rules. Below: the students' own score, with the teachers' on the changed world as rules.
 */
export async function adaptSvg(r: AdaptResult): Promise<string> {
  const points = r.arms.flatMap((a) => a.timeline.map((p) => ({ minutes: p.minutes, retention: p.retention, value: p.value, arm: a.arm })));
  const wins = r.measure === 'win rate';
  const x = { field: 'minutes', type: 'quantitative', title: 'wall time since the arm started (minutes)' };
  const color = { field: 'arm', type: 'nominal', title: 'teacher', legend: { orient: 'top' } };
  const dashed = (values: { y: number; label: string }[]) => ({
    data: { values },
    mark: { type: 'rule', color: '#777' },
    encoding: {
      y: { field: 'y', type: 'quantitative' },
      strokeDash: { field: 'label', type: 'nominal', title: null, scale: { range: [[6, 3], [2, 2], [1, 4], [8, 2, 2, 2]] }, legend: { labelLimit: 300 } },
    },
  });
  const panel = (field: string, title: string, rules: { y: number; label: string }[]) => ({
    width: 560,
    height: 220,
    layer: [
      {
        data: { values: points },
        mark: { type: 'line', point: { size: 14 } },
        encoding: { x, y: { field, type: 'quantitative', title, axis: wins || field === 'retention' ? { format: '%' } : {}, scale: { zero: false } }, color },
      },
      dashed(rules),
    ],
  });
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${r.scenario}, ${r.change}: the networked students under online distillation`,
    vconcat: [
      panel('retention', `retention (${r.measure})`, [
        { y: r.target, label: 'target (90% of before)' },
        { y: r.retentionAfter, label: 'right after the change' },
      ]),
      panel('value', `students' ${wins ? 'win rate' : 'return'}`, [
        { y: r.studentsBefore.value, label: 'students before the change' },
        ...r.arms.map((a) => ({ y: a.teacher.value, label: `teacher ${a.arm}, ${worldOf(a)} world` })),
      ]),
    ],
    resolve: { scale: { strokeDash: 'independent' }, legend: { strokeDash: 'independent' } },
  } as TopLevelSpec;
  return vegaLiteSvg(spec);
}

/** adapt.json, adapt.md and adapt.svg in `outDir`, each written atomically. */
export async function writeAdaptReport(outDir: string, r: AdaptResult): Promise<string[]> {
  const paths = ['adapt.json', 'adapt.md', 'adapt.svg'].map((f) => join(outDir, f));
  const svg = await adaptSvg(r);
  writeFileAtomic(paths[0], JSON.stringify(r, null, 2) + '\n');
  writeFileAtomic(paths[1], adaptMarkdown(r));
  writeFileAtomic(paths[2], svg);
  return paths;
}

/** adapt-partial.json in `outDir`, written atomically. */
export function writeAdaptPartial(outDir: string, partial: AdaptPartial): string {
  const path = join(outDir, 'adapt-partial.json');
  writeFileAtomic(path, JSON.stringify(partial, null, 2) + '\n');
  return path;
}

/** The first window at or above the target, in minutes; null when none reached it. */
export function recoveredAt(timeline: readonly TimelinePoint[], target: number): number | null {
  return timeline.find((p) => p.retention >= target)?.minutes ?? null;
}
