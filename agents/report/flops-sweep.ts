import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { writeFileAtomic } from '../../shared/atomic-write.ts';
import type { PolicyFile } from '../../shared/model-format.ts';
import type { StudentProfile } from '../../shared/student-profile.ts';
import { initBackend } from '../learn/backend.ts';
import { vegaLiteSvg } from '../learn/plot.ts';
import type { EvaluationResult } from '../eval/evaluate.ts';
import { policyFileAgents, readPolicyPath } from '../eval/policies.ts';
import { createSimulation, resolveScenario } from '../../server/scenarios/registry.ts';
import { resolveVariantConfig, type DistillConfig, type DistillVariant } from '../distill/config.ts';
import { loadStudentProfile, planStudents } from '../distill/student-plan.ts';
import { layerNormFits, sizeForBudget } from './flops-sizing.ts';
import { createReportBasis, distilledRun, reportHeader, scoreText, type ReportHeader, type ReportRow, type RetentionBasis } from './report-basis.ts';

export type FlopsSweepOptions = {
  scenario: string;
  teacher: string;
  /** The profile whose views (and depth) every ratio keeps; only the hidden sizes change. */
  students: string;
  /** Teacher FLOPs / student FLOPs to aim at, each > 1. */
  ratios: number[];
  variant: DistillVariant;
  seeds: number;
  steps: number;
  evalEpisodes: number;
  evalSeed: number;
  outDir: string;
  config: Partial<DistillConfig>;
  command: string;
  log: (message: string) => void;
  progress?: boolean;
};

/** One ratio's students: the row over seeds, and how they were sized. */
export type SweepPoint = { askedRatio: number; layerNorm: boolean; hiddenByAgent: Record<string, number[]>; row: ReportRow };

export type FlopsSweep = ReportHeader & {
  variant: DistillVariant;
  teacherRow: ReportRow;
  points: SweepPoint[];
  command: string;
  wallSeconds: number;
};

/**
 * `kdmarl report --ratios`: students distilled at each FLOPs ratio (sized by sizeForBudget on the
 * profile's views), `seeds` seeds each, evaluated like the report's rows on one fixed episode list;
 * writes flops-sweep.json, flops-sweep.md and retention-vs-flops.svg. Finished runs are reused.
 */
export async function runFlopsSweep(o: FlopsSweepOptions): Promise<FlopsSweep> {
  const started = performance.now();
  await initBackend(o.config.backend && o.config.backend !== 'auto' ? o.config.backend : undefined);
  mkdirSync(join(o.outDir, 'profiles'), { recursive: true });
  // Sized from the teacher's file alone: a ratio no student fits is refused before any evaluation.
  const scenario = resolveScenario(o.scenario);
  const sim = createSimulation(scenario);
  const teacherFlopsPerAgent = policyFileAgents(readPolicyPath(o.teacher), sim, scenario.file.name, 'flops').flopsPerAgent;
  const { profile } = loadStudentProfile(o.students, scenario.file.name);
  const baseConfig = resolveVariantConfig(o.scenario, o.variant, o.config, {});
  const basePlans = planStudents(profile, scenario, sim, baseConfig.layerNorm, `--students ${o.students}`);
  const runCount = o.ratios.length * o.seeds;
  let runIndex = 0;
  const points: SweepPoint[] = [];

  // Every ratio is sized before the first run, so that one no student fits stops the sweep at once.
  const sizings = o.ratios.map((ratio) => {
    const budgets = teacherFlopsPerAgent.map((flops) => flops / ratio);
    // One team shares one LayerNorm setting: kept only where the config allows it and it fits every agent's budget.
    const layerNorm = baseConfig.layerNorm && basePlans.every((p) => layerNormFits(p.observationSize, budgets[p.index]));
    try {
      const sized = basePlans.map((p) => sizeForBudget(p.observationSize, p.actionCount, budgets[p.index], p.hidden.length, layerNorm));
      return { ratio, budgets, layerNorm, sized };
    } catch (e) {
      throw new Error(`--ratios ${ratio}: ${(e as Error).message}`);
    }
  });

  o.log(`report ${o.scenario}: evaluating random and teacher on ${o.evalEpisodes} episodes (seed ${o.evalSeed})`);
  const basis = createReportBasis(o);
  for (const { ratio, budgets, layerNorm, sized } of sizings) {
    const sizedProfile: StudentProfile = {
      scenario: basis.name,
      description: `${o.students} sized for 1/${ratio} of the teacher's FLOPs per decision (kdmarl report --ratios)`,
      default: {},
      byType: {},
      byAgent: Object.fromEntries(basePlans.map((p, i) => [p.agent, { view: p.view, hidden: sized[i].hidden, caps: { ...p.caps, flops: Math.floor(budgets[i]) } }])),
    };
    const profilePath = writeSizedProfile(join(o.outDir, 'profiles', `${ratio}x.json`), sizedProfile);
    const evals: EvaluationResult[] = [];
    let file: PolicyFile | null = null;
    for (let s = 1; s <= o.seeds; s++) {
      runIndex++;
      const what = `${ratio}x [${netText(basePlans[0].observationSize, sized[0].hidden, basePlans[0].actionCount)}${layerNorm ? ', LayerNorm' : ''}] seed ${s}`;
      const config = resolveVariantConfig(o.scenario, o.variant, o.config, { seed: s, totalSteps: o.steps, evalEvery: 0, layerNorm });
      const runDir = join(o.outDir, 'runs', `${ratio}x__seed${s}`);
      file = await distilledRun({
        runDir, config, teacher: o.teacher, students: profilePath, variant: o.variant,
        producedBy: o.command, progress: o.progress === true, progressLabel: `[${runIndex}/${runCount}] ${ratio}x seed ${s}`,
        say: (m) => o.log(`report ${basis.name}: run ${runIndex}/${runCount}: ${m}`), what,
      });
      checkSizedAs(file, runDir, basePlans.map((p, i) => ({ agent: p.agent, hidden: sized[i].hidden, layerNorm })));
      const e = basis.evalOn(file);
      o.log(`report ${basis.name}: ${ratio}x seed ${s}: ${scoreText(e, basis.hasWins)}`);
      evals.push(e);
    }
    if (!file) continue;
    const row = basis.summaryRow(`${ratio}x`, `[${netText(basePlans[0].observationSize, sized[0].hidden, basePlans[0].actionCount)}]${layerNorm ? ' with input LayerNorm' : ''}`, evals, file);
    points.push({ askedRatio: ratio, layerNorm, hiddenByAgent: Object.fromEntries(basePlans.map((p, i) => [p.agent, sized[i].hidden])), row });
  }

  const sweep: FlopsSweep = {
    ...reportHeader(basis, o),
    variant: o.variant,
    teacherRow: basis.teacherRow(),
    points: [...points].sort((a, b) => a.askedRatio - b.askedRatio),
    command: o.command,
    wallSeconds: (performance.now() - started) / 1000,
  };
  writeFileAtomic(join(o.outDir, 'flops-sweep.json'), JSON.stringify(sweep, null, 2) + '\n');
  writeFileAtomic(join(o.outDir, 'flops-sweep.md'), renderSweepMarkdown(sweep));
  writeFileAtomic(join(o.outDir, 'retention-vs-flops.svg'), await renderSweepSvg(sweep));
  return sweep;
}

