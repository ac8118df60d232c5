import { z } from 'zod';
import { common, defineCommand, intArg, numArg, str } from '../../shared/cli-args.ts';
import { newRunDir } from '../../shared/paths.ts';
import { readConfigFile, resolveConfig } from './config.ts';
import { DEFAULT_IMITATE, imitate } from './imitate.ts';
import { MICRO_SPECS_HELP } from '../baselines/smac-micro.ts';

const command = defineCommand('imitate', {
  scenario: common.requiredScenario(),
  expert: str(`who to imitate: 'scripted', ${MICRO_SPECS_HELP}, or a full-view policy file / run dir`, z.string({ error: 'required' })),
  episodes: str('episodes the expert plays first', intArg().positive().default(DEFAULT_IMITATE.demoEpisodes)),
  epochs: str('cloning epochs on them', intArg().positive().default(DEFAULT_IMITATE.epochs)),
  daggerRounds: str('DAgger rounds after cloning (0 = cloning only)', intArg().nonnegative().default(DEFAULT_IMITATE.daggerRounds)),
  daggerEpisodes: str('episodes the clone plays per round', intArg().positive().default(DEFAULT_IMITATE.daggerEpisodes)),
  daggerEpochs: str('epochs over the whole dataset per round', intArg().positive().default(DEFAULT_IMITATE.daggerEpochs)),
  batch: str('minibatch size', intArg().positive().default(DEFAULT_IMITATE.batchSize)),
  lr: str('Adam learning rate, falling linearly to 0 over each phase', numArg().positive().default(DEFAULT_IMITATE.lr)),
  seed: common.configSeed(),
  config: common.config("the train config (JSON) whose actor to build: use the one you will pass to 'kdmarl train --init-from'"),
  out: common.out('run dir', 'runs/<scenario>__imitate__<seed>__<time>'),
});

export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  const config = resolveConfig(args.scenario, args.config ? readConfigFile(args.config) : {}, args.seed !== undefined ? { seed: args.seed } : {});
  const settings = {
    expert: args.expert,
    demoEpisodes: args.episodes,
    epochs: args.epochs,
    daggerRounds: args.daggerRounds,
    daggerEpisodes: args.daggerEpisodes,
    daggerEpochs: args.daggerEpochs,
    batchSize: args.batch,
    lr: args.lr,
  };
  const label = args.scenario.replace(/^.*\//, '').replace(/\.json$/, '');
  const runDir = args.out ?? newRunDir(label, 'imitate', config.seed);
  const result = await imitate({ config, settings, runDir, producedBy: `kdmarl imitate ${argv.join(' ')}`, progress: true });
  const last = result.phases.at(-1);
  console.log(JSON.stringify({ runDir: result.runDir, backend: result.backend, wallSeconds: Math.round(result.wallSeconds), phases: result.phases.length, stopped: result.stopped, holdoutAccuracy: last?.holdoutAccuracy ?? null, evalWinRate: last?.evalWinRate ?? null, evalReturn: last?.evalReturn ?? null }));
  return 0;
}
