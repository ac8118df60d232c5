import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { bool, common, defineCommand, intArg, str } from '../../shared/cli-args.ts';
import { fromRoot, newRunDir } from '../../shared/paths.ts';
import { describeConfig, readConfigFile, resolveConfig, type TrainConfig } from './config.ts';
import { train } from './trainer.ts';
import { CHECKPOINT_FILE, readCheckpoint } from './checkpoint.ts';
import { DISTILL_CHECKPOINT } from '../distill/distiller.ts';
import { continueRunConfig, type GivenValues } from '../run/resume.ts';
import { resolveScenario } from '../../server/scenarios/registry.ts';
import { checkNatsReachable } from './nats/connect.ts';
import { natsFlags, natsOptionsOf } from './nats/flags.ts';

const command = defineCommand('train', {
  scenario: str("scenario name or .json file (default: the --config file's scenario; required unless --help-config or --resume --out)", z.string().optional()),
  steps: str('total env steps (summed over envs)', intArg().positive().optional(), { defaultLabel: "the config's" }),
  envs: str('parallel envs', intArg().positive().optional(), { defaultLabel: "the config's" }),
  seed: common.configSeed(),
  workers: str('worker threads beside the learner: numEnvs are shared among workers + 1 ranks (0: one thread)', intArg().nonnegative().optional(), { defaultLabel: 'every core but one' }),
  config: common.config('JSON file with config fields (see --help-config)'),
  out: common.out('run dir', 'runs/<scenario>__mappo__<seed>__<time>'),
  resume: bool('continue the run in --out (or the newest run of this scenario and seed) as it was configured; only --steps may change'),
  initFrom: str('start from the weights of another run (checkpoint or run dir), e.g. a kdmarl imitate run; fresh optimizer and step counter', z.string().optional()),
  helpConfig: bool('list every config field with its doc'),
  ...natsFlags,
});

export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  if (args.helpConfig) {
    console.log(`config fields (JSON file for --config; any subset):\n${describeConfig()}`);
    return 0;
  }
  if (args.nats) await checkNatsReachable(args.nats);
  if (args.resume && args.initFrom) throw new Error('--init-from: not with --resume (a resumed run continues from its own checkpoint)');
  const fromFile = args.config ? readConfigFile(args.config) : {};
  const flags: Partial<TrainConfig> = {};
  if (args.steps !== undefined) flags.totalSteps = args.steps;
  if (args.envs !== undefined) flags.numEnvs = args.envs;
  if (args.seed !== undefined) flags.seed = args.seed;
  if (args.workers !== undefined) flags.workers = args.workers;
  if (args.nats) {
    // The batch comes whole from rollout workers on NATS; the learner's own ranks would have no envs to step.
    if (args.workers) throw new Error(`--workers ${args.workers}: not with --nats (the batch comes from 'kdmarl worker' processes; the learner runs in one thread)`);
    flags.workers = 0;
  }
  const given: GivenValues<TrainConfig>[] = [
    ...(args.config ? [{ source: `--config ${args.config}`, values: fromFile }] : []),
    ...Object.entries({ steps: 'totalSteps', envs: 'numEnvs', seed: 'seed', workers: 'workers' } as const).flatMap(([flag, key]) => (flags[key] !== undefined ? [{ source: `--${flag}`, values: { [key]: flags[key] } }] : [])),
  ];
  let runDir = args.out;
  let config: TrainConfig;
  if (args.resume) {
    if (!runDir) {
      if (!args.scenario) throw new Error('--resume: pass --out DIR (or --scenario to continue its newest run)');
      runDir = newestRun(labelOf(args.scenario), resolveConfig(args.scenario, fromFile, flags).seed);
    }
    config = resumedConfig(runDir, args.scenario, given);
  } else {
    // --scenario overrides the config file's scenario, as every flag overrides its field.
    const scenario = args.scenario ?? fromFile.scenario;
    if (!scenario) throw new Error(`--scenario: required (e.g. --scenario spread)${args.config ? `; ${args.config} names none` : ''}`);
    config = resolveConfig(scenario, fromFile, flags);
    runDir ??= newRunDir(labelOf(scenario), 'mappo', config.seed);
  }
  const producedBy = `kdmarl train ${argv.join(' ')}`;
  const nats = natsOptionsOf(args, config.numEnvs);
  const result = await train({ config, runDir, resume: Boolean(args.resume), initFrom: args.initFrom, producedBy, nats });
  console.log(JSON.stringify({ runDir: result.runDir, backend: result.backend, envSteps: result.envSteps, updates: result.updates, wallSeconds: Math.round(result.wallSeconds), agentSamplesPerSecond: Math.round(result.agentSamplesPerSecond), lastEval: result.lastEval }));
  return 0;
}

function newestRun(scenario: string, seed: number): string {
  const root = fromRoot('runs');
  const prefix = `${scenario}__mappo__${seed}__`;
  const dirs = existsSync(root) ? readdirSync(root).filter((d) => d.startsWith(prefix) && statSync(join(root, d)).isDirectory()).sort() : [];
  if (!dirs.length) throw new Error(`--resume: no run of '${scenario}' with seed ${seed} under ${root}; pass --out DIR`);
  return join(root, dirs[dirs.length - 1]);
}

/**
 * The config of the run in `runDir` (its config.json, else its checkpoint's), which a resume
 * continues; a value given now that contradicts it is refused, naming both (the budget may grow).
 */
function resumedConfig(runDir: string, scenario: string | undefined, given: GivenValues<TrainConfig>[]): TrainConfig {
  const savedPath = join(runDir, 'config.json');
  const checkpointPath = join(runDir, CHECKPOINT_FILE);
  if (existsSync(join(runDir, DISTILL_CHECKPOINT))) throw new Error(`--resume: ${runDir} is a distillation run (${DISTILL_CHECKPOINT}): continue it with 'kdmarl distill --resume --out ${runDir}'`);
  if (!existsSync(savedPath) && !existsSync(checkpointPath)) throw new Error(`--resume: no checkpoint at ${checkpointPath}`);
  const saved = existsSync(savedPath) ? readConfigFile(savedPath) : readCheckpoint(checkpointPath).config;
  if (!saved.scenario) throw new Error(`${savedPath}: no scenario`);
  // A run saved before `workers` existed ran in one thread.
  const own = resolveConfig(saved.scenario, { workers: 0, ...saved });
  if (scenario !== undefined && resolveScenario(scenario).file.name !== resolveScenario(own.scenario).file.name) {
    throw new Error(`--scenario ${scenario}: the run in ${runDir} trains on scenario ${own.scenario} (leave it out to continue the run as it was configured)`);
  }
  return continueRunConfig(own, given, runDir);
}

const labelOf = (scenario: string) => scenario.replace(/^.*\//, '').replace(/\.json$/, '');
