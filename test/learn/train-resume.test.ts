import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { train } from '../../agents/learn/trainer.ts';
import { main as trainMain } from '../../agents/learn/train-command.ts';
import { CHECKPOINT_FILE, readCheckpoint } from '../../agents/learn/checkpoint.ts';
import { tinyConfig } from './helpers.ts';

describe('kdmarl train --resume continues the run as it was configured', () => {
  const root = mkdtempSync(join(tmpdir(), 'kdmarl-train-resume-'));
  const runDir = join(root, 'run');
  const small = join(root, 'small.json');
  beforeAll(() => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    writeFileSync(small, JSON.stringify({ actorHidden: [16], criticHidden: [16], numEnvs: 2, rolloutLength: 10, epochs: 1, evalEvery: 0, evalEpisodes: 2, checkpointEvery: 1, backend: 'cpu' }));
  });
  afterAll(() => vi.restoreAllMocks());
  const savedConfig = () => JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as Record<string, unknown>;

  it('keeps the config file and step budget of the run, removes stale temp files, and refuses contradicting flags', async () => {
    await trainMain(['--scenario', 'spread', '--config', small, '--steps', '40', '--out', runDir]);
    expect(readCheckpoint(join(runDir, CHECKPOINT_FILE)).progress.updates).toBe(2);
    const stale = join(runDir, `.${CHECKPOINT_FILE}.4242.1700000000000.3.tmp`);
    writeFileSync(stale, 'half a checkpoint');
    await trainMain(['--scenario', 'spread', '--resume', '--out', runDir]);
    expect(existsSync(stale)).toBe(false);
    expect(savedConfig()).toMatchObject({ numEnvs: 2, totalSteps: 40, actorHidden: [16] });
    expect(readCheckpoint(join(runDir, CHECKPOINT_FILE)).progress.updates).toBe(2);
    await trainMain(['--resume', '--out', runDir, '--steps', '60']);
    expect(savedConfig()).toMatchObject({ numEnvs: 2, totalSteps: 60 });
    expect(readCheckpoint(join(runDir, CHECKPOINT_FILE)).progress.updates).toBe(3);
    await expect(trainMain(['--resume', '--out', runDir, '--envs', '8'])).rejects.toThrow(/^--envs: numEnvs 8 contradicts the run in .*run, which has numEnvs 2 /);
    await expect(trainMain(['--resume', '--out', runDir, '--seed', '3'])).rejects.toThrow(/^--seed: seed 3 contradicts .* which has seed 1 /);
    await expect(trainMain(['--resume', '--out', runDir, '--scenario', 'tag'])).rejects.toThrow(/^--scenario tag: the run in .* trains on scenario spread/);
    const lr = join(root, 'lr.json');
    writeFileSync(lr, JSON.stringify({ lr: 0.5 }));
    await expect(trainMain(['--resume', '--out', runDir, '--config', lr])).rejects.toThrow(/^--config .*lr\.json: lr 0\.5 contradicts the run in .*, which has lr 0\.0007 /);
  });

  it("takes the scenario from the config file when --scenario is left out, and lets --scenario override it", async () => {
    const named = join(root, 'named.json');
    writeFileSync(named, JSON.stringify({ ...JSON.parse(readFileSync(small, 'utf8')), scenario: 'tag', totalSteps: 20 }));
    await trainMain(['--config', named, '--out', join(root, 'from-file')]);
    expect(JSON.parse(readFileSync(join(root, 'from-file', 'config.json'), 'utf8'))).toMatchObject({ scenario: 'tag' });
    await trainMain(['--scenario', 'spread', '--config', named, '--out', join(root, 'overridden')]);
    expect(JSON.parse(readFileSync(join(root, 'overridden', 'config.json'), 'utf8'))).toMatchObject({ scenario: 'spread' });
    await expect(trainMain(['--config', small, '--out', join(root, 'none')])).rejects.toThrow(/^--scenario: required \(e\.g\. --scenario spread\); .*small\.json names none$/);
  });

  it('the library refuses a resume whose config differs from the checkpoint\'s, except a larger budget', async () => {
    const dir = join(root, 'lib');
    await train({ config: tinyConfig({ backend: 'cpu' }), runDir: dir, resume: false, producedBy: 'test', progress: false, maxUpdates: 1, log: () => {} });
    await expect(train({ config: tinyConfig({ backend: 'cpu', gamma: 0.9 }), runDir: dir, resume: true, producedBy: 'test', progress: false, maxUpdates: 1, log: () => {} })).rejects.toThrow(/^config: gamma 0\.9 contradicts the run in .*lib, which has gamma 0\.99 /);
    const more = await train({ config: tinyConfig({ backend: 'cpu', totalSteps: 400 }), runDir: dir, resume: true, producedBy: 'test', progress: false, maxUpdates: 1, log: () => {} });
    expect(more.updates).toBe(2);
  });
});