/**
 * The students a ratio's run holds are the ones this sizing asks for: a run reused from an earlier
 * sizing (its profile since removed and written anew) would put another net under this ratio.
 */
export function checkSizedAs(file: PolicyFile, runDir: string, wanted: { agent: string; hidden: number[]; layerNorm: boolean }[]): void {
  for (const { agent, hidden, layerNorm } of wanted) {
    const net = file.nets[file.agents[agent]?.net ?? ''];
    const widths = net ? net.layers.flatMap((l) => (l.kind === 'dense' ? [l.outputSize] : [])).slice(0, -1) : [];
    const normed = net ? net.layers.some((l) => l.kind === 'layernorm') : false;
    if (!net || widths.join(',') !== hidden.join(',') || normed !== layerNorm) {
      throw new Error(`${runDir}: ${agent}'s student has hidden [${widths.join(', ')}]${normed ? ' with LayerNorm' : ''}, this sizing asks for [${hidden.join(', ')}]${layerNorm ? ' with LayerNorm' : ''}: give another --out, or remove that run to redo it`);
    }
  }
}

const netText = (inputs: number, hidden: number[], outputs: number) => [inputs, ...hidden, outputs].join('-');

/**
 * The sized profile of a ratio, written once: runs already distilled from an earlier sizing must
 * not be relabelled by a later one.
 */
function writeSizedProfile(path: string, profile: StudentProfile): string {
  const text = JSON.stringify(profile, null, 2) + '\n';
  if (existsSync(path) && readFileSync(path, 'utf8') !== text) {
    throw new Error(`${path} was sized differently by an earlier report: give another --out, or remove that ratio's profile and runs to redo it`);
  }
  if (!existsSync(path)) writeFileAtomic(path, text);
  return resolve(path);
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : 'n/a');
/** A value with its interval; 'n=1' marks a one-seed student row, which has none. */
const cell = (value: number, ci95: number, interval: boolean, fmt: (x: number) => string) => (interval ? `${fmt(value)} ± ${fmt(ci95)}` : `${fmt(value)} (n=1)`);
const fixed3 = (x: number) => x.toFixed(3);

function rateOf(row: ReportRow, on: RetentionBasis) {
  if (on === 'winRate') return { label: 'win rate', stat: row.winRate };
  if (row.successRate) return { label: 'success rate', stat: row.successRate };
  if (row.landmarksCovered) return { label: 'landmarks covered', stat: row.landmarksCovered };
  return null;
}

