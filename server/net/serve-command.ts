import { pino, type Logger } from 'pino';
import { z } from 'zod';
import { bool, common, defineCommand, intArg, numArg, str } from '../../shared/cli-args.ts';
import type { NetServer } from './net-server.ts';
import { loadHttpHandler, remoteLines, startServer, tlsFromFlags } from './start-server.ts';
import { statusLine } from './status-line.ts';

export const serveCommand = defineCommand('serve', {
  scenario: common.scenario('spread'),
  agents: str('agent count for scenarios that take params.numAgents (spread), or the shipped N-robot variant <scenario>_N of a robot world', intArg().min(1).max(4096).optional()),
  host: str('address to bind (0.0.0.0: every interface, for agents on other machines)', z.string().default('127.0.0.1')),
  port: str('port (0: ephemeral)', intArg().min(0).max(65_535).default(0)),
  mode: str('lockstep or realtime', z.enum(['lockstep', 'realtime']).default('lockstep')),
  hz: str('realtime tick rate', numArg().positive().max(1000).default(10)),
  deadline: str('default per-agent deadline in ms', numArg().positive().max(60_000).default(50)),
  fallback: str('action for a late or missing answer: stop or hold (last action)', z.enum(['stop', 'hold']).default('stop')),
  seed: common.seed(0, 'episode seed'),
  tlsCert: str('serve wss:// and https:// with this PEM certificate (with --tls-key)', z.string().optional()),
  tlsKey: str('the PEM private key of --tls-cert', z.string().optional()),
  tokensFile: { ...common.tokensFile('where to write the slot tokens'), defaultLabel: 'a fresh 0700 temp dir' },
  noWait: bool('start ticking before every slot is claimed'),
  record: str('write a replay (msgpack: header then snapshots) to this file', z.string().optional()),
  statusEvery: str('seconds between status lines (0: none)', numArg().min(0).max(3600).default(10)),
  json: common.json('first stdout line: one JSON object with the URL and the tokens file; status lines as JSON'),
  logLevel: common.logLevel('warn'),
});

// `kdmarl up` and older callers import these from here.
export async function main(argv: string[]): Promise<number> {
  const args = serveCommand.parse(argv);
  if (args === 'help') return 0;
  const log = pino({ name: 'kdmarl-serve', level: args.logLevel }, pino.destination(2));
  const tls = tlsFromFlags(args.tlsCert, args.tlsKey);
  const { server, tokensFile } = await startServer({
    scenario: args.scenario,
    agents: args.agents,
    host: args.host,
    port: args.port,
    mode: args.mode,
    hz: args.hz,
    deadlineMs: args.deadline,
    fallback: args.fallback,
    seed: args.seed,
    waitForAgents: !args.noWait,
    record: args.record,
    tokensFile: args.tokensFile,
    logger: log,
    httpHandler: await loadHttpHandler(log),
    tls,
  });
  // Signals are handled before the ready line goes out: a launcher may stop us as soon as it reads it.
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  const viewer = `${server.httpUrl}?token=${server.controlToken}`;
  if (args.json) {
    console.log(JSON.stringify({ url: server.url, remoteUrls: server.remoteUrls, http: server.httpUrl, viewer, tokensFile, scenario: server.world.name, agents: server.world.agentCount, mode: server.mode }));
  } else {
    console.log(`kdmarl serve: ${server.url} (${server.world.name}, ${server.world.agentCount} agents, ${server.mode})`);
    for (const line of remoteLines(server)) console.log(line);
    console.log(`  slot tokens: ${tokensFile}`);
    console.log(`  viewer:      ${viewer}`);
  }
  const status = (): string => (args.json ? JSON.stringify(server.status()) : statusLine(server.status()));
  if (!args.noWait) announceWaiting(server, tokensFile, args.json, args.tlsCert);
  const every = args.statusEvery > 0 ? setInterval(() => console.log(status()), args.statusEvery * 1000) : null;
  await stopped;
  if (every) clearInterval(every);
  // Stop stepping before agents see the shutdown, so their leaving is not counted as misses.
  server.stopTicking();
  const final = status();
  await server.close();
  console.log(args.json ? `{"final":${final}}` : `final: ${final}`);
  return 0;
}

/** Until every slot is claimed the world does not tick: say which slots it waits for, and how to fill one. */
function announceWaiting(server: NetServer, tokensFile: string, json: boolean, cert: string | undefined): void {
  const free = (): number[] => server.status().agents.filter((a) => !a.connected).map((a) => a.slot);
  const say = (): void => {
    const slots = free();
    if (server.started || slots.length === 0) return;
    const total = server.world.agentCount;
    const line = `waiting for ${slots.length === 1 ? `slot ${slots[0]}` : `slots ${slots.join(', ')}`} (${total - slots.length} of ${total} claimed) before the first tick, or restart with --no-wait`;
    console.log(json ? JSON.stringify({ waiting: slots, claimed: total - slots.length, agents: total }) : line);
  };
  if (!json) console.log(`  one agent:   kdmarl agent --server ${server.url} --tokens-file ${tokensFile} --slot N${cert ? ` --ca ${cert}` : ''}`);
  say();
  const onClaim = (): void => {
    if (server.started || free().length === 0) {
      server.off('claim', onClaim);
      if (!json) console.log(`all ${server.world.agentCount} slots claimed: the world ticks`);
      return;
    }
    say();
  };
  server.on('claim', onClaim);
}
