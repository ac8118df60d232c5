#!/usr/bin/env node
/**
 * The `kdmarl` command: a thin dispatcher. Each subcommand lives beside what it drives and is
 * imported only when called, so `kdmarl agent` does not load the server or tfjs.
 */
type Command = { summary: string; load: () => Promise<{ main: (argv: string[]) => Promise<number | void> }> };

/** Commands in the order a newcomer meets them: run a world, learn, measure, look inside. */
const GROUPS: readonly { heading: string; commands: Readonly<Record<string, Command>> }[] = [
  {
    heading: 'run a world',
    commands: {
      up: { summary: 'start the server, one agent process per agent and the viewer; live status line', load: () => import('./agents/process/up-command.ts') },
      serve: { summary: 'run a scenario behind a WebSocket server for agent processes, a supervisor and the viewer', load: () => import('./server/net/serve-command.ts') },
      agent: { summary: 'one agent process (or a host of many slots) answering a server under compute caps', load: () => import('./agents/process/agent-loader.ts') },
      stress: { summary: 'run the decentralized system under latency, drops, kills and slow agents beside a clean run', load: () => import('./server/net/stress-command.ts') },
    },
  },
  {
    heading: 'train and distill',
    commands: {
      train: { summary: 'train a MAPPO teacher (CTDE) on a scenario', load: () => import('./agents/learn/train-command.ts') },
      imitate: { summary: 'clone an expert (scripted-micro, scripted, a policy) into the MAPPO actor, with DAgger rounds; then train --init-from', load: () => import('./agents/learn/imitate-command.ts') },
      distill: { summary: 'distill a frozen teacher into small heterogeneous students (KL, CE, SR, RA, teacher-guided GAE)', load: () => import('./agents/distill/distill-command.ts') },
      teacher: { summary: 'online distillation: supervise a running server and push improved students to its agents', load: () => import('./agents/distill/teacher-command.ts') },
      worker: { summary: 'a rollout worker for a learner on NATS (train --nats): any number, on any machine, joining and leaving at any time', load: () => import('./agents/learn/worker-command.ts') },
    },
  },
  {
    heading: 'measure',
    commands: {
      eval: { summary: 'greedy evaluation of a teacher, student or baseline on a fixed seed list', load: () => import('./agents/eval/eval-command.ts') },
      report: { summary: 'baselines and ablations over seeds: retention, FLOPs ratio, params, latency on both runtimes', load: () => import('./agents/report/report-command.ts') },
      handover: { summary: 'where a student loses its teacher\'s wins: the teacher takes over one phase (approach or fight) of SMAC episodes', load: () => import('./agents/eval/handover-command.ts') },
      adapt: { summary: 'online adaptation measured: change the world under the running students, distil online (teacher as is, and fine-tuned), retention against wall time', load: () => import('./agents/distill/adapt-command.ts') },
    },
  },
  {
    heading: 'deploy',
    commands: {
      export: { summary: 'write a policy as ONNX, C99 or JSON, one model per agent, for robots and other runtimes (optionally int8)', load: () => import('./agents/export/export-command.ts') },
    },
  },
  {
    heading: 'look inside',
    commands: {
      rollout: { summary: 'play given or random actions and print every step as JSON', load: () => import('./server/cli/rollout-command.ts') },
      scenarios: { summary: 'list scenarios, their agents, observation and action sizes', load: () => import('./server/cli/scenarios-command.ts') },
    },
  },
];

const COMMANDS: Readonly<Record<string, Command>> = Object.assign({}, ...GROUPS.map((g) => g.commands));

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const groups = GROUPS.map(({ heading, commands }) => `${heading}:\n${Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`).join('\n')}`);
  return `usage: kdmarl <command> [options]\n\n${groups.join('\n\n')}\n\nRun 'kdmarl <command> --help' for a command's options.`;
}

/** The package's version; cli.ts runs from the root (vitest) or dist/ (built), so look in both places. */
async function version(): Promise<string> {
  const { readFileSync, existsSync } = await import('node:fs');
  for (const rel of ['./package.json', '../package.json']) {
    const url = new URL(rel, import.meta.url);
    if (existsSync(url)) return `kdmarl ${(JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version}`;
  }
  return 'kdmarl (version unknown: no package.json beside the command)';
}

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) {
    // No command is a usage error: the usage goes to stderr, and the exit code says so.
    console.error(usage());
    return 2;
  }
  if (name === '--version' || name === '-v') {
    console.log(await version());
    return 0;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    console.error(`kdmarl: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  // Started by `kdmarl adapt` (with an IPC channel): stop when it dies. Agents have their own rule for it.
  if (name !== 'agent') (await import('./agents/process/launcher-link.ts')).stopWithLauncher();
  const module = await command.load();
  const code = await module.main(rest);
  return typeof code === 'number' ? code : 0;
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`kdmarl: ${error instanceof Error ? error.message : String(error)}`);
    if (process.env.KDMARL_DEBUG) console.error(error);
    process.exitCode = 1;
  },
);
