import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { UsageError } from '../../shared/cli-args.ts';
import { NetServer, type HttpHandler, type NetServerOptions } from './net-server.ts';
import { readTlsFiles, type TlsFiles } from './tls-listener.ts';
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

/** `--tls-cert` and `--tls-key`, both or neither, read and checked; undefined: plain ws://. */
export function tlsFromFlags(cert: string | undefined, key: string | undefined): TlsFiles | undefined {
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined) throw new UsageError('--tls-key needs --tls-cert (the certificate the key belongs to)');
  if (key === undefined) throw new UsageError('--tls-cert needs --tls-key (the private key of the certificate)');
  return readTlsFiles(cert, key);
}

/**
 * Where other machines connect, for a terminal: nothing more when the server is bound to one
 * address (its URL is the one), else the URLs on this machine's addresses.
 */
export function remoteLines(server: NetServer): string[] {
  const remote = server.remoteUrls;
  if (remote.length === 1 && remote[0] === server.url) return [];
  if (remote.length === 0) return ['  other machines: none can connect (no network interface besides loopback)'];
  return [`  other machines: ${remote.join('  ')}`, `  their viewer:   ${remote[0].replace(/^ws/, 'http')}?token=${server.controlToken}`];
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
