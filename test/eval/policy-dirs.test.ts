import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEvalPolicy } from '../../agents/eval/load-eval-policy.ts';
import { createSimulation } from '../../server/scenarios/registry.ts';
import { fromRoot } from '../../shared/paths.ts';

const dirs: string[] = [];
function runDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kdmarl-eval-dir-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('eval --policy <run dir>', () => {
  it('takes a distill run dir by its student.policy', async () => {
    const dir = runDir();
    copyFileSync(fromRoot('models', 'spread', 'student.policy'), join(dir, 'student.policy'));
    writeFileSync(join(dir, 'metrics.jsonl'), '');
    const loaded = await loadEvalPolicy(dir, 'spread', createSimulation('spread'));
    expect(loaded.label).toBe('student');
    expect(loaded.agents).toHaveLength(3);
  });

  it('prefers a teacher run\'s checkpoint, and names every file it looked for when there is none', async () => {
    const dir = runDir();
    copyFileSync(fromRoot('models', 'spread', 'checkpoint.ckpt'), join(dir, 'checkpoint.ckpt'));
    copyFileSync(fromRoot('models', 'spread', 'student.policy'), join(dir, 'student.policy'));
    expect((await loadEvalPolicy(dir, 'spread', createSimulation('spread'))).label).toBe('teacher');
    const empty = runDir();
    await expect(loadEvalPolicy(empty, 'spread', createSimulation('spread'))).rejects.toThrow(
      `${empty}: no policy in this directory (looked for checkpoint.ckpt, teacher.policy, student.policy)`,
    );
  });
});