export function renderSweepMarkdown(r: FlopsSweep): string {
  const rate = rateOf(r.teacherRow, r.retentionOn);
  const seeds = r.points[0]?.row.seeds.length ?? 0;
  const basis = r.retentionOn === 'return' ? `return, (R_S - R_rand) / (R_T - R_rand), R_rand = ${r.random.meanReturn.toFixed(3)}` : `${rate?.label ?? 'rate'} (student / teacher)`;
  const head = (row: ReportRow) => `${Math.round(row.flopsPerDecision).toLocaleString('en-US')} | ${row.flopsRatio.toFixed(1)}x`;
  const teacherRate = rateOf(r.teacherRow, r.retentionOn)?.stat;
  const teacherLine = `| teacher | MAPPO | ${head(r.teacherRow)} | ${cell(r.teacherRow.meanReturn.mean, r.teacherRow.meanReturn.ci95, true, fixed3)} | ${teacherRate ? pct(teacherRate.mean) : 'n/a'} | 100% |`;
  const studentLine = (p: SweepPoint) => {
    const row = p.row;
    const several = row.seeds.length > 1;
    const rateStat = rateOf(row, r.retentionOn)?.stat;
    return `| ${p.askedRatio}x | ${row.description} | ${head(row)} | ${cell(row.meanReturn.mean, row.meanReturn.ci95, several, fixed3)} | ${rateStat ? cell(rateStat.mean, rateStat.ci95, several, pct) : 'n/a'} | ${cell(row.retention.mean, row.retention.ci95, several, pct)} |`;
  };
  return [
    `# ${r.scenario}: retention against the FLOPs ratio`,
    '',
    `Teacher \`${r.teacher}\`; students on the views of \`${r.students}\`, sized per ratio (agents/report/flops-sizing.ts), distilled with the '${r.variant}' loss for ` +
      `${r.stepsPerRun.toLocaleString('en-US')} env steps, ${seeds} seed${seeds === 1 ? '' : 's'} each; greedy evaluation on ${r.evalEpisodes} episodes (seed list ${r.evalSeed}). ` +
      `Retention on ${basis}. ${seeds < 2 ? 'One seed: no interval over seeds (n=1).' : 'Mean ± 95% interval over seeds.'} The teacher's return interval is over its episodes.`,
    '',
    `| FLOPs ratio asked | net (agent 0) | FLOPs/decision | teacher/student FLOPs | return | ${rate?.label ?? 'rate'} | retention |`,
    '| ---: | --- | ---: | ---: | ---: | ---: | ---: |',
    teacherLine,
    ...r.points.map(studentLine),
    '',
    `Produced by \`${r.command}\` in ${(r.wallSeconds / 60).toFixed(1)} min.`,
    '',
  ].join('\n');
}

function seedsText(r: FlopsSweep): string {
  const seeds = r.points[0]?.row.seeds.length ?? 0;
  return seeds < 2 ? '1 seed (no interval)' : `mean ± 95% interval over ${seeds} seeds`;
}

/** Retention against teacher/student FLOPs on a log axis: one point per ratio (mean ± 95% interval over seeds), the teacher at 1x. */
export async function renderSweepSvg(r: FlopsSweep): Promise<string> {
  const points = r.points.map((p) => ({ ratio: p.row.flopsRatio, retention: p.row.retention.mean, low: p.row.retention.mean - p.row.retention.ci95, high: p.row.retention.mean + p.row.retention.ci95, label: p.row.name }));
  const maxRatio = Math.max(1, ...points.map((p) => p.ratio));
  const ticks = [1, 3, 10, 30, 100, 300, 1000, 3000].filter((t) => t <= maxRatio * 1.5);
  const x = { field: 'ratio', type: 'quantitative', title: 'teacher / student FLOPs per decision (log)', scale: { type: 'log', domain: [0.8, maxRatio * 1.5] }, axis: { values: ticks, format: '~s' } } as const;
  const y = { field: 'retention', type: 'quantitative', title: r.retentionOn === 'return' ? 'return retention' : 'retention', axis: { format: '%' }, scale: { zero: false } } as const;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${r.scenario}: retention against the FLOPs ratio`,
      subtitle: `'${r.variant}' loss, ${r.stepsPerRun.toLocaleString('en-US')} env steps, ${seedsText(r)}; ${r.evalEpisodes} episodes of list ${r.evalSeed}; teacher at 1x`,
    },
    width: 460,
    height: 240,
    layer: [
      { data: { values: points }, mark: { type: 'line', color: 'steelblue' }, encoding: { x, y } },
      { data: { values: points }, mark: { type: 'rule', color: 'steelblue' }, encoding: { x, y: { field: 'low', type: 'quantitative' }, y2: { field: 'high' } } },
      { name: 'students', data: { values: points }, mark: { type: 'point', filled: true, size: 60, color: 'steelblue' }, encoding: { x, y, tooltip: { field: 'label' } } },
      { name: 'teacher', data: { values: [{ ratio: 1, retention: 1 }] }, mark: { type: 'point', shape: 'diamond', filled: true, size: 90, color: 'black' }, encoding: { x, y } },
      { data: { values: [{ y: 0.9 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: 'firebrick' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
    ],
  } as TopLevelSpec;
  return vegaLiteSvg(spec);
}
