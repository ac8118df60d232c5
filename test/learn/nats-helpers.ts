import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Why NATS tests cannot run here, or null (CI installs Debian's nats-server). */
export function natsServerMissing(): string | null {
  const probe = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  return probe.error ? 'nats-server is not installed (apt-get install nats-server)' : null;
}

export type NatsServer = { url: string; port: number; stop(): Promise<void>; restart(): Promise<void> };

/** A JetStream nats-server on 127.0.0.1, on an ephemeral port read from its log, storing under a temp dir. */
export async function startNatsServer(): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kdmarl-nats-'));
  let child: ChildProcess;
  const launch = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      child = spawn('nats-server', ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
      // A test process that ends without afterAll (a timeout, a crash) does not leave the server behind.
      const own = child;
      const killOnExit = () => own.kill();
      process.once('exit', killOnExit);
      own.once('exit', () => process.off('exit', killOnExit));
      let log = '';
      let listening = 0;
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (chunk: string) => {
        log += chunk;
        const m = /Listening for client connections on 127\.0\.0\.1:(\d+)/.exec(log);
        if (m) listening = Number(m[1]);
        if (listening && log.includes('Server is ready')) resolve(listening);
      });
      child.on('exit', (code) => reject(new Error(`nats-server exited (${code}) before it was ready:\n${log}`)));
    });
  let port = await launch(-1);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return {
    get url() {
      return `nats://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    stop: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    // Same port and store: what a learner sees when its server goes away and comes back.
    restart: async () => {
      await stop();
      port = await launch(port);
    },
  };
}
