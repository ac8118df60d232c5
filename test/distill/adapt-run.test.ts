import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRoot } from '../../shared/paths.ts';
import type { AdaptResult } from '../../agents/distill/adapt-report.ts';
import { ensureCommandDist } from '../net/helpers/build-dist.ts';

/** The commands `kdmarl adapt` runs and the ones it starts as children. */
const COMMANDS = ['agents/distill/adapt-command.ts', 'agents/eval/eval-command.ts', 'agents/learn/train-command.ts', 'agents/distill/teacher-command.ts'];

let cli = '';
const dirs: string[] = [];
beforeAll(() => {
  cli = ensureCommandDist(COMMANDS);
});
/** Adapt processes still running when a test gave up on them: stopped the way the first test checks. */
const started = new Set<ChildProcess>();
afterAll(async () => {
  await Promise.all([...started].map((child) => new Promise((resolve) => child.once('close', resolve).kill('SIGTERM'))));
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
};

type AdaptRun = { code: number | null; signal: NodeJS.Signals | null; stderr: string[]; pidsAtStop: number[] };

/**
 * `kdmarl adapt` at a tiny size on 3m; `stopWhen` sees each stderr line and, when it returns true,
 * the test sends SIGTERM (recording which of the children it announced are running then).
 */
function adapt(outDir: string, extra: string[], stopWhen: (line: string) => boolean = () => false): Promise<AdaptRun> {
  const models = extra.includes('--models') ? [] : ['--models', fromRoot('models', '3m-mappo')];
  const args = [cli, 'adapt', '--scenario', '3m', ...models, '--change', 'enemy-health=1.2', '--episodes', '1', '--teacher-episodes', '1', '--out', outDir, ...extra];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  started.add(child);
  child.once('close', () => started.delete(child));
  const stderr: string[] = [];
  const pids: number[] = [];
  let pidsAtStop: number[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr.push(line);
    const pid = /\(pid (\d+)\)|: pid (\d+)$/.exec(line);
    if (pid) pids.push(Number(pid[1] ?? pid[2]));
    if (pidsAtStop.length === 0 && stopWhen(line)) {
      pidsAtStop = pids.filter(alive);
      child.kill('SIGTERM');
    }
  });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr, pidsAtStop })));
}

describe('kdmarl adapt, stopped and run', () => {
  it('on SIGTERM stops the online teacher and every agent process it started, says so in one line, and leaves only whole files', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'kdmarl-adapt-stop-'));
    dirs.push(outDir);
    // Stopped once the online teacher of the first arm has been started: agents and teacher run then.
    const run = await adapt(outDir, ['--minutes', '5'], (line) => /^adapt: run \(pid \d+\): kdmarl teacher /.test(line));
    // The online teacher and the three agent processes were running when the signal went.
    expect(run.pidsAtStop.length).toBeGreaterThanOrEqual(4);
    expect(run.code).toBe(143);
    expect(run.stderr.at(-1)).toMatch(/^adapt: stopped by SIGTERM; every process it started has exited; what was measured is in .*adapt-partial\.json$/);
    // The experiment waited for each child's exit before its own: none is left.
    expect(run.pidsAtStop.filter(alive)).toEqual([]);
    const partial = JSON.parse(readFileSync(join(outDir, 'adapt-partial.json'), 'utf8')) as { error: string; measured: { studentsAfter?: unknown } };
    expect(partial.error).toBe('stopped by SIGTERM');
    expect(partial.measured.studentsAfter).toBeDefined();
    expect(existsSync(join(outDir, 'adapt.json'))).toBe(false);
  }, 180_000);

  it('with --control runs a third arm on the unchanged world, in adapt.json and in the table of adapt.md', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'kdmarl-adapt-control-'));
    dirs.push(outDir);
    // The shipped pair, with a training config whose one fine-tuning update is small (32 env steps, one epoch).
    const models = join(outDir, 'models');
    mkdirSync(models);
    for (const file of ['checkpoint.ckpt', 'student.policy', 'students-profile.json']) copyFileSync(fromRoot('models', '3m-mappo', file), join(models, file));
    const config = JSON.parse(readFileSync(fromRoot('models', '3m-mappo', 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(models, 'config.json'), JSON.stringify({ ...config, numEnvs: 2, rolloutLength: 16, epochs: 1, evalEpisodes: 2 }));
    const run = await adapt(outDir, ['--models', models, '--control', '--minutes', '0.05', '--window', '1', '--finetune-steps', '1']);
    expect(run.code, run.stderr.slice(-5).join('\n')).toBe(0);
    expect(run.stderr).toContain('adapt: control arm: world swapped back to the unchanged one');
    const result = JSON.parse(readFileSync(join(outDir, 'adapt.json'), 'utf8')) as AdaptResult;
    expect(result.arms.map((a) => a.arm)).toEqual(['as-is', 'fine-tuned', 'control']);
    const control = result.arms[2];
    // Its retention is against the teacher on the world it ran on: the unchanged one.
    expect(control.teacher).toEqual(result.teacherBefore);
    expect(control.finetuneMinutes).toBeLessThan(control.onlineMinutes);
    expect(control.recoveredAtMinutes).toBeNull();
    expect(readFileSync(join(outDir, 'adapt.md'), 'utf8')).toMatch(/^\| control \| unchanged \| /m);
    // Seven kdmarl commands start (each loads tfjs) and three arms run: longer than the default bound on a loaded machine.
  }, 240_000);
});
