import { existsSync, readFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import { bool, common, defineCommand, intArg, numArg, str, UsageError } from '../../shared/cli-args.ts';
import { fromRoot } from '../../shared/paths.ts';
import type { SlotInfo, WelcomeMessage } from '../../shared/handshake-protocol.ts';
import { resolveStudent, studentProfileSchema, type Caps } from '../../shared/student-profile.ts';
import { CapError, loadPolicySource } from '../policy-source.ts';
import { groupSlots } from './agent-groups.ts';
import { slotSpec } from '../../shared/slot-spec.ts';
import { lidarMismatch } from '../../server/robots/lidar-mismatch.ts';
import { scriptedPolicies } from '../baselines/scripted.ts';
import { defaultProfilePath } from '../distill/student-plan.ts';
import { builtinScenarios } from '../../server/scenarios/registry.ts';
import { AgentLauncher } from '../../server/net/agent-launcher.ts';
import { loadHttpHandler, remoteLines, startServer, tlsFromFlags } from '../../server/net/start-server.ts';
import { statusLine } from '../../server/net/status-line.ts';
import { WorldSession } from '../../server/net/world-session.ts';

const command = defineCommand('up', {
  scenario: str('scenario name or .json file', z.string().optional(), { defaultLabel: "'3m' where it exists, else 'spread'" }),
  model: str('policy for every agent: a policy file, scripted or random', z.string().optional(), { defaultLabel: 'models/<scenario>/student.policy, else scripted' }),
  mode: str('realtime (watchable) or lockstep (as fast as agents answer)', z.enum(['realtime', 'lockstep']).default('realtime')),
  hz: str('realtime tick rate', numArg().positive().max(1000).default(10)),
  host: str('address to bind (0.0.0.0: every interface, for agents on other machines)', z.string().default('127.0.0.1')),
  tlsCert: str('serve wss:// and https:// with this PEM certificate (with --tls-key); local agents trust it', z.string().optional()),
  tlsKey: str('the PEM private key of --tls-cert', z.string().optional()),
  port: str('port (0: ephemeral)', intArg().min(0).max(65_535).default(0)),
  deadline: str('deadline (ms) where the profile gives none', numArg().positive().max(60_000).default(50)),
  fallback: str('action for a late answer: stop or hold', z.enum(['stop', 'hold']).default('stop')),
  noCaps: bool("ignore the scenario profile's compute caps"),
  agentsPerProcess: str(
    'slots each agent process serves (kdmarl agent --host-slots): fewer processes for big rosters; a crash restarts the whole process',
    intArg().min(1, 'expected 1 or more slots per process').max(1024).default(1),
  ),
  noRestart: bool('do not restart crashed agent processes'),
  duration: str('stop after this many seconds', numArg().positive().optional(), { defaultLabel: 'run until Ctrl-C' }),
  record: str('write a replay of the run to this file', z.string().optional()),
  json: common.json('status as one JSON line per second instead of a live line'),
  logLevel: common.logLevel('warn'),
});

/** The shipped model for a scenario, or null (then the labelled scripted stand-in runs). */
export function shippedModel(scenario: string): string | null {
  const path = fromRoot('models', scenario, 'student.policy');
  return existsSync(path) ? path : null;
}

/** Per-slot caps from the scenario's own shipped student profile (agents/distill/profiles/<scenario>.json). */
export function profileCaps(world: WorldSession, log: Logger): Caps[] {
  const path = defaultProfilePath(world.name);
  if (!existsSync(path)) return world.sim.agentNames.map(() => ({}));
  const parsed = studentProfileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    log.warn({ path }, 'student profile does not validate; running without caps');
    return world.sim.agentNames.map(() => ({}));
  }
  return world.sim.agentNames.map((agent, i) => resolveStudent(parsed.data, agent, world.agentTypes[i]).caps);
}

/**
 * Would every slot's agent accept this model? The checks the agent process makes once welcomed
 * (file loads, FLOPs cap, scenario, observation and action sizes), made here against the world
 * before anything starts, so a model that cannot run is one error line instead of agents that
 * refuse and slots that stay empty. Throws that line.
 */
