import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { train } from '../../agents/learn/trainer.ts';
import { main as trainMain } from '../../agents/learn/train-command.ts';
import { CHECKPOINT_FILE, readCheckpoint } from '../../agents/learn/checkpoint.ts';
import { resolveConfig } from '../../agents/learn/config.ts';
import { envShares } from '../../agents/learn/parallel/rank.ts';
import { tinyConfig } from './helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'kdmarl-parallel-fail-'));
const quiet = () => {};

describe('a data-parallel run whose worker stops', () => {
  for (const how of ['throw', 'exit'] as const) {
    it(`stops with one line naming the worker (${how}), keeps the last checkpoint, and resumes`, async () => {
      const runDir = join(root, how);
      const config = tinyConfig({ workers: 1, checkpointEvery: 1, totalSteps: 10_000 });
      const run = train({ config, runDir, resume: false, producedBy: 'test', progress: false, maxUpdates: 4, log: quiet, fault: { rank: 1, update: 1, how } });
      const reason = how === 'throw' ? 'injected failure at update 1' : 'its thread exited \\(code 3\\)';
      await expect(run).rejects.toThrow(new RegExp(`^training worker 1 of 1 stopped in update 2: ${reason}; the run stopped \\(its last checkpoint is intact: continue with --resume\\)$`));
      expect(readCheckpoint(join(runDir, CHECKPOINT_FILE)).progress.updates).toBe(1);
      const resumed = await train({ config, runDir, resume: true, producedBy: 'test', progress: false, maxUpdates: 1, log: quiet });
      expect(resumed.updates).toBe(2);
    }, 120_000);
  }
});

describe('kdmarl train --workers', () => {
  beforeAll(() => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterAll(() => vi.restoreAllMocks());

  it('records the worker count in config.json, and --resume continues a parallel run with it', async () => {
    const runDir = join(root, 'cli');
    const args = ['--scenario', 'spread', '--envs', '4', '--steps', '80', '--workers', '1', '--out', runDir];
    await trainMain(args);
    const saved = () => JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { workers: number };
    expect(saved().workers).toBe(1);
    expect(readCheckpoint(join(runDir, CHECKPOINT_FILE)).progress.updates).toBe(1);
    await trainMain(['--resume', '--out', runDir, '--steps', '120']);
    expect(saved().workers).toBe(1);
    expect(readCheckpoint(join(runDir, CHECKPOINT_FILE)).progress.updates).toBe(2);
    await expect(trainMain(['--resume', '--out', runDir, '--workers', '0'])).rejects.toThrow(/^--workers: workers 0 contradicts the run in .*, which has workers 1 /);
  }, 120_000);

  it('defaults to every core but one, at most numEnvs - 1, and 0 for recurrent actors', () => {
    expect(resolveConfig('spread').workers).toBe(Math.min(availableParallelism() - 1, resolveConfig('spread').numEnvs - 1));
    expect(resolveConfig('spread', {}, { numEnvs: 1 }).workers).toBe(0);
    expect(resolveConfig('spread', { recurrent: true }, { rolloutLength: 20 }).workers).toBe(0);
    expect(resolveConfig('spread', {}, { workers: 3 }).workers).toBe(3);
  });

  it('refuses fewer envs than ranks, and recurrent actors on workers', () => {
    expect(() => resolveConfig('spread', {}, { numEnvs: 2, workers: 2 })).toThrow(/^config: numEnvs 2 is less than the 3 ranks of workers 2 \(every rank steps at least one env\): raise numEnvs \(--envs\) to 3 or more, or lower --workers to 1 or less$/);
    expect(() => envShares(2, 3)).toThrow(/numEnvs 2 is less than the 3 ranks/);
    expect(envShares(7, 3).map((p) => [p.envStart, p.numEnvs])).toEqual([[0, 3], [3, 2], [5, 2]]);
    expect(() => resolveConfig('spread', { recurrent: true }, { rolloutLength: 20, workers: 1 })).toThrow(/workers 1 with recurrent actors: worker threads collect with feed-forward actors only \(set workers 0\)/);
  });
});
