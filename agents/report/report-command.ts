import { existsSync } from 'node:fs';
import { z } from 'zod';
import { intArg, parseCommand } from '../../shared/cli-args.ts';
import { fromRoot } from '../../shared/paths.ts';
import { resolveScenario } from '../../server/scenarios/registry.ts';
import { DISTILL_VARIANTS, readDistillConfigFile, type DistillVariant } from '../distill/config.ts';
import { runReport } from './report.ts';

const ALL_VARIANTS = Object.keys(DISTILL_VARIANTS) as DistillVariant[];

const options = {
  scenario: { type: 'string', help: 'scenario name or path' },
  teacher: { type: 'string', help: 'teacher checkpoint or directory (default models/<scenario>)' },
  students: { type: 'string', help: "student profile JSON or 'default'" },
  seeds: { type: 'string', help: 'training seeds per variant (default 3)' },
  steps: { type: 'string', help: 'env steps per student run (default 200000)' },
  episodes: { type: 'string', help: 'evaluation episodes on the fixed seed list (default 200, as kdmarl eval)' },
  'eval-seed': { type: 'string', help: 'seed of the evaluation list (default 2026)' },
  variants: { type: 'string', help: `comma-separated subset of ${ALL_VARIANTS.join(',')}` },
  config: { type: 'string', help: 'JSON file of distillation config fields shared by every run' },
  'no-scratch': { type: 'boolean', help: 'skip the from-scratch baseline (MAPPO on the students\' own views)' },
  out: { type: 'string', help: 'output directory (default runs/report__<scenario>); finished runs in it are reused' },
  json: { type: 'boolean', help: 'print the report as one JSON object' },
} as const;

const argsSchema = z.object({
  scenario: z.string({ error: 'required' }),
  teacher: z.string().optional(),
  students: z.string().default('default'),
  seeds: intArg().min(1).max(20).default(3),
  steps: intArg().positive().default(200_000),
  episodes: intArg().min(10).default(200),
  evalSeed: intArg().nonnegative().default(2026),
  variants: z.string().optional(),
  config: z.string().optional(),
  noScratch: z.boolean().default(false),
  out: z.string().optional(),
  json: z.boolean().default(false),
});

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand('report', argv, options, argsSchema);
  if (args === 'help') return 0;
  const scenario = resolveScenario(args.scenario).file.name;
  const teacher = args.teacher ?? fromRoot('models', scenario);
  if (!existsSync(teacher)) throw new Error(`--teacher: '${teacher}' does not exist; train one with 'kdmarl train --scenario ${scenario}' or pass --teacher`);
  const variants = (args.variants ? args.variants.split(',') : ALL_VARIANTS).map((v) => {
    if (!ALL_VARIANTS.includes(v as DistillVariant)) throw new Error(`--variants: unknown variant '${v}' (known: ${ALL_VARIANTS.join(', ')})`);
    return v as DistillVariant;
  });
  const log = args.json ? (m: string) => process.stderr.write(m + '\n') : (m: string) => console.log(m);
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
  });
  if (args.json) console.log(JSON.stringify(report));
  else console.log(`\nwrote ${args.out ?? `runs/report__${scenario}`}/report.md, report.json, retention.svg`);
  return 0;
}