export async function checkModel(model: string, world: WorldSession, caps: readonly Caps[]): Promise<void> {
  const refuse = (error: unknown, where = ''): never => {
    const message = (error as Error).message;
    if (message.startsWith('--model: ')) throw new UsageError(`${message}${where}`);
    const own = message.startsWith(`${model}: `) ? message.slice(model.length + 2) : message;
    throw new UsageError(`--model ${model}: ${own}${where}`);
  };
  for (let slot = 0; slot < world.agentCount; slot++) {
    const agent = world.sim.agentNames[slot];
    const where = ` (slot ${slot}, ${agent}${caps[slot].flops !== undefined ? `, FLOPs cap ${caps[slot].flops}` : ''})`;
    const source = await loadPolicySource(model, { flopsCap: caps[slot].flops, inputMismatchNote: lidarMismatch }).catch((error: unknown) => refuse(error, error instanceof CapError ? where : ''));
    // Scripted agents read the layout the server sends when they connect; a scenario without a
    // heuristic for some agent (passage) is refused here rather than by every agent process.
    if (source.kind === 'scripted') {
      try {
        scriptedPolicies(world.name, world.sim);
      } catch (error) {
        refuse(error);
      }
      return;
    }
    if (source.kind !== 'file') return;
    const scenario = source.scenario ?? world.name;
    if (scenario !== world.name && !world.name.startsWith(`${scenario}_`)) refuse(new Error(`a policy for scenario '${scenario}', up runs '${world.name}' (--scenario)`));
    try {
      const view = source.viewByAgent ? source.viewByAgent[agent] : source.view;
      if (source.viewByAgent && !view) throw new Error(`the policy has no net for ${agent}; it has: ${Object.keys(source.viewByAgent).join(', ')}`);
      const compiled = world.compileStudentView(slot, view);
      const info = { slot, agent, observationSize: compiled.size, actionCount: world.sim.actionCounts[slot], labels: [...compiled.labels] } as SlotInfo;
      await source.forSlot(info, { scenario: world.name } as WelcomeMessage);
    } catch (error) {
      refuse(error, where);
    }
  }
}

/** The status line's note on slots whose agent crashed and is not back yet. */
export function restartingNote(slots: readonly number[]): string {
  return slots.length > 0 ? ` | restarting ${slotSpec(slots)}` : '';
}

