import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { train } from '../../agents/learn/trainer.ts';
import { CHECKPOINT_FILE } from '../../agents/learn/checkpoint.ts';
import { distill, STUDENT_POLICY, DISTILL_CHECKPOINT } from '../../agents/distill/distiller.ts';
import { resolveDistillConfig } from '../../agents/distill/config.ts';
import { loadPolicyFile } from '../../agents/runtime/policy-runtime.ts';
import { tinyConfig } from '../learn/helpers.ts';

const quiet = () => {};

describe('kdmarl distill, end to end on a tiny teacher', () => {
  // One tiny teacher for every test here; each test distils into a directory of its own.
  const root = mkdtempSync(join(tmpdir(), 'kdmarl-distill-'));
  const teacherDir = join(root, 'teacher');
  beforeAll(async () => {
    await train({ config: tinyConfig({ backend: 'cpu' }), runDir: teacherDir, resume: false, producedBy: 'test', progress: false, log: quiet });
  });

  it('distills, exports students with their own views, resumes, and refuses a teacher of another scenario', async () => {
    expect(existsSync(join(teacherDir, CHECKPOINT_FILE))).toBe(true);

    const config = resolveDistillConfig('spread', { totalSteps: 80, numEnvs: 4, rolloutLength: 10, epochs: 1, evalEvery: 0, evalEpisodes: 2, checkpointEvery: 1, backend: 'cpu' });
    const runDir = join(root, 'students');
    const first = await distill({ config, teacher: teacherDir, students: 'default', runDir, resume: false, producedBy: 'test', progress: false, log: quiet });
    expect(first.envSteps).toBe(80);
    expect(first.lastEval?.episodes).toBe(2);
    const policy = loadPolicyFile(join(runDir, STUDENT_POLICY));
    expect(policy.role).toBe('student');
    expect(policy.agents.agent_0.view).toEqual({ nearest: { agents: 2, landmarks: 3 }, blocks: ['self', 'landmarks', 'agents'] });
    expect(policy.nets.agent_0.inputSize).toBe(14);
    expect(readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    // The run records which teacher by content too (kdmarl report compares it before reusing the run).
    expect(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')).teacherDigest).toBe(createHash('sha256').update(readFileSync(join(teacherDir, CHECKPOINT_FILE))).digest('hex'));

    const more = resolveDistillConfig('spread', { ...config, totalSteps: 120 });
    const resumed = await distill({ config: more, teacher: teacherDir, students: 'default', runDir, resume: true, producedBy: 'test', progress: false, log: quiet });
    expect(resumed.updates).toBe(3);
    expect(existsSync(join(runDir, DISTILL_CHECKPOINT))).toBe(true);

    const wrong = join(root, 'wrong-profile.json');
    writeFileSync(wrong, JSON.stringify({ scenario: 'spread', default: { hidden: [512], caps: { flops: 1000 } } }));
    await expect(distill({ config, teacher: teacherDir, students: wrong, runDir: join(root, 'x'), resume: false, producedBy: 'test', progress: false, log: quiet })).rejects.toThrow(/over its cap of 1000/);
    const otherScenario = resolveDistillConfig('tag', { ...config, scenario: 'tag' });
    await expect(distill({ config: otherScenario, teacher: teacherDir, students: 'default', runDir: join(root, 'y'), resume: false, producedBy: 'test', progress: false, log: quiet })).rejects.toThrow(/trained on scenario 'spread', not 'tag'/);
  });

  it('stops at an update boundary on SIGTERM, with a checkpoint to resume from', async () => {
    const config = resolveDistillConfig('spread', { totalSteps: 400, numEnvs: 4, rolloutLength: 10, epochs: 1, evalEvery: 1, evalEpisodes: 1, checkpointEvery: 100, backend: 'cpu' });
    let signalled = false;
    // The signal arrives as a real one would: from the event loop, after the first update, which
    // only a loop that yields between updates ever sees before its last step.
    const log = (line: string) => {
      if (signalled || !line.startsWith('update 1:')) return;
      signalled = true;
      setImmediate(() => process.emit('SIGTERM'));
    };
    const runDir = join(root, 'stopped-students');
    const stopped = await distill({ config, teacher: teacherDir, students: 'default', runDir, resume: false, producedBy: 'test', progress: false, log });
    expect(signalled).toBe(true);
    expect(stopped.stopped).toBe(true);
    expect(stopped.updates).toBeLessThan(10);
    expect(existsSync(join(runDir, DISTILL_CHECKPOINT))).toBe(true);
    const resumed = await distill({ config, teacher: teacherDir, students: 'default', runDir, resume: true, producedBy: 'test', progress: false, log: quiet });
    expect(resumed.stopped).toBe(false);
    expect(resumed.envSteps).toBe(400);
  });
});
