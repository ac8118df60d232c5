import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../../shared/atomic-write.ts';
import { vegaLiteSvg } from '../learn/plot.ts';
import type { PolicyFile } from '../../shared/model-format.ts';
import { initBackend } from '../learn/backend.ts';
import type { EvaluationResult } from '../eval/evaluate.ts';
import { readPolicyPath } from '../eval/policies.ts';
import { resolveVariantConfig, type DistillConfig, type DistillVariant } from '../distill/config.ts';
import { resolveConfig } from '../learn/config.ts';
import { train } from '../learn/trainer.ts';
import { CHECKPOINT_FILE } from '../learn/checkpoint.ts';
import type { Latency } from './latency.ts';
import { checkReusable, createReportBasis, distilledRun, reportHeader, scoreText, type ReportHeader, type ReportRow } from './report-basis.ts';

export type { ReportRow } from './report-basis.ts';
export { retentionBasis } from './report-basis.ts';

export type Report = ReportHeader & {
  rows: ReportRow[];
  command: string;
  wallSeconds: number;
};

export type ReportOptions = {
  scenario: string;
  teacher: string;
  students: string;
  seeds: number;
  steps: number;
  evalEpisodes: number;
  evalSeed: number;
  variants: DistillVariant[];
  /** Also train the same-size students from scratch with MAPPO on their own views (same step budget). */
  scratch: boolean;
  outDir: string;
  config: Partial<DistillConfig>;
  command: string;
  log: (message: string) => void;
  /** A progress bar (TTY) or plain lines on stderr during each training run. */
  progress?: boolean;
};

const DESCRIPTIONS: Record<DistillVariant, string> = {
  full: 'full loss: teacher-guided PG + KL + CE + SR + RA',
  kl: 'action-only distillation (KL)',
  kl_ce: 'KL + CE',
  no_sr: 'full loss without SR',
  no_ra: 'full loss without RA',
  no_struct: 'full loss without the structural terms (SR and RA)',
  no_tgae: 'full loss without teacher-guided GAE (no PG term)',
};

/**
 * `kdmarl report`: the baselines and ablations of docs/method.md §5 on one scenario, each over `seeds`
 * training seeds, evaluated greedily on one fixed seed list, in one run. A finished run directory
 * is reused, so an interrupted report continues where it stopped.
 */
