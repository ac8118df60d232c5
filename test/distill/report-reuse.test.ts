import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DISTILL_CONFIG, resolveDistillConfig } from '../../agents/distill/config.ts';
import { checkReusable, distilledRun } from '../../agents/report/report-basis.ts';
import { teacherDigest } from '../../agents/distill/frozen-teacher.ts';
import { fromRoot } from '../../shared/paths.ts';

/** A finished run's folder whose config.json predates the greedyEnvs field. */
function runFromBeforeGreedyEnvs(): string {
  const runDir = mkdtempSync(join(tmpdir(), 'kdmarl-reuse-'));
  const { greedyEnvs: _absent, ...older } = resolveDistillConfig('spread', {});
  writeFileSync(join(runDir, 'config.json'), JSON.stringify({ ...older, teacher: 'models/spread' }));
  return runDir;
}

describe("the report's reuse of finished runs", () => {
  it('reuses a run made before a field existed when the report asks for that field at its default', () => {
    expect(() => checkReusable(runFromBeforeGreedyEnvs(), resolveDistillConfig('spread', {}), DEFAULT_DISTILL_CONFIG)).not.toThrow();
  });

  it('refuses such a run when the report asks for another value of the new field, naming it', () => {
    const runDir = runFromBeforeGreedyEnvs();
    expect(() => checkReusable(runDir, resolveDistillConfig('spread', { greedyEnvs: 8 }), DEFAULT_DISTILL_CONFIG)).toThrow(
      new RegExp(`^${runDir} was made before greedyEnvs existed \\(so with its default 0\\), this report asks for 8: give another --out`),
    );
  });

  it('refuses a run whose saved value differs', () => {
    const runDir = runFromBeforeGreedyEnvs();
    expect(() => checkReusable(runDir, resolveDistillConfig('spread', { seed: 99 }), DEFAULT_DISTILL_CONFIG)).toThrow(/was made with seed \d+, this report asks for 99/);
  });
});

describe("the report's reuse of a finished distillation run", () => {
  const config = resolveDistillConfig('spread', { totalSteps: 40 });
  const profile = fromRoot('agents', 'distill', 'profiles', 'spread.json');
  /** A finished run as distill leaves it: its config with teacher and profile, its students, done.json. */
  function finishedRun(teacher: string, students: string): string {
    const runDir = mkdtempSync(join(tmpdir(), 'kdmarl-reuse-'));
    writeFileSync(join(runDir, 'config.json'), JSON.stringify({ ...config, teacher, students }));
    copyFileSync(fromRoot('models', 'spread', 'student.policy'), join(runDir, 'student.policy'));
    writeFileSync(join(runDir, 'done.json'), '{"envSteps":40}');
    return runDir;
  }
  const reuse = (runDir: string, teacher: string, students: string) =>
    distilledRun({ runDir, config, teacher, students, variant: 'full', producedBy: 'test', progress: false, progressLabel: '', say: () => {}, what: 'test run' });

  it('reuses it for the same teacher and profile, however they are spelled', async () => {
    const file = await reuse(finishedRun(fromRoot('models', 'spread', 'checkpoint.ckpt'), profile), fromRoot('models', 'spread'), 'default');
    expect(file.scenario).toBe('spread');
  });

  it('refuses it for another teacher, naming both', async () => {
    const runDir = finishedRun(fromRoot('models', 'spread-mappo'), profile);
    await expect(reuse(runDir, fromRoot('models', 'spread'), 'default')).rejects.toThrow(/was distilled with --teacher .*spread-mappo, this report asks for .*models\/spread: give another --out/);
  });

  it('refuses it for another student profile, naming both', async () => {
    const runDir = finishedRun(fromRoot('models', 'spread'), profile);
    const other = join(mkdtempSync(join(tmpdir(), 'kdmarl-profile-')), '30x.json');
    copyFileSync(profile, other);
    await expect(reuse(runDir, fromRoot('models', 'spread'), other)).rejects.toThrow(/was distilled with --students .*spread\.json, this report asks for .*30x\.json: give another --out/);
  });

  it('refuses it when the teacher at the same path was replaced, naming teacherDigest; reuses it while the content is the same', async () => {
    const teacherDir = mkdtempSync(join(tmpdir(), 'kdmarl-teacher-'));
    const checkpoint = join(teacherDir, 'checkpoint.ckpt');
    copyFileSync(fromRoot('models', 'spread', 'checkpoint.ckpt'), checkpoint);
    const runDir = finishedRun(teacherDir, profile);
    writeFileSync(join(runDir, 'config.json'), JSON.stringify({ ...config, teacher: teacherDir, teacherDigest: teacherDigest(teacherDir), students: profile }));
    const said: string[] = [];
    const again = () => distilledRun({ runDir, config, teacher: teacherDir, students: 'default', variant: 'full', producedBy: 'test', progress: false, progressLabel: '', say: (m) => said.push(m), what: 'test run' });
    expect((await again()).scenario).toBe('spread');
    expect(said).toEqual(['test run: finished earlier, reused']);
    // Retrained at the same path: another checkpoint's bytes under the same name.
    copyFileSync(fromRoot('models', 'spread-mappo', 'checkpoint.ckpt'), checkpoint);
    await expect(again()).rejects.toThrow(new RegExp(`^${runDir} was distilled from a teacher with teacherDigest [0-9a-f]{16}…, --teacher ${teacherDir} now has [0-9a-f]{16}… \\(retrained or replaced at that path\\): give another --out`));
  });
});
