import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { bool, common, defineCommand, intArg, str } from '../../shared/cli-args.ts';
import { resolveScenario } from '../../server/scenarios/registry.ts';
import { DISTILL_VARIANTS, describeDistillConfig, distillConfigSchema, readDistillConfigFile, resolveVariantConfig, type DistillConfig, type DistillVariant } from './config.ts';
import { DISTILL_CHECKPOINT, distill } from './distiller.ts';
import { CHECKPOINT_FILE } from '../learn/checkpoint.ts';
import { loadStudentProfile } from './student-plan.ts';
import { checkSameSource, continueRunConfig, readRunConfig, samePath, type GivenValues } from '../run/resume.ts';
import { describeZodError } from '../../shared/zod-error.ts';
import { checkNatsReachable } from '../learn/nats/connect.ts';
import { natsFlags, natsOptionsOf } from '../learn/nats/flags.ts';

const VARIANTS = Object.keys(DISTILL_VARIANTS) as [DistillVariant, ...DistillVariant[]];

const command = defineCommand('distill', {
  scenario: str("scenario name or .json file (the teacher's scenario; required unless --resume or --help-config)", z.string().optional()),
  teacher: str('teacher checkpoint file, or a run / models directory holding checkpoint.ckpt (on --resume: the run\'s own)', z.string().optional()),
  secondTeacher: str('a second teacher of the same scenario: the students learn from both (the mean of their logits, their hidden layers side by side, the mean of their values)', z.string().optional()),
  students: str("student profile JSON, or 'default' (agents/distill/profiles/<scenario>.json, else the scenario's student views)", z.string().optional(), { defaultLabel: "default; on --resume the run's own" }),
  steps: str('env steps of student rollouts (on --resume: may raise the run\'s budget)', intArg().positive().optional(), { defaultLabel: "the config's, 500000" }),
  envs: str('parallel envs', intArg().positive().optional(), { defaultLabel: "the config's" }),
  seed: common.configSeed(),
  variant: str(`loss preset: ${VARIANTS.join(', ')}`, z.enum(VARIANTS).optional(), { defaultLabel: "full; on --resume the run's own" }),
  config: common.config('JSON file with config fields (see --help-config)'),
  out: common.out('run directory', 'runs/<scenario>__distill-<variant>__<seed>__<time>'),
  resume: bool("continue the run in --out from its checkpoint, as it was configured (its config, teacher, students and seed)"),
  noProgress: bool('plain log lines instead of a progress bar'),
  helpConfig: bool('list every config field with its doc and default'),
  ...natsFlags,
});

type Args = Exclude<ReturnType<typeof command.parse>, 'help'>;
type RunSpec = { config: DistillConfig; teacher: string; secondTeacher?: string; students: string; variant: DistillVariant | undefined; runDir: string };

export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  if (args.helpConfig) {
    console.log(`config fields (JSON file for --config; any subset):\n${describeDistillConfig()}`);
    return 0;
  }
  if (args.nats) await checkNatsReachable(args.nats);
  const run = args.resume ? resumedRun(args) : newRun(args);
  const nats = natsOptionsOf(args, run.config.numEnvs);
  const producedBy = `kdmarl distill ${argv.join(' ')}`;
  const result = await distill({ ...run, resume: args.resume, producedBy, progress: !args.noProgress, nats });
  const e = result.lastEval;
  console.log(
    JSON.stringify({
      runDir: result.runDir,
      policy: result.policyPath,
      envSteps: result.envSteps,
      updates: result.updates,
      stopped: result.stopped,
      students: result.plans.map((p) => ({ agent: p.agent, observationSize: p.observationSize, hidden: p.hidden, flops: p.flops })),
      eval: e ? { meanReturn: e.meanReturn, returnCi95: e.returnCi95, winRate: e.winRate, episodes: e.episodes } : null,
    }),
  );
  return 0;
}

