import { existsSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train } from '../../agents/learn/trainer.ts';
import { readCheckpoint, checkShapeMatches, CHECKPOINT_FILE, POLICY_FILE } from '../../agents/learn/checkpoint.ts';
import { METRIC, readMetrics } from '../../agents/learn/metrics-log.ts';
import { loadFrozenTeacher } from '../../agents/distill/frozen-teacher.ts';
import { readPolicyPath } from '../../agents/eval/policies.ts';
import { encode } from '../../shared/codec.ts';
import { tinyConfig } from './helpers.ts';

const quiet = () => {};

describe('kdmarl train (smoke run, checkpoints, resume)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kdmarl-train-'));
  const runDir = join(dir, 'run');

  it('writes config, metrics under stable names, an atomic checkpoint, the exported policy and curve.svg', async () => {
    const config = tinyConfig({ totalSteps: 200, evalEvery: 2 });
    const result = await train({ config, runDir, resume: false, producedBy: 'test', progress: false, maxUpdates: 3, log: quiet });
    expect(result.updates).toBe(3);
    expect(result.envSteps).toBe(3 * config.numEnvs * config.rolloutLength);
    for (const f of ['config.json', 'metrics.jsonl', CHECKPOINT_FILE, POLICY_FILE, 'curve.svg']) expect(existsSync(join(runDir, f)), f).toBe(true);
    expect(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8'))).toEqual(config);
    const lines = readMetrics(join(runDir, 'metrics.jsonl'));
    expect(lines.map((l) => l.update)).toEqual([1, 2, 3]);
    for (const key of [METRIC.sps, METRIC.policyLoss, METRIC.valueLoss, METRIC.entropy, METRIC.episodeReturn, METRIC.winRate]) expect(typeof lines[2][key], key).toBe('number');
    expect(typeof lines[1][METRIC.evalReturn]).toBe('number');
    expect(readFileSync(join(runDir, 'curve.svg'), 'utf8')).toMatch(/^<svg[\s\S]*episode return[\s\S]*<\/svg>$/);
    const ckpt = readCheckpoint(join(runDir, CHECKPOINT_FILE));
    expect(ckpt.progress.updates).toBe(3);
    expect(ckpt.optimizer).not.toBeNull();
  });

  it('--resume continues at the saved step with the saved optimizer, value norm and rng', async () => {
    const before = readCheckpoint(join(runDir, CHECKPOINT_FILE));
    // A line written after the checkpoint (as if killed before the next save) must be dropped.
    appendFileSync(join(runDir, 'metrics.jsonl'), JSON.stringify({ global_step: 999, update: 4, wall_seconds: 1 }) + '\n{"cut off');
    const config = tinyConfig({ totalSteps: 200, evalEvery: 2 });
    const result = await train({ config, runDir, resume: true, producedBy: 'test', progress: false, maxUpdates: 2, log: quiet });
    expect(result.updates).toBe(5);
    expect(result.envSteps).toBe(before.progress.envSteps + 2 * config.numEnvs * config.rolloutLength);
    const after = readCheckpoint(join(runDir, CHECKPOINT_FILE));
    expect(after.optimizer!.critic.step).toBe(before.optimizer!.critic.step + 2 * config.epochs);
    expect(after.progress.rng).not.toEqual(before.progress.rng);
    expect(readMetrics(join(runDir, 'metrics.jsonl')).map((l) => l.update)).toEqual([1, 2, 3, 4, 5]);
  });

  it('the frozen teacher (distillation\'s loader) gives logits, hidden activations and values on batches', () => {
    const ckpt = readCheckpoint(join(runDir, CHECKPOINT_FILE));
    const teacher = loadFrozenTeacher(runDir, ckpt.shape, 'spread');
    const g = teacher.net.groups[0];
    expect(teacher.net.groups.map((x) => x.name)).toEqual(['shared']);
    const obs = new Float32Array(2 * g.observationSize).fill(0.5);
    expect(teacher.logits(2, obs, 2).length).toBe(2 * g.actionCount);
    expect(teacher.hidden(2, obs, 2).length).toBe(2 * teacher.hiddenSize);
    const values = teacher.values(1, new Float32Array(3 * ckpt.shape.stateSize), 3);
    expect(values.length).toBe(3);
    expect(Array.from(values).every(Number.isFinite)).toBe(true);
    expect(() => loadFrozenTeacher(runDir, ckpt.shape, 'tag')).toThrow(/trained on scenario 'spread', not 'tag'/);
    teacher.dispose();
  });

  it('refuses a checkpoint of another scenario, a corrupt file and a resume without a checkpoint', async () => {
    const ckpt = readCheckpoint(join(runDir, CHECKPOINT_FILE));
    expect(() => checkShapeMatches(ckpt, { ...ckpt.shape, agentNames: ['speaker_0', 'listener_0'] }, 'x.ckpt')).toThrow(/x\.ckpt: checkpoint was trained on scenario 'spread'.*does not match/);
    const corrupt = join(dir, 'corrupt.ckpt');
    writeFileSync(corrupt, readFileSync(join(runDir, CHECKPOINT_FILE)).subarray(0, 500));
    expect(() => readCheckpoint(corrupt)).toThrow(/corrupt\.ckpt: not a kdmarl checkpoint/);
    expect(() => readPolicyPath(corrupt)).toThrow(/corrupt\.ckpt/);
    const wrong = join(dir, 'wrong.ckpt');
    writeFileSync(wrong, encode({ ...ckpt, weights: { critic: [] } }));
    expect(() => readCheckpoint(wrong)).toThrow(/wrong\.ckpt: no weights for actor group 'shared'/);
    await expect(train({ config: tinyConfig(), runDir: join(dir, 'empty'), resume: true, producedBy: 'test', progress: false, log: quiet })).rejects.toThrow(/--resume: no checkpoint/);
  });
});