export async function runReport(o: ReportOptions): Promise<Report> {
  const started = performance.now();
  await initBackend(o.config.backend && o.config.backend !== 'auto' ? o.config.backend : undefined);
  mkdirSync(o.outDir, { recursive: true });
  o.log(`report ${o.scenario}: evaluating random and teacher on ${o.evalEpisodes} episodes (seed ${o.evalSeed})`);
  const basis = createReportBasis(o);
  const { name, hasWins } = basis;
  const evalOn = basis.evalOn;
  const rows: ReportRow[] = [basis.teacherRow()];

  const runCount = (o.scratch ? o.seeds : 0) + o.variants.length * o.seeds;
  let runIndex = 0;
  const nextRun = (what: string) => {
    runIndex++;
    return { label: `[${runIndex}/${runCount}] ${what}`, say: (m: string) => o.log(`report ${name}: run ${runIndex}/${runCount}: ${m}`) };
  };

  if (o.scratch) {
    const evals: EvaluationResult[] = [];
    let file: PolicyFile | null = null;
    for (let s = 1; s <= o.seeds; s++) {
      const runDir = join(o.outDir, 'runs', `scratch__seed${s}`);
      const done = join(runDir, 'done.json');
      const run = nextRun(`scratch seed ${s}`);
      // One thread: a baseline's figures must not depend on the machine's core count.
      const config = resolveConfig(o.scenario, {}, { actorViews: 'student', studentProfile: o.students, seed: s, totalSteps: o.steps, evalEvery: 0, workers: 0, ...(o.config.backend ? { backend: o.config.backend } : {}) });
      if (existsSync(done)) {
        checkReusable(runDir, config);
        run.say(`scratch seed ${s}: finished earlier, reused`);
      } else {
        run.say(`training students from scratch, seed ${s} (${o.steps} env steps, MAPPO on their own views)`);
        const result = await train({ config, runDir, resume: existsSync(join(runDir, CHECKPOINT_FILE)), producedBy: o.command, progress: o.progress === true, progressLabel: run.label, log: () => {} });
        if (result.envSteps < o.steps) throw new Error('report interrupted: run it again to continue');
        writeFileAtomic(done, JSON.stringify({ envSteps: result.envSteps }) + '\n');
      }
      file = readPolicyPath(runDir);
      const e = evalOn(file);
      o.log(`report ${name}: 'scratch' seed ${s}: ${scoreText(e, hasWins)}`);
      evals.push(e);
    }
    if (file) rows.push(basis.summaryRow('scratch', 'same-size students trained from scratch (MAPPO on their own views, same env steps)', evals, file));
  }

  for (const variant of o.variants) {
    const evals: EvaluationResult[] = [];
    let studentFile: PolicyFile | null = null;
    for (let s = 1; s <= o.seeds; s++) {
      const run = nextRun(`${variant} seed ${s}`);
      const config = resolveVariantConfig(o.scenario, variant, o.config, { seed: s, totalSteps: o.steps, evalEvery: 0 });
      studentFile = await distilledRun({
        runDir: join(o.outDir, 'runs', `${variant}__seed${s}`), config, teacher: o.teacher, students: o.students, variant,
        producedBy: o.command, progress: o.progress === true, progressLabel: run.label, say: run.say, what: `'${variant}' seed ${s}`,
      });
      const e = evalOn(studentFile);
      o.log(`report ${name}: '${variant}' seed ${s}: ${scoreText(e, hasWins)}`);
      evals.push(e);
    }
    if (studentFile) rows.push(basis.summaryRow(variant, DESCRIPTIONS[variant], evals, studentFile));
  }

  const report: Report = {
    ...reportHeader(basis, o),
    rows,
    command: o.command,
    wallSeconds: (performance.now() - started) / 1000,
  };
  writeFileAtomic(join(o.outDir, 'report.json'), JSON.stringify(report, null, 2) + '\n');
  writeFileAtomic(join(o.outDir, 'report.md'), renderMarkdown(report));
  writeFileAtomic(join(o.outDir, 'retention.svg'), await renderRetentionSvg(report));
  return report;
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
const num = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** A mean with its 95% interval over seeds; one seed has no interval. */
function returnCell(row: ReportRow): string {
  const value = num(row.meanReturn.mean, 3);
  // The teacher's interval is over its evaluation episodes; a student row's over its seeds.
  if (row.name !== 'teacher' && row.meanReturn.perSeed.length < 2) return `${value} (n=1)`;
  return `${value} ± ${num(row.meanReturn.ci95, 3)}`;
}

export function renderMarkdown(r: Report): string {
  const teacher = r.rows[0];
  const lat = (row: ReportRow, runtime: Latency['runtime']) => {
    const l = row.latency.find((x) => x.runtime === runtime);
    return l ? `${num(l.medianUs, 1)} / ${num(l.p99Us, 1)}` : 'n/a';
  };
  const seeds = r.rows[1]?.seeds.length ?? 0;
  const lines = [
    `# ${r.scenario}: distillation report`,
    '',
    `Teacher \`${r.teacher}\`, students \`${r.students}\`, ${r.stepsPerRun.toLocaleString('en-US')} env steps per student run, ` +
      `${seeds} seed${seeds === 1 ? '' : 's'}, greedy evaluation on ${r.evalEpisodes} episodes (seed list ${r.evalSeed}). ` +
      `Retention on ${r.retentionOn !== 'return' ? `${rateName(r)} (student / teacher)` : `return, (R_S - R_rand) / (R_T - R_rand), R_rand = ${num(r.random.meanReturn, 3)}`}. ` +
      `${seeds === 1 ? 'One seed: no interval over seeds (n=1); the teacher\'s return interval is over its evaluation episodes.' : 'Mean ± 95% interval over seeds.'} Latency: median / p99 of single decisions in microseconds, agent ${'0'}, on the typed-array runtime and on tfjs.`,
    '',
    `| policy | ${rateName(r)} | return | retention | FLOPs/decision | teacher/student FLOPs | params | latency typed-array (us) | latency tfjs (us) |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.rows.map(
      (row) =>
        `| ${row.name === 'teacher' ? 'teacher' : `${row.name}: ${row.description}`} | ${rateCell(r, row)} | ${returnCell(row)} | ${pct(row.retention.mean)}${row.retention.ci95 ? ` ± ${pct(row.retention.ci95)}` : ''} | ${Math.round(row.flopsPerDecision).toLocaleString('en-US')} | ${num(row.flopsRatio, 1)}x | ${row.params.toLocaleString('en-US')} | ${lat(row, 'typed-array')} | ${lat(row, 'tfjs')} |`,
    ),
    '',
    `Teacher on tfjs vs students on the typed-array runtime: ${r.rows
      .slice(1)
      .map((row) => {
        const t = teacher.latency.find((x) => x.runtime === 'tfjs');
        const s = row.latency.find((x) => x.runtime === 'typed-array');
        return t && s ? `${row.name} ${num(t.medianUs / s.medianUs, 1)}x faster` : '';
      })
      .filter(Boolean)
      .join(', ')}.`,
    '',
    `Produced by \`${r.command}\` in ${num(r.wallSeconds / 60, 1)} min.`,
    '',
  ];
  return lines.join('\n');
}

async function renderRetentionSvg(r: Report): Promise<string> {
  const values = r.rows.slice(1).map((row) => ({ variant: row.name, retention: row.retention.mean, low: row.retention.mean - row.retention.ci95, high: row.retention.mean + row.retention.ci95 }));
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${r.scenario}: retention of the teacher's ${r.retentionOn === 'return' ? 'return' : rateName(r)}`,
    data: { values },
    width: 420,
    height: 200,
    layer: [
      { mark: 'bar', encoding: { x: { field: 'variant', type: 'nominal', sort: null, title: null }, y: { field: 'retention', type: 'quantitative', axis: { format: '%' }, title: 'retention' } } },
      { mark: 'rule', encoding: { x: { field: 'variant', type: 'nominal', sort: null }, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } },
      { data: { values: [{ y: 0.9 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'firebrick' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
  return vegaLiteSvg(spec);
}

/** The rate column: success for scenarios that measure it (robot worlds), else wins. */
function rateName(r: Report): string {
  return r.retentionOn !== 'winRate' && r.rows.some((row) => row.successRate) ? 'success rate' : 'win rate';
}

function rateCell(r: Report, row: ReportRow): string {
  const rate = rateName(r) === 'success rate' ? row.successRate : r.retentionOn === 'winRate' ? row.winRate : undefined;
  return rate ? `${pct(rate.mean)}${rate.ci95 ? ` ± ${pct(rate.ci95)}` : ''}` : 'n/a';
}