function newRun(args: Args): RunSpec {
  if (!args.scenario) throw new Error('--scenario: required (e.g. --scenario spread)');
  if (!args.teacher) throw new Error('--teacher: required (a teacher checkpoint, run or models directory)');
  const variant = args.variant ?? 'full';
  const config = resolveVariantConfig(args.scenario, variant, args.config ? readDistillConfigFile(args.config) : {}, Object.assign({}, ...Object.values(flagValues(args))));
  const scenario = resolveScenario(args.scenario).file.name;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = args.out ?? join('runs', `${scenario}__distill-${variant}__${config.seed}__${stamp}`);
  // Saved absolute in config.json, so a resume from another directory finds the same teacher.
  return { config, teacher: resolve(args.teacher), ...(args.secondTeacher === undefined ? {} : { secondTeacher: resolve(args.secondTeacher) }), students: args.students ?? 'default', variant, runDir };
}

/** The run in --out as it was configured; a flag that contradicts it is refused, naming both values. */
function resumedRun(args: Args): RunSpec {
  const runDir = args.out;
  if (!runDir) throw new Error('--resume needs --out DIR (the run to continue)');
  if (!existsSync(join(runDir, DISTILL_CHECKPOINT)) && existsSync(join(runDir, CHECKPOINT_FILE))) {
    throw new Error(`--resume: ${runDir} is a training run (${CHECKPOINT_FILE}): continue it with 'kdmarl train --resume --out ${runDir}'`);
  }
  const saved = readRunConfig(runDir, Object.keys(distillConfigSchema.shape));
  if (!saved) throw new Error(`--resume: ${join(runDir, 'config.json')} is missing; is ${runDir} a distillation run?`);
  const parsed = distillConfigSchema.safeParse(saved.config);
  if (!parsed.success) throw new Error(`${join(runDir, 'config.json')}: ${describeZodError(parsed.error)}`);
  const own = parsed.data;
  const scenario = resolveScenario(own.scenario).file.name;
  if (args.scenario !== undefined && resolveScenario(args.scenario).file.name !== scenario) {
    throw new Error(`--scenario ${args.scenario}: the run in ${runDir} distils on scenario ${scenario} (leave it out to continue the run as it was configured)`);
  }
  const ownTeacher = String(saved.extra.teacher ?? '');
  const teacher = checkSameSource('--teacher', args.teacher, ownTeacher, runDir);
  const ownSecond = saved.extra.secondTeacher === undefined ? undefined : String(saved.extra.secondTeacher);
  if (args.secondTeacher !== undefined && ownSecond === undefined) throw new Error(`--second-teacher ${args.secondTeacher}: the run in ${runDir} was started with one teacher (leave it out to continue the run as it was configured)`);
  const secondTeacher = ownSecond === undefined ? undefined : checkSameSource('--second-teacher', args.secondTeacher, ownSecond, runDir);
  const ownStudents = String(saved.extra.students ?? '(scenario defaults)');
  if (args.students !== undefined && !samePath(loadStudentProfile(args.students, scenario).path, ownStudents)) {
    throw new Error(`--students ${args.students}: the run in ${runDir} was started with --students ${ownStudents} (leave it out to continue the run as it was configured)`);
  }
  const ownVariant = saved.extra.variant as DistillVariant | undefined;
  if (args.variant !== undefined && ownVariant !== undefined && args.variant !== ownVariant) {
    throw new Error(`--variant ${args.variant}: the run in ${runDir} was started with --variant ${ownVariant} (leave it out to continue the run as it was configured)`);
  }
  const given: GivenValues<DistillConfig>[] = [];
  if (args.config) given.push({ source: `--config ${args.config}`, values: readDistillConfigFile(args.config) });
  if (args.variant !== undefined && ownVariant === undefined) given.push({ source: `--variant ${args.variant}`, values: DISTILL_VARIANTS[args.variant] });
  for (const [flag, values] of Object.entries(flagValues(args))) given.push({ source: `--${flag}`, values });
  const config = continueRunConfig(own, given, runDir);
  return { config, teacher, ...(secondTeacher === undefined ? {} : { secondTeacher }), students: ownStudents === '(scenario defaults)' ? 'default' : ownStudents, variant: ownVariant, runDir };
}

/** The config fields given as flags, by flag name. */
function flagValues(args: Args): Record<string, Partial<DistillConfig>> {
  return {
    ...(args.steps !== undefined ? { steps: { totalSteps: args.steps } } : {}),
    ...(args.envs !== undefined ? { envs: { numEnvs: args.envs } } : {}),
    ...(args.seed !== undefined ? { seed: { seed: args.seed } } : {}),
  };
}
