import { existsSync } from 'node:fs';
import { z } from 'zod';
import { bool, common, defineCommand, intArg, str } from '../../shared/cli-args.ts';
import { renderSweepMarkdown, runFlopsSweep } from './flops-sweep.ts';
import { fromRoot } from '../../shared/paths.ts';
import { resolveScenario } from '../../server/scenarios/registry.ts';
import { DISTILL_VARIANTS, readDistillConfigFile, type DistillVariant } from '../distill/config.ts';
import { renderMarkdown, runReport } from './report.ts';

const ALL_VARIANTS = Object.keys(DISTILL_VARIANTS) as DistillVariant[];

/** `--ratios 10,30,100`: finite numbers above 1, or one line naming the bad entry. */
function ratiosArg() {
  return z.string().transform((text, ctx) => {
    const ratios = text.split(',').map((part) => part.trim());
    for (const part of ratios) {
      const value = Number(part);
      if (part === '' || !Number.isFinite(value) || value <= 1) {
        ctx.addIssue({ code: 'custom', message: `'${part}' is not a FLOPs ratio above 1 (give e.g. 10,30,100,300)` });
        return z.NEVER;
      }
    }
    return ratios.map(Number);
  });
}

const command = defineCommand('report', {
  scenario: common.requiredScenario(),
  teacher: str('teacher checkpoint or directory', z.string().optional(), { defaultLabel: 'models/<scenario>' }),
  students: str("student profile JSON or 'default'", z.string().default('default')),
  seeds: str('training seeds per variant', intArg().min(1).max(20).default(3)),
  steps: str('env steps per student run', intArg().positive().default(200_000)),
  episodes: str('evaluation episodes on the fixed seed list (as kdmarl eval)', intArg().min(10).default(200)),
  evalSeed: str('seed of the evaluation list', intArg().nonnegative().default(2026)),
  variants: str(`comma-separated subset of ${ALL_VARIANTS.join(',')}`, z.string().optional()),
  config: common.config('JSON file of distillation config fields shared by every run'),
  ratios: str("comma-separated teacher/student FLOPs ratios, each above 1 (e.g. 10,30,100,300): instead of the table, distil one variant's students sized to each ratio and plot retention against the ratio", ratiosArg().optional()),
  noScratch: bool("skip the from-scratch baseline (MAPPO on the students' own views)"),
  out: common.out('output directory; finished runs in it are reused', 'runs/report__<scenario>; with --ratios runs/flops__<scenario>'),
  json: common.json('print the report as one JSON object'),
});

export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  const scenario = resolveScenario(args.scenario).file.name;
  const teacher = args.teacher ?? fromRoot('models', scenario);
  if (!existsSync(teacher)) throw new Error(`--teacher: '${teacher}' does not exist; train one with 'kdmarl train --scenario ${scenario}' or pass --teacher`);
  const variants = (args.variants ? args.variants.split(',') : ALL_VARIANTS).map((v) => {
    if (!ALL_VARIANTS.includes(v as DistillVariant)) throw new Error(`--variants: unknown variant '${v}' (known: ${ALL_VARIANTS.join(', ')})`);
    return v as DistillVariant;
  });
  const log = args.json ? (m: string) => process.stderr.write(m + '\n') : (m: string) => console.log(m);
  if (args.ratios) {
    if (variants.length !== 1 && args.variants) throw new Error(`--variants: --ratios distils one variant, not ${variants.length} (give e.g. --variants full)`);
    const out = args.out ?? `runs/flops__${scenario}`;
    const sweep = await runFlopsSweep({
      scenario: args.scenario, teacher, students: args.students, ratios: args.ratios, variant: args.variants ? variants[0] : 'full',
      seeds: args.seeds, steps: args.steps, evalEpisodes: args.episodes, evalSeed: args.evalSeed, outDir: out,
      config: args.config ? readDistillConfigFile(args.config) : {}, command: `kdmarl report ${argv.join(' ')}`, log, progress: true,
    });
    if (args.json) console.log(JSON.stringify(sweep));
    else console.log(`\n${renderSweepMarkdown(sweep)}\nwrote ${out}/flops-sweep.md, flops-sweep.json, retention-vs-flops.svg`);
    return 0;
  }
  const report = await runReport({
    scenario: args.scenario,
    teacher,
    students: args.students,
    seeds: args.seeds,
    steps: args.steps,
    evalEpisodes: args.episodes,
    evalSeed: args.evalSeed,
    variants,
    scratch: !args.noScratch,
    outDir: args.out ?? `runs/report__${scenario}`,
    config: args.config ? readDistillConfigFile(args.config) : {},
    command: `kdmarl report ${argv.join(' ')}`,
    log,
    progress: true,
  });
  if (args.json) console.log(JSON.stringify(report));
  else console.log(`\n${renderMarkdown(report)}\nwrote ${args.out ?? `runs/report__${scenario}`}/report.md, report.json, retention.svg`);
  return 0;
}
