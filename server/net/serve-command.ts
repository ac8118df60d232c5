import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { z } from 'zod';
import { intArg, numArg, parseCommand } from '../../shared/cli-args.ts';
import { NetServer, type HttpHandler, type NetServerOptions } from './net-server.ts';
import { writeTokensFile } from './tokens.ts';

export const serveOptions = {
  scenario: { type: 'string', help: 'scenario name or .json file (default spread)' },
  agents: { type: 'string', help: 'agent count for scenarios that take params.numAgents (spread)' },
  host: { type: 'string', help: 'address to bind (default 127.0.0.1)' },
  port: { type: 'string', help: 'port (default 0: ephemeral)' },
  mode: { type: 'string', help: 'lockstep (default) or realtime' },
  hz: { type: 'string', help: 'realtime tick rate (default 10)' },
  deadline: { type: 'string', help: 'default per-agent deadline in ms (default 50)' },
  fallback: { type: 'string', help: 'action for a late or missing answer: stop (default) or hold (last action)' },
  seed: { type: 'string', help: 'episode seed (default 0)' },
  'tokens-file': { type: 'string', help: 'where to write the slot tokens (default a fresh 0700 temp dir)' },
  'no-wait': { type: 'boolean', help: 'start ticking before every slot is claimed' },
  record: { type: 'string', help: 'write a replay (msgpack: header then snapshots) to this file' },
  json: { type: 'boolean', help: 'first stdout line: one JSON object with the URL and the tokens file' },
  'log-level': { type: 'string', help: 'pino level on stderr (default info)' },
} as const;

export const serveSchema = z.object({
  scenario: z.string().default('spread'),
  agents: intArg().min(1).max(4096).optional(),
  host: z.string().default('127.0.0.1'),
  port: intArg().min(0).max(65_535).default(0),
  mode: z.enum(['lockstep', 'realtime']).default('lockstep'),
  hz: numArg().positive().max(1000).default(10),
  deadline: numArg().positive().max(60_000).default(50),
  fallback: z.enum(['stop', 'hold']).default('stop'),
  seed: intArg().default(0),
  tokensFile: z.string().optional(),
  noWait: z.boolean().default(false),
  record: z.string().optional(),
  json: z.boolean().default(false),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
});

/** The viewer engineer's static handler when it is there; the server shows a plain page otherwise. */
export async function loadHttpHandler(log: Logger): Promise<HttpHandler | undefined> {
  try {
    const mod = (await import('../http/static-handler.ts')) as { createStaticHandler?: () => HttpHandler };
    return mod.createStaticHandler?.();
  } catch (error) {
    log.debug({ err: (error as Error).message }, 'no static handler; serving a plain page');
    return undefined;
  }
}

export function defaultTokensPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'kdmarl-')), 'tokens.json');
}

export async function startServer(options: NetServerOptions & { tokensFile?: string }): Promise<{ server: NetServer; tokensFile: string }> {
  const server = new NetServer(options);
  await server.listen();
  const tokensFile = options.tokensFile ?? defaultTokensPath();
  const write = (): void =>
    writeTokensFile(tokensFile, {
      url: server.url,
      scenario: server.world.name,
      control: server.controlToken,
      slots: server.tokens.map((token, slot) => ({ slot, agent: server.world.sim.agentNames[slot], token })),
    });
  write();
  server.on('scenario', write);
  return { server, tokensFile };
}

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand('serve', argv, serveOptions, serveSchema);
  if (args === 'help') return 0;
  const log = pino({ name: 'kdmarl-serve', level: args.logLevel }, pino.destination(2));
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
  });
  // Signals are handled before the ready line goes out: a launcher may stop us as soon as it reads it.
  const stopped = new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  const viewer = `${server.httpUrl}?token=${server.controlToken}`;
  if (args.json) {
    console.log(JSON.stringify({ url: server.url, http: server.httpUrl, viewer, tokensFile, scenario: server.world.name, agents: server.world.agentCount, mode: server.mode }));
  } else {
    console.log(`kdmarl serve: ${server.url} (${server.world.name}, ${server.world.agentCount} agents, ${server.mode})`);
    console.log(`  slot tokens: ${tokensFile}`);
    console.log(`  viewer:      ${viewer}`);
  }
  await stopped;
  await server.close();
  return 0;
}
