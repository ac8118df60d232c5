import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { train } from '../../agents/learn/trainer.ts';
import { main as distillMain } from '../../agents/distill/distill-command.ts';
import { main as trainMain } from '../../agents/learn/train-command.ts';
import { DISTILL_CHECKPOINT, STUDENT_POLICY, distill, readDistillCheckpoint } from '../../agents/distill/distiller.ts';
import { distillConfigSchema, resolveDistillConfig } from '../../agents/distill/config.ts';
import { tinyConfig } from '../learn/helpers.ts';
import { fromRoot } from '../../shared/paths.ts';

const quiet = () => {};

describe('kdmarl distill --resume continues the run as it was configured', () => {
  const root = mkdtempSync(join(tmpdir(), 'kdmarl-distill-resume-'));
  const teacherDir = join(root, 'teacher');
  const runDir = join(root, 'run');
  const small = join(root, 'small.json');
  const printed: string[] = [];
  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(String(line)));
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await train({ config: tinyConfig({ backend: 'cpu' }), runDir: teacherDir, resume: false, producedBy: 'test', progress: false, log: quiet });
    writeFileSync(small, JSON.stringify({ numEnvs: 2, rolloutLength: 10, epochs: 1, evalEvery: 0, evalEpisodes: 2, checkpointEvery: 1, backend: 'cpu' }));
  });
  afterAll(() => vi.restoreAllMocks());
  const savedConfig = () => JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as Record<string, unknown>;
  const resume = (...extra: string[]) => distillMain(['--scenario', 'spread', '--teacher', teacherDir, '--resume', '--out', runDir, '--no-progress', ...extra]);

  it('keeps the config file, step budget, envs and teacher of the run when resumed with the README command', async () => {
    await distillMain(['--scenario', 'spread', '--teacher', teacherDir, '--config', small, '--steps', '40', '--out', runDir, '--no-progress']);
    expect(readDistillCheckpoint(join(runDir, DISTILL_CHECKPOINT)).progress.updates).toBe(2);
    expect(existsSync(join(runDir, STUDENT_POLICY))).toBe(true);
    expect(STUDENT_POLICY).toBe('student.policy');
    // A write killed before its rename leaves its temporary sibling behind.
    const stale = join(runDir, `.${DISTILL_CHECKPOINT}.4242.1700000000000.0.tmp`);
    writeFileSync(stale, 'half a checkpoint');
    await resume();
    expect(existsSync(stale)).toBe(false);
    expect(savedConfig()).toMatchObject({ numEnvs: 2, totalSteps: 40, rolloutLength: 10, epochs: 1, seed: 1, variant: 'full' });
    expect(readDistillCheckpoint(join(runDir, DISTILL_CHECKPOINT)).progress.updates).toBe(2);
    // The budget is the one thing a resume may change.
    await resume('--steps', '60');
    expect(savedConfig()).toMatchObject({ numEnvs: 2, totalSteps: 60 });
    expect(readDistillCheckpoint(join(runDir, DISTILL_CHECKPOINT)).progress.updates).toBe(3);
    // The teacher and profile come from the run dir when left out.
    await distillMain(['--resume', '--out', runDir, '--no-progress', '--steps', '80']);
    expect(readDistillCheckpoint(join(runDir, DISTILL_CHECKPOINT)).progress.envSteps).toBe(80);
  });

  it('refuses a flag that contradicts the run, naming both values', async () => {
    const other = join(root, 'models-spread-mappo');
    await expect(resume('--teacher', other)).rejects.toThrow(new RegExp(`^--teacher .*models-spread-mappo: the run in .*run was started with --teacher .*teacher \\(leave it out`));
    await expect(resume('--envs', '8')).rejects.toThrow(/^--envs: numEnvs 8 contradicts the run in .*run, which has numEnvs 2 /);
    await expect(resume('--seed', '5')).rejects.toThrow(/^--seed: seed 5 contradicts .* which has seed 1 /);
    await expect(resume('--variant', 'kl')).rejects.toThrow(/^--variant kl: the run in .* was started with --variant full/);
    const lr = join(root, 'lr.json');
    writeFileSync(lr, JSON.stringify({ lr: 0.1 }));
    await expect(resume('--config', lr)).rejects.toThrow(/^--config .*lr\.json: lr 0\.1 contradicts the run in .*, which has lr 0\.001 /);
    await expect(resume('--scenario', 'tag')).rejects.toThrow(/^--scenario tag: the run in .* distils on scenario spread/);
    // The library holds to the checkpoint's teacher and config too.
    const config = resolveDistillConfig('spread', { ...readDistillCheckpoint(join(runDir, DISTILL_CHECKPOINT)).config });
    await expect(distill({ config, teacher: other, students: 'default', runDir, resume: true, producedBy: 'test', progress: false, log: quiet })).rejects.toThrow(/^--teacher .*models-spread-mappo: the run in/);
    await expect(distill({ config: { ...config, numEnvs: 3 }, teacher: teacherDir, students: 'default', runDir, resume: true, producedBy: 'test', progress: false, log: quiet })).rejects.toThrow(/^config: numEnvs 3 contradicts the run in .*, which has numEnvs 2/);
  });

  it('refuses to resume when the teacher at the same path was replaced, naming teacherDigest', async () => {
    const moved = join(root, 'teacher-in-place');
    mkdirSync(moved);
    copyFileSync(join(teacherDir, 'checkpoint.ckpt'), join(moved, 'checkpoint.ckpt'));
    const inPlace = join(root, 'run-in-place');
    await distillMain(['--scenario', 'spread', '--teacher', moved, '--config', small, '--steps', '20', '--out', inPlace, '--no-progress']);
    expect(readDistillCheckpoint(join(inPlace, DISTILL_CHECKPOINT)).teacherDigest).toMatch(/^[0-9a-f]{64}$/);
    // Retrained at the same path: another checkpoint's bytes under the same name.
    copyFileSync(fromRoot('models', 'spread-mappo', 'checkpoint.ckpt'), join(moved, 'checkpoint.ckpt'));
    await expect(distillMain(['--resume', '--out', inPlace, '--no-progress', '--steps', '40'])).rejects.toThrow(
      /^.*distill\.ckpt: teacherDigest: the run was distilled from a teacher with checkpoint sha256 [0-9a-f]{16}…, --teacher .*teacher-in-place now has [0-9a-f]{16}… \(retrained or replaced at that path\)$/,
    );
  });

  it('names the right command when --resume points at the other kind of run', async () => {
    await expect(distillMain(['--resume', '--out', teacherDir, '--no-progress'])).rejects.toThrow(/^--resume: .*teacher is a training run \(checkpoint\.ckpt\): continue it with 'kdmarl train --resume --out /);
    await expect(trainMain(['--resume', '--out', runDir])).rejects.toThrow(/^--resume: .*run is a distillation run \(distill\.ckpt\): continue it with 'kdmarl distill --resume --out /);
  });

  it('--help-config lists every distill config field with its doc', async () => {
    printed.length = 0;
    expect(await distillMain(['--help-config'])).toBe(0);
    const text = printed.join('\n');
    for (const [key, schema] of Object.entries(distillConfigSchema.shape)) expect(text).toContain(`  ${key.padEnd(20)} ${schema.description}`);
  });
});
