import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RunLoop } from '../../agents/run/run-loop.ts';
import { prepareRunDir } from '../../agents/run/run-dir.ts';
import { readMetrics } from '../../agents/learn/metrics-log.ts';
import { writeFileAtomic } from '../../shared/atomic-write.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'kdmarl-run-loop-'));

function captureStderr(): string[] {
  const lines: string[] = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  });
  return lines;
}

describe('RunLoop', () => {
  afterEach(() => vi.restoreAllMocks());

  it('counts the budget in whole updates: the last progress line is 4800/4800 (100.0%), labelled by its job, with no win rate on a scenario without wins', async () => {
    const lines = captureStderr();
    const loop = new RunLoop({ label: 'distill', runDir: dir(), totalSteps: 4000, stepsPerUpdate: 1600, progress: true, hasWins: false, log: () => {} });
    let updates = 0;
    while (await loop.next()) {
      loop.advance(1600);
      updates++;
      loop.show({ episodeReturn: -3.5, winRate: 0 });
    }
    loop.close();
    expect(updates).toBe(3);
    expect(loop.plannedSteps).toBe(4800);
    expect(lines.at(-1)).toMatch(/^distill 4800\/4800 steps \(100\.0%\) \| \d+ steps\/s \| return -3\.50 \| ETA/);
    expect(lines.join('')).not.toMatch(/win|train/);
    for (const line of lines) expect(Number(/\((\d+\.\d)%\)/.exec(line)?.[1])).toBeLessThanOrEqual(100);
  });

  it('stops at the next boundary on SIGTERM, wakes a waiting job, and removes its handlers on close', async () => {
    const before = process.listenerCount('SIGTERM');
    const said: string[] = [];
    const loop = new RunLoop({ label: 'teacher', runDir: dir(), totalSteps: 0, progress: false, hasWins: true, log: (m) => said.push(m) });
    let woken = 0;
    loop.onStop(() => woken++);
    expect(await loop.next()).toBe(true);
    loop.advance(10);
    process.emit('SIGTERM');
    expect(await loop.next()).toBe(false);
    expect([loop.stopRequested, loop.last, loop.finished, woken]).toEqual([true, true, false, 1]);
    expect(said.join('\n')).toMatch(/teacher: stopping at the next boundary with a checkpoint/);
    loop.close();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  it('keeps cadence, maxUpdates and, on resume, wall time and only the metrics up to the checkpoint', async () => {
    const runDir = dir();
    writeFileSync(join(runDir, 'metrics.jsonl'), [1, 2, 3].map((update) => JSON.stringify({ global_step: update * 10, update, wall_seconds: 1 })).join('\n') + '\n');
    const loop = new RunLoop({ label: 'train', runDir, totalSteps: 100, start: { steps: 20, updates: 2, wallSeconds: 50 }, maxUpdates: 2, progress: false, hasWins: true, log: () => {} });
    const due: boolean[] = [];
    while (await loop.next()) {
      loop.advance(10);
      due.push(loop.every(2));
      loop.metrics.write(loop.metricLine());
    }
    loop.close();
    expect(due).toEqual([false, true]);
    expect(loop.every(0)).toBe(false);
    expect(loop.wallSeconds).toBeGreaterThanOrEqual(50);
    expect(readMetrics(loop.metrics.path).map((l) => [l.update, l.global_step])).toEqual([[1, 10], [2, 20], [3, 30], [4, 40]]);
    // A fresh start in the same dir begins a new log.
    new RunLoop({ label: 'train', runDir, totalSteps: 100, progress: false, hasWins: true, log: () => {} }).close();
    expect(readMetrics(loop.metrics.path)).toEqual([]);
  });

  it('prepareRunDir removes only the temporary files of interrupted atomic writes, and a resume needs its checkpoint', () => {
    const runDir = dir();
    writeFileAtomic(join(runDir, 'checkpoint.ckpt'), 'whole');
    writeFileSync(join(runDir, '.checkpoint.ckpt.4242.1700000000000.7.tmp'), 'half');
    writeFileSync(join(runDir, '.student.policy.99.1700000000001.0.tmp'), 'half');
    writeFileSync(join(runDir, '.notes.tmp'), 'not ours');
    expect(prepareRunDir(runDir, { file: 'checkpoint.ckpt', what: 'checkpoint', resume: true })).toBe(join(runDir, 'checkpoint.ckpt'));
    expect(readdirSync(runDir).sort()).toEqual(['.notes.tmp', 'checkpoint.ckpt']);
    expect(() => prepareRunDir(dir(), { file: 'distill.ckpt', what: 'distillation checkpoint', resume: true })).toThrow(/^--resume: no distillation checkpoint at .*distill\.ckpt$/);
    expect(existsSync(join(runDir, 'checkpoint.ckpt'))).toBe(true);
  });
});
