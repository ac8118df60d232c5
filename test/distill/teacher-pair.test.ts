import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { train } from '../../agents/learn/trainer.ts';
import { main as distillMain } from '../../agents/distill/distill-command.ts';
import { DISTILL_CHECKPOINT, readDistillCheckpoint } from '../../agents/distill/distiller.ts';
import type { FrozenTeacher } from '../../agents/distill/frozen-teacher.ts';
import { TeacherPair } from '../../agents/distill/teacher-pair.ts';
import { tinyConfig } from '../learn/helpers.ts';

/** A teacher whose outputs are fixed rows, enough for the pair's arithmetic. */
function fixedTeacher(path: string, logits: number[], hidden: number[], values: number[]): FrozenTeacher {
  return {
    path,
    hiddenSize: hidden.length / 2,
    logits: () => Float32Array.from(logits),
    hidden: () => Float32Array.from(hidden),
    values: () => Float32Array.from(values),
    dispose: () => {},
  } as unknown as FrozenTeacher;
}

describe('two teachers', () => {
  it('target the geometric mean of the two policies, put the hidden layers side by side and average the values', () => {
    // Two rows of three actions; hidden widths 1 and 2.
    const a = fixedTeacher('a', [0, 1, 2, 3, 3, 3], [10, 20], [1, 2]);
    const b = fixedTeacher('b', [2, 1, 0, 0, 0, 6], [1, 2, 3, 4], [3, 6]);
    const pair = new TeacherPair(a, b);
    expect(pair.hiddenSize).toBe(3);
    expect(pair.path).toBe('a + b');
    const logits = pair.logits(0, new Float32Array(0), 2);
    expect(Array.from(logits)).toEqual([1, 1, 1, 1.5, 1.5, 4.5]);
    // softmax(mean logits) = sqrt(p_a p_b) normalised, row by row.
    const softmax = (row: number[]) => row.map((v) => Math.exp(v) / row.reduce((s, w) => s + Math.exp(w), 0));
    const pa = softmax([3, 3, 3]);
    const pb = softmax([0, 0, 6]);
    const geometric = pa.map((p, i) => Math.sqrt(p * pb[i]));
    const norm = geometric.reduce((s, v) => s + v, 0);
    softmax(Array.from(logits.subarray(3))).forEach((p, i) => expect(p).toBeCloseTo(geometric[i] / norm, 6));
    expect(Array.from(pair.hidden(0, new Float32Array(0), 2))).toEqual([10, 1, 2, 20, 3, 4]);
    expect(Array.from(pair.values(0, new Float32Array(0), 2))).toEqual([2, 4]);
  });
});

describe('kdmarl distill --second-teacher', () => {
  const root = mkdtempSync(join(tmpdir(), 'kdmarl-two-teachers-'));
  const first = join(root, 'first');
  const second = join(root, 'second');
  const third = join(root, 'third');
  const small = join(root, 'small.json');
  const logged: string[] = [];
  beforeAll(async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      logged.push(String(chunk));
      return true;
    });
    for (const [dir, seed] of [[first, 1], [second, 2], [third, 3]] as const) {
      await train({ config: tinyConfig({ backend: 'cpu', seed }), runDir: dir, resume: false, producedBy: 'test', progress: false, log: () => {} });
    }
    writeFileSync(small, JSON.stringify({ numEnvs: 2, rolloutLength: 10, epochs: 1, evalEvery: 0, evalEpisodes: 2, checkpointEvery: 1, backend: 'cpu' }));
  });
  afterAll(() => vi.restoreAllMocks());

  it('distils from both, records both, and resumes only with the same pair', async () => {
    const runDir = join(root, 'pair');
    await distillMain(['--scenario', 'spread', '--teacher', first, '--second-teacher', second, '--config', small, '--steps', '20', '--out', runDir, '--no-progress']);
    expect(logged.filter((line) => /^teacher .*(first|second)\/checkpoint\.ckpt: actor 16x16, frozen/.test(line))).toHaveLength(2);
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.secondTeacher).toBe(second);
    expect(config.secondTeacherDigest).toMatch(/^[0-9a-f]{64}$/);
    expect(readDistillCheckpoint(join(runDir, DISTILL_CHECKPOINT)).secondTeacher).toBe(second);
    await distillMain(['--resume', '--out', runDir, '--steps', '40', '--no-progress']);
    expect(readDistillCheckpoint(join(runDir, DISTILL_CHECKPOINT)).progress.envSteps).toBe(40);
    await expect(distillMain(['--resume', '--out', runDir, '--second-teacher', third, '--no-progress'])).rejects.toThrow(/^--second-teacher .*third: the run in .* was started with --second-teacher .*second/);
  });

  it('refuses a second teacher on a run started with one', async () => {
    const runDir = join(root, 'single');
    await distillMain(['--scenario', 'spread', '--teacher', first, '--config', small, '--steps', '20', '--out', runDir, '--no-progress']);
    await expect(distillMain(['--resume', '--out', runDir, '--second-teacher', second, '--no-progress'])).rejects.toThrow(/^--second-teacher .*second: the run in .* was started with one teacher/);
  });
});
