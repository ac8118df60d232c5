import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { bool, common, defineCommand, intArg, str } from '../../shared/cli-args.ts';
import { fromRoot, newRunDir } from '../../shared/paths.ts';
import { describeConfig, readConfigFile, resolveConfig, type TrainConfig } from './config.ts';
import { train } from './trainer.ts';

const command = defineCommand('train', {
  scenario: str('scenario name or .json file (required unless --help-config)', z.string().optional()),
  steps: str('total env steps (summed over envs)', intArg().positive().optional(), { defaultLabel: "the config's" }),
  envs: str('parallel envs', intArg().positive().optional(), { defaultLabel: "the config's" }),
  seed: common.configSeed(),
  config: common.config('JSON file with config fields (see --help-config)'),
  out: common.out('run dir', 'runs/<scenario>__mappo__<seed>__<time>'),
  resume: bool('continue the run in --out (or the newest run of this scenario and seed)'),
  initFrom: str('start from the weights of another run (checkpoint or run dir), e.g. a kdmarl imitate run; fresh optimizer and step counter', z.string().optional()),
  helpConfig: bool('list every config field with its doc'),
});

export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  if (args.helpConfig) {
    console.log(`config fields (JSON file for --config; any subset):\n${describeConfig()}`);
    return 0;
  }
  if (!args.scenario) throw new Error('--scenario: required (e.g. --scenario spread)');
  if (args.resume && args.initFrom) throw new Error('--init-from: not with --resume (a resumed run continues from its own checkpoint)');
  const fromFile = args.config ? readConfigFile(args.config) : {};
  const flags: Partial<TrainConfig> = {};
  if (args.steps !== undefined) flags.totalSteps = args.steps;
  if (args.envs !== undefined) flags.numEnvs = args.envs;
  if (args.seed !== undefined) flags.seed = args.seed;
  let config = resolveConfig(args.scenario, fromFile, flags);
  const scenarioLabel = args.scenario.replace(/^.*\//, '').replace(/\.json$/, '');
  let runDir = args.out;
  if (args.resume) {
    runDir ??= newestRun(scenarioLabel, config.seed);
    // The resumed run keeps its own config; flags given now (e.g. more --steps) override it.
    const saved = join(runDir, 'config.json');
    if (existsSync(saved)) config = resolveConfig(args.scenario, { ...readConfigFile(saved), ...fromFile }, flags);
  }
  runDir ??= newRunDir(scenarioLabel, 'mappo', config.seed);
  const producedBy = `kdmarl train ${argv.join(' ')}`;
  const result = await train({ config, runDir, resume: Boolean(args.resume), initFrom: args.initFrom, producedBy });
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
