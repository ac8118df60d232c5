import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { bool, common, defineCommand, intArg, numArg, str, UsageError } from '../../shared/cli-args.ts';
import { fromRoot } from '../../shared/paths.ts';
import { resolveScenario } from '../../server/scenarios/registry.ts';
import { applyWorldChange, parseWorldChange, WORLD_CHANGES } from '../../server/scenarios/world-change.ts';
import { runAdaptExperiment } from './adapt-experiment.ts';

const changeHelp = Object.entries(WORLD_CHANGES).map(([name, c]) => `${name} (${c.applies}: ${c.doc})`).join('; ');

const command = defineCommand(
  'adapt',
  {
    scenario: common.scenario('3m'),
    change: str(`the world change, NAME=FACTOR: ${changeHelp}`, z.string({ error: 'required, e.g. enemy-health=1.2' })),
    models: str("folder with the teacher's checkpoint.ckpt and config.json, the students' student.policy (and students-profile.json, else the scenario's profile)", z.string().optional(), { defaultLabel: 'models/<scenario>-mappo, else models/<scenario>' }),
    minutes: str('online distillation per arm, wall-clock minutes', numArg().positive().max(600).default(15)),
    finetuneSteps: str('env steps of MAPPO fine-tuning of the teacher on the changed world (second arm)', intArg().positive().default(100_000)),
    episodes: str("networked episodes for the students' score before and after the change", intArg().positive().default(200)),
    teacherEpisodes: str('greedy episodes per teacher evaluation', intArg().positive().default(500)),
    window: str('seconds per point of the retention curve', numArg().positive().default(60)),
    deadline: str("ms the server waits for an agent's answer (lockstep)", numArg().positive().max(60_000).default(250)),
    control: bool('also run a control arm: fresh students and the teacher as it is, distilling online for --minutes on the world left unchanged (how far the curve moves with nothing to recover from)'),
    out: common.out('where adapt.json, adapt.md, adapt.svg and the runs go', 'runs/adapt__<scenario>__<time>'),
  },
  'Online adaptation: run the shipped students on the network, change the world, then distil online from the teacher as it is and from the teacher fine-tuned on the changed world (and, with --control, on the unchanged world); retention against wall time. SIGTERM or Ctrl-C stops it with every process it started; a second one kills them at once.',
);

export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  const scenario = underFlag('--scenario', () => resolveScenario(args.scenario));
  const change = underFlag('--change', () => {
    const parsed = parseWorldChange(args.change);
    applyWorldChange(scenario, parsed);
    return parsed;
  });
  const models = args.models ?? [fromRoot('models', `${args.scenario}-mappo`), fromRoot('models', args.scenario)].find(existsSync) ?? fromRoot('models', args.scenario);
  if (!existsSync(models)) throw new UsageError(`--models ${models}: no such folder`);
  for (const file of ['checkpoint.ckpt', 'student.policy', 'config.json']) {
    if (!existsSync(join(models, file))) throw new UsageError(`--models ${models}: no ${file} there (the teacher checkpoint, the students and the teacher's training config)`);
  }
  // The students' profile sits beside them, else it is the scenario's shipped one.
  const ownProfile = join(models, 'students-profile.json');
  const profile = existsSync(ownProfile) ? ownProfile : 'default';
  const outDir = args.out ?? `runs/adapt__${args.scenario}__${new Date().toISOString().replace(/[:.]/g, '-')}`;
  // A signal stops the experiment where it is, with everything it started (the server, the agent
  // processes, the online teacher, evaluations, fine-tuning): Node's default would leave them running.
  // A second signal while it stops kills them all at once.
  const stop = new AbortController();
  const hurry = new AbortController();
  const log = (m: string) => process.stderr.write(`adapt: ${m}\n`);
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) {
      if (hurry.signal.aborted) return;
      hurry.abort(signal);
      process.exit(128 + constants.signals[stop.signal.reason as NodeJS.Signals]);
    }
    log(`${signal}: stopping the agents, the server and every command it started (send it again to kill them now)`);
    stop.abort(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  let result: Awaited<ReturnType<typeof runAdaptExperiment>>;
  try {
    result = await runAdaptExperiment({
      scenario: args.scenario,
      change,
      models,
      profile,
      minutes: args.minutes,
      finetuneSteps: args.finetuneSteps,
      episodes: args.episodes,
      teacherEpisodes: args.teacherEpisodes,
      windowSeconds: args.window,
      deadlineMs: args.deadline,
      control: args.control,
      outDir,
      command: `kdmarl adapt ${argv.join(' ')}`,
      log,
      signal: stop.signal,
      hurry: hurry.signal,
    });
  } catch (error) {
    if (!stop.signal.aborted) throw error;
    // The experiment said in one line where it stopped and where what it measured is.
    return 128 + constants.signals[stop.signal.reason as NodeJS.Signals];
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
  console.log(JSON.stringify({ outDir, retentionBefore: result.retentionBefore, retentionAfter: result.retentionAfter, arms: result.arms.map((a) => ({ arm: a.arm, recoveredAtMinutes: a.recoveredAtMinutes })) }));
  return 0;
}

/** `read()`, or the one line of what it threw, naming the flag. */
function underFlag<T>(flag: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}`);
  }
}
