import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { NetServer, type HttpHandler, type NetServerOptions } from './net-server.ts';
import { writeTokensFile } from './tokens.ts';

/** The built viewer's static handler when it is there; the server shows a plain page otherwise. */
export async function loadHttpHandler(log: Logger): Promise<HttpHandler | undefined> {
  try {
    const mod = (await import('../http/static-handler.ts')) as { createStaticHandler?: () => HttpHandler };
    return mod.createStaticHandler?.();
  } catch (error) {
    log.debug({ err: (error as Error).message }, 'no static handler; serving a plain page');
    return undefined;
  }
}

/** A tokens file in a fresh 0700 temp dir (the caller removes the dir when done). */
export function defaultTokensPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'kdmarl-')), 'tokens.json');
}

/**
 * A listening server with its slot tokens written to `tokensFile` (rewritten when the scenario
 * switches). Without `tokensFile` the tokens go to a fresh temp dir, removed when the server closes.
 */
export async function startServer(options: NetServerOptions & { tokensFile?: string }): Promise<{ server: NetServer; tokensFile: string }> {
  if (options.record) checkWritable(options.record);
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
  if (options.tokensFile === undefined) {
    const dir = dirname(tokensFile);
    server.once('closed', () => rmSync(dir, { recursive: true, force: true }));
  }
  return { server, tokensFile };
}

/** A replay that cannot be written is refused before the world starts, not found empty afterwards. */
function checkWritable(path: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true });
    closeSync(openSync(path, 'w'));
  } catch (error) {
    throw new Error(`--record ${path}: cannot write it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}
