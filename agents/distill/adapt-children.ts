import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { writeFileAtomic } from '../../shared/atomic-write.ts';
import { fromRoot } from '../../shared/paths.ts';

/** How long a child asked to stop may take before it is killed. */
export const STOP_GRACE_MS = 10_000;

/** One `kdmarl` command the experiment started. */
export type CliChild = {
  pid: number;
  /** Its stdout when it exits with 0 (or after `stop`); rejects with its last stderr line otherwise. */
  done: Promise<string>;
  /** Resolves when the process has exited, however it ended. */
  exited: Promise<void>;
  /** SIGTERM, and SIGKILL if it is still there after STOP_GRACE_MS. */
  stop: () => void;
  /** SIGKILL now (a second Ctrl-C). */
  kill: () => void;
};

/**
 * The `kdmarl` commands an experiment runs as children (`node dist/cli.js <args>`), each with its
 * stderr saved in `logDir` when it exits. `stopAll` ends the ones still running and waits until
 * every one has exited, so that nothing outlives the experiment; a child whose parent is killed
 * (SIGKILL, no chance to stop it) stops by itself.
 */
export class CliChildren {
  private readonly running = new Set<CliChild>();
  private readonly logDir: string;
  private readonly log: (message: string) => void;

  constructor(logDir: string, log: (message: string) => void) {
    this.logDir = logDir;
    this.log = log;
  }

  start(args: string[], logName: string, env: Record<string, string> = {}): CliChild {
    const child = runCli(args, join(this.logDir, logName), this.log, env);
    this.running.add(child);
    void child.exited.then(() => this.running.delete(child));
    return child;
  }

  async stopAll(): Promise<void> {
    const all = [...this.running];
    for (const child of all) child.stop();
    await Promise.all(all.map((c) => c.exited));
  }

  /** SIGKILL every one still running, without waiting. */
  killAll(): void {
    for (const child of this.running) child.kill();
  }
}

function runCli(args: string[], logPath: string, log: (m: string) => void, env: Record<string, string>): CliChild {
  // The IPC channel closes when this process dies, even by SIGKILL: the child then stops (launcher-link.ts).
  const child = spawn(process.execPath, [fromRoot('dist', 'cli.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  let stopping = false;
  let killTimer: NodeJS.Timeout | null = null;
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.length > 1_000_000) stderr = stderr.slice(-100_000);
  });
  // The pid is in the log so that whoever watches the experiment can see what it runs.
  log(`run (pid ${child.pid}): kdmarl ${args.join(' ')}`);
  let markExited: () => void = () => {};
  const exited = new Promise<void>((resolve) => (markExited = resolve));
  const done = new Promise<string>((resolve, reject) => {
    child.on('error', (error) => {
      markExited();
      reject(error);
    });
    child.on('exit', (code, signal) => {
      if (killTimer) clearTimeout(killTimer);
      writeFileAtomic(logPath, stderr);
      markExited();
      if (signal === 'SIGKILL' && stopping) log(`kdmarl ${args[0]} did not stop within ${STOP_GRACE_MS / 1000} s of SIGTERM: killed`);
      if (code === 0 || (stopping && signal !== null)) resolve(stdout);
      else reject(new Error(`kdmarl ${args[0]} exited with ${code ?? signal}: ${stderr.trim().split('\n').at(-1) ?? ''}`));
    });
  });
  // Nobody may be awaiting `done` when a stopped child exits.
  done.catch(() => {});
  const stop = (): void => {
    if (stopping || child.exitCode !== null || child.signalCode !== null) return;
    stopping = true;
    child.kill('SIGTERM');
    killTimer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  };
  return { pid: child.pid ?? -1, done, exited, stop, kill: () => child.kill('SIGKILL') };
}