export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  // --json: every stdout line is one JSON object.
  const say = (json: object, text: string): void => console.log(args.json ? JSON.stringify(json) : text);
  const log = pino({ name: 'kdmarl-up', level: args.logLevel }, pino.destination(2));
  const scenario = args.scenario ?? (builtinScenarios().has('3m') ? '3m' : 'spread');
  const capsFor = (world: WorldSession): Caps[] => (args.noCaps ? world.sim.agentNames.map(() => ({})) : profileCaps(world, log));
  const checked = new WorldSession({ scenario });
  await checkModel(args.model ?? shippedModel(checked.name) ?? 'scripted', checked, capsFor(checked));
  const tls = tlsFromFlags(args.tlsCert, args.tlsKey);
  const { server, tokensFile } = await startServer({
    scenario,
    host: args.host,
    port: args.port,
    mode: args.mode,
    hz: args.hz,
    deadlineMs: args.deadline,
    fallback: args.fallback,
    record: args.record,
    logger: log,
    httpHandler: await loadHttpHandler(log),
    tls,
  });
  let stop = (): void => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    // Unref'd: after Ctrl-C the process exits once stopped, not when the duration would have ended.
    if (args.duration !== undefined) setTimeout(resolve, args.duration * 1000).unref();
  });
  // The agents it starts trust the server's own certificate (self-signed or not). A warm spare
  // takes over one slot, so processes that serve several restart as new processes instead.
  const grouped = args.agentsPerProcess > 1;
  const launcher = new AgentLauncher({ url: server.url, log, restart: !args.noRestart, spares: !args.noRestart && !grouped, ca: args.tlsCert });
  // Agents that refused their model are not restarted: when every slot's did, nothing would ever run.
  const refused = new Set<number>();
  // The launcher knows a process by its first slot; these are all the slots it serves.
  const slotsOf = new Map<number, number[]>();
  const groupOf = (slot: number): number[] => slotsOf.get(slot) ?? [slot];
  const launch = (): void => {
    refused.clear();
    slotsOf.clear();
    const model = args.model ?? shippedModel(server.world.name) ?? 'scripted';
    const caps = capsFor(server.world);
    const label = model === 'scripted' || model === 'random' ? `${model} stand-in (no trained student shipped for ${server.world.name})` : model;
    const groups = groupSlots(caps, args.agentsPerProcess);
    const processes = grouped ? ` in ${groups.length} agent process${groups.length === 1 ? '' : 'es'} (up to ${args.agentsPerProcess} slots each)` : '';
    say({ agents: server.world.agentCount, processes: groups.length, model, label }, `agents: ${server.world.agentCount} x ${label}${processes}`);
    for (const group of groups) {
      const [slot] = group;
      slotsOf.set(slot, group);
      const spec = { slot, token: server.tokens[slot], model, caps: caps[slot] };
      // One slot keeps today's claim (token in the environment); more read theirs from the tokens file.
      launcher.start(group.length === 1 ? spec : { ...spec, hostSlots: slotSpec(group), tokensFile });
    }
  };
  // Which process serves which slots, so an operator (or a test) can find the one to stop.
  launcher.on('spawned', (slot, pid) => {
    if (groupOf(slot).length > 1) say({ spawned: groupOf(slot), pid }, `agent process ${pid}: slots ${slotSpec(groupOf(slot))}`);
  });
  launcher.on('exited', (slot, code, signal, expected, lastLine) => {
    if (expected || code === 0) return;
    const slots = groupOf(slot);
    const who = slots.length === 1 ? `agent ${slot}` : `agent process for slots ${slotSpec(slots)}`;
    if (code === 2) {
      const reason = lastLine.replace(/^kdmarl agent: /, '');
      say({ refused: slot, slots, reason }, `\n${who} refused to run, not restarting: ${reason}`);
      for (const s of slots) refused.add(s);
      if (refused.size === server.world.agentCount) {
        console.error('kdmarl up: every agent refused its model; stopping');
        stop();
      }
    } else {
      const restart = args.noRestart ? 'not restarting' : slots.length === 1 ? 'restarting' : `restarting all ${slots.length}`;
      say({ crashed: slot, slots, code, signal, lastLine }, `\n${who} crashed (code ${code}, signal ${signal}); ${restart}${lastLine ? `: ${lastLine}` : ''}`);
    }
  });
  const viewer = `${server.httpUrl}?token=${server.controlToken}`;
  say(
    { url: server.url, remoteUrls: server.remoteUrls, http: server.httpUrl, viewer, tokensFile, scenario: server.world.name, agents: server.world.agentCount, mode: server.mode },
    [`kdmarl up: ${server.world.name}, ${server.mode}${server.mode === 'realtime' ? ` at ${server.hz} Hz` : ''}`, `  viewer: ${viewer}`, `  server: ${server.url}  (slot tokens: ${tokensFile})`, ...remoteLines(server)].join('\n'),
  );
  launch();
  server.on('scenario', () => {
    void launcher.stopAll().then(launch);
  });

  const tty = process.stdout.isTTY === true && !args.json;
  const status = setInterval(() => {
    const s = server.status();
    const restarting = launcher.restarting().flatMap(groupOf);
    const line = statusLine(s) + restartingNote(restarting);
    if (args.json) console.log(JSON.stringify({ ...s, restarting }));
    else if (tty) process.stdout.write(`\r\x1b[2K${line}`.slice(0, (process.stdout.columns ?? 200) + 5));
    else console.log(line);
  }, 1000);

  await stopped;
  clearInterval(status);
  if (tty) process.stdout.write('\n');
  if (!args.json) console.log('stopping agents...');
  // Agents leaving at shutdown are not misses.
  server.stopTicking();
  await launcher.stopAll();
  const final = server.status();
  await server.close();
  console.log(args.json ? JSON.stringify({ final }) : `final: ${statusLine(final)}`);
  return refused.size === server.world.agentCount ? 1 : 0;
}
