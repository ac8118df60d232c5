import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../agents/learn/checkpoint.ts';
import { fromRoot } from '../../shared/paths.ts';
import { ensureCommandDist } from '../net/helpers/build-dist.ts';

const COMMANDS = ['agents/distill/adapt-command.ts', 'agents/eval/eval-command.ts', 'agents/learn/train-command.ts', 'agents/distill/teacher-command.ts'];

let cli = '';
const dirs: string[] = [];
const servers: Server[] = [];
/** Adapt processes a failed test left running: killed, which is what these tests show ends everything. */
const running = new Set<ChildProcess>();
beforeAll(() => {
  cli = ensureCommandDist(COMMANDS);
});
afterAll(() => {
  running.forEach((child) => child.kill('SIGKILL'));
  servers.forEach((s) => s.close());
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

type Lifetime = { pid: number; argv: string[]; exited: Promise<void> };

/**
 * A socket every Node process started under `env` reports to (fixtures/report-lifetime.cjs):
 * 'started' for each, and each one's `exited` resolves when the kernel closes its connection.
 */
async function lifetimes(dir: string): Promise<{ env: NodeJS.ProcessEnv; events: EventEmitter<{ started: [Lifetime] }>; all: Lifetime[] }> {
  const path = join(dir, 'lifetimes.sock');
  const events = new EventEmitter<{ started: [Lifetime] }>();
  const all: Lifetime[] = [];
  const server = createServer((socket) => {
    const exited = once(socket, 'close').then(() => {});
    socket.on('error', () => {});
    createInterface({ input: socket }).once('line', (line) => {
      const { pid, argv } = JSON.parse(line) as { pid: number; argv: string[] };
      const lifetime = { pid, argv, exited };
      all.push(lifetime);
      events.emit('started', lifetime);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const preload = `--require ${fromRoot('test', 'distill', 'fixtures', 'report-lifetime.cjs')}`;
  return { env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${preload}`.trim(), KDMARL_TEST_LIFETIME_SOCKET: path }, events, all };
}

/** Resolves once `ready()` holds: checked now and on every change in `dir`. */
function whenIn(dir: string, ready: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const watcher = watch(dir, () => {
      if (!ready()) return;
      watcher.close();
      resolve();
    });
    if (ready()) {
      watcher.close();
      resolve();
    }
  });
}

const metricLines = (runDir: string): { update: number }[] => {
  const path = join(runDir, 'metrics.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l) as { update: number });
};

/** The shipped 3m pair in `outDir/models`, with `config` over the teacher's training config (the fine-tuning's). */
function models(outDir: string, config: Record<string, unknown>): string {
  const dir = join(outDir, 'models');
  mkdirSync(dir);
  for (const file of ['checkpoint.ckpt', 'student.policy', 'students-profile.json']) copyFileSync(fromRoot('models', '3m-mappo', file), join(dir, file));
  const shipped = JSON.parse(readFileSync(fromRoot('models', '3m-mappo', 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...shipped, ...config }));
  return dir;
}

/**
 * `kdmarl adapt` at a tiny size on 3m, every process it starts reporting its lifetime, with an
 * endless fine-tuning; resolves once the fine-tuning has logged its first update.
 */
async function adaptInFineTuning(outDir: string, modelsDir: string) {
  const { env, events, all } = await lifetimes(outDir);
  const train = new Promise<Lifetime>((resolve) => events.on('started', (l) => l.argv[1] === 'train' && resolve(l)));
  const args = [cli, 'adapt', '--scenario', '3m', '--models', modelsDir, '--change', 'enemy-health=1.2', '--episodes', '1', '--teacher-episodes', '1', '--minutes', '0.05', '--window', '1', '--finetune-steps', '100000000', '--out', outDir];
  const adapt = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(adapt);
  adapt.once('exit', () => running.delete(adapt));
  const lines = createInterface({ input: adapt.stderr });
  const stderr: string[] = [];
  lines.on('line', (line) => stderr.push(line));
  const exit = once(adapt, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const trainer = await train;
  const finetuneDir = join(outDir, 'finetuned-teacher');
  await whenIn(outDir, () => existsSync(finetuneDir));
  await whenIn(finetuneDir, () => metricLines(finetuneDir).length > 0);
  return { adapt, lines, stderr, exit, all, trainer, finetuneDir };
}

describe('kdmarl adapt, killed', () => {
  it('with SIGKILL leaves no process running, and the fine-tuning it started saves a whole checkpoint of its last update', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'kdmarl-adapt-kill-'));
    dirs.push(outDir);
    // Small fine-tuning updates (32 env steps, one epoch), no evaluation and no periodic
    // checkpoint: a checkpoint in its run dir is the one it saved on stopping.
    const modelsDir = models(outDir, { numEnvs: 2, rolloutLength: 16, epochs: 1, evalEvery: 0, checkpointEvery: 1_000_000, logEvery: 1 });
    const { adapt, stderr, exit, all, trainer, finetuneDir } = await adaptInFineTuning(outDir, modelsDir);
    adapt.kill('SIGKILL');
    expect((await exit)[1]).toBe('SIGKILL');

    // Every process adapt started (evaluations, agent processes, online teachers, the fine-tuning) has exited.
    await Promise.all(all.map((l) => l.exited));
    expect(all).toContain(trainer);
    // It stopped at an update boundary and saved: the checkpoint is the last update it logged.
    const checkpoint = readCheckpoint(join(finetuneDir, 'checkpoint.ckpt'));
    expect(checkpoint.progress.updates, stderr.slice(-5).join('\n')).toBe(metricLines(finetuneDir).at(-1)!.update);
    expect(checkpoint.progress.updates).toBeGreaterThanOrEqual(1);
  }, 240_000);

  it('with a second SIGTERM while it stops, kills every process it started at once and still writes adapt-partial.json', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'kdmarl-adapt-hurry-'));
    dirs.push(outDir);
    // The shipped fine-tuning config: updates of 1,600 env steps and 10 epochs, so a fine-tuning
    // asked to stop is still in its update when the second signal comes.
    const { adapt, lines, stderr, exit, all } = await adaptInFineTuning(outDir, models(outDir, {}));
    lines.on('line', (line) => {
      if (line.startsWith('adapt: SIGTERM: stopping')) adapt.kill('SIGTERM');
    });
    adapt.kill('SIGTERM');
    const [code] = await exit;
    expect(code, stderr.slice(-5).join('\n')).toBe(143);
    expect(stderr.at(-1)).toMatch(/^adapt: second SIGTERM: killed every process it started; what was measured is in .*adapt-partial\.json$/);
    await Promise.all(all.map((l) => l.exited));
    const partial = JSON.parse(readFileSync(join(outDir, 'adapt-partial.json'), 'utf8')) as { error: string; measured: { arms?: unknown[] } };
    expect(partial.error).toBe('stopped by SIGTERM');
    expect(partial.measured.arms).toHaveLength(1);
  }, 240_000);
});
