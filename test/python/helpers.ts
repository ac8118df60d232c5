import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { pino } from 'pino';
import { fromRoot } from '../../shared/paths.ts';
import { startServer } from '../../server/net/start-server.ts';
import type { NetServer, NetServerOptions } from '../../server/net/net-server.ts';

/** The Debian python, where python3-websockets, python3-msgpack and python3-numpy install. */
export const PYTHON = '/usr/bin/python3';

/** Why the Python tests cannot run here, or null when they can. */
export function pythonMissing(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import websockets, msgpack, numpy'], { encoding: 'utf8' });
  if (probe.error) return `${PYTHON} not found (apt-get install python3)`;
  if (probe.status !== 0) return `${PYTHON} lacks websockets, msgpack or numpy (apt-get install python3-websockets python3-msgpack python3-numpy)`;
  return null;
}

const started = { children: [] as ChildProcess[], servers: [] as NetServer[] };

export async function stopPython(): Promise<void> {
  for (const child of started.children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const server of started.servers.splice(0)) await server.close();
}

export async function pythonServer(options: Partial<NetServerOptions> & { scenario: string }): Promise<{ server: NetServer; tokensFile: string }> {
  const result = await startServer({ logger: pino({ level: 'silent' }), deadlineMs: 10_000, ...options });
  started.servers.push(result.server);
  return result;
}

export type PythonRun = { child: ChildProcess; stdout: () => string; stderr: () => string; exit: Promise<number | null> };

/** `python3 ARGS` with the package on PYTHONPATH; the output is kept for assertions. */
export function spawnPython(args: string[], env: NodeJS.ProcessEnv = {}): PythonRun {
  const child = spawn(PYTHON, args, {
    env: { ...process.env, PYTHONPATH: fromRoot('agents', 'python'), PYTHONUNBUFFERED: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.children.push(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** Resolve when `run`'s stdout has a line satisfying `accept` (the test timeout bounds it). */
export function stdoutLine(run: PythonRun, accept: (line: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (d: Buffer): void => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) {
        if (accept(line)) {
          run.child.stdout!.off('data', onData);
          resolve(line);
          return;
        }
      }
    };
    run.child.stdout!.on('data', onData);
    void run.exit.then((code) => reject(new Error(`python exited (${code}) before the line: ${run.stderr()}`)));
  });
}
