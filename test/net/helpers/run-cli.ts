import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ensureNetDist } from './build-dist.ts';

export type CliRun = { code: number | null; lines: string[]; stderr: string };

/** Run `node dist/cli.js ...`, collecting stdout lines; `onLine` sees each one and may stop the process (SIGTERM). */
export function runCli(args: string[], onLine: (line: string, stop: () => void) => void = () => undefined): Promise<CliRun> {
  const child = spawn(process.execPath, [ensureNetDist(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(line);
    onLine(line, () => child.kill('SIGTERM'));
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, lines, stderr })));
}
