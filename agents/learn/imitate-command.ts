import { z } from 'zod';
import { intArg, parseCommand } from '../../shared/cli-args.ts';
import { newRunDir } from '../../shared/paths.ts';
import { readConfigFile, resolveConfig } from './config.ts';
import { DEFAULT_IMITATE, imitate } from './imitate.ts';
import { MICRO_SPECS_HELP } from '../baselines/smac-micro.ts';

const OPTIONS = {
  scenario: { type: 'string', help: 'scenario name or path to a scenario .json (required)' },
  expert: { type: 'string', help: `who to imitate: 'scripted', ${MICRO_SPECS_HELP}, or a full-view policy file / run dir (required)` },
  episodes: { type: 'string', help: `episodes the expert plays first (default ${DEFAULT_IMITATE.demoEpisodes})` },
  epochs: { type: 'string', help: `cloning epochs on them (default ${DEFAULT_IMITATE.epochs})` },
  'dagger-rounds': { type: 'string', help: `DAgger rounds after cloning (default ${DEFAULT_IMITATE.daggerRounds}; 0 = cloning only)` },
  'dagger-episodes': { type: 'string', help: `episodes the clone plays per round (default ${DEFAULT_IMITATE.daggerEpisodes})` },
  'dagger-epochs': { type: 'string', help: `epochs over the whole dataset per round (default ${DEFAULT_IMITATE.daggerEpochs})` },
  batch: { type: 'string', help: `minibatch size (default ${DEFAULT_IMITATE.batchSize})` },
  lr: { type: 'string', help: `Adam learning rate, falling linearly to 0 over each phase (default ${DEFAULT_IMITATE.lr})` },
  seed: { type: 'string', help: 'seed (default 1)' },
  config: { type: 'string', help: "the train config (JSON) whose actor to build: use the one you will pass to 'kdmarl train --init-from'" },
  out: { type: 'string', help: 'run dir (default runs/<scenario>__imitate__<seed>__<time>)' },
} as const;

const schema = z.object({
  scenario: z.string().optional(),
  expert: z.string().optional(),
  episodes: intArg().positive().optional(),
  epochs: intArg().positive().optional(),
  daggerRounds: intArg().nonnegative().optional(),
  daggerEpisodes: intArg().positive().optional(),
  daggerEpochs: intArg().positive().optional(),
  batch: intArg().positive().optional(),
  lr: z.coerce.number().positive().optional(),
  seed: intArg().nonnegative().optional(),
  config: z.string().optional(),
  out: z.string().optional(),
});

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand('imitate', argv, OPTIONS, schema);
  if (args === 'help') return 0;
  if (!args.scenario) throw new Error('--scenario: required (e.g. --scenario 3m)');
  if (!args.expert) throw new Error("--expert: required (e.g. --expert scripted-micro)");
  const config = resolveConfig(args.scenario, args.config ? readConfigFile(args.config) : {}, args.seed !== undefined ? { seed: args.seed } : {});
  const settings = {
    expert: args.expert,
    demoEpisodes: args.episodes ?? DEFAULT_IMITATE.demoEpisodes,
    epochs: args.epochs ?? DEFAULT_IMITATE.epochs,
    daggerRounds: args.daggerRounds ?? DEFAULT_IMITATE.daggerRounds,
    daggerEpisodes: args.daggerEpisodes ?? DEFAULT_IMITATE.daggerEpisodes,
    daggerEpochs: args.daggerEpochs ?? DEFAULT_IMITATE.daggerEpochs,
    batchSize: args.batch ?? DEFAULT_IMITATE.batchSize,
    lr: args.lr ?? DEFAULT_IMITATE.lr,
  };
  const label = args.scenario.replace(/^.*\//, '').replace(/\.json$/, '');
  const runDir = args.out ?? newRunDir(label, 'imitate', config.seed);
  const result = await imitate({ config, settings, runDir, producedBy: `kdmarl imitate ${argv.join(' ')}` });
  const last = result.phases[result.phases.length - 1];
  console.log(JSON.stringify({ runDir: result.runDir, backend: result.backend, wallSeconds: Math.round(result.wallSeconds), phases: result.phases.length, holdoutAccuracy: last.holdoutAccuracy, evalWinRate: last.evalWinRate, evalReturn: last.evalReturn }));
  return 0;
}
