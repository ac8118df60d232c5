import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train } from '../../agents/learn/trainer.ts';
import { runReport } from '../../agents/report/report.ts';
import { tinyConfig } from '../learn/helpers.ts';
import { resolveVariantConfig } from '../../agents/distill/config.ts';

describe('kdmarl report', () => {
  it('runs the teacher, the from-scratch baseline and distillation variants over seeds, and writes the table', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kdmarl-report-'));
    const teacher = join(root, 'teacher');
    await train({ config: tinyConfig({ backend: 'cpu' }), runDir: teacher, resume: false, producedBy: 'test', progress: false, log: () => {} });
    const outDir = join(root, 'report');
    const options = {
      scenario: 'spread', teacher, students: 'default', seeds: 2, steps: 40, evalEpisodes: 10, evalSeed: 7,
      variants: ['full'] as 'full'[], scratch: true, outDir,
      config: { numEnvs: 2, rolloutLength: 10, epochs: 1, backend: 'cpu' as const }, command: 'test', log: () => {},
    };
    const report = await runReport(options);
    expect(report.rows.map((r) => r.name)).toEqual(['teacher', 'scratch', 'full']);
    for (const row of report.rows.slice(1)) {
      expect(row.seeds).toEqual([1, 2]);
      expect(row.meanReturn.perSeed).toHaveLength(2);
      expect(row.flopsRatio).toBeGreaterThan(1);
      expect(row.latency.map((l) => l.runtime)).toEqual(['typed-array', 'tfjs']);
      expect(row.latency[0].decisions).toBeGreaterThanOrEqual(1000);
    }
    expect(report.retentionOn).toBe('return');
    const md = readFileSync(join(outDir, 'report.md'), 'utf8');
    expect(md).toMatch(/\| full: full loss/);
    expect(existsSync(join(outDir, 'retention.svg'))).toBe(true);
    // a second run reuses the finished runs
    const again = await runReport(options);
    expect(again.rows[2].meanReturn.perSeed).toEqual(report.rows[2].meanReturn.perSeed);
  }, 240_000);

  it('keeps an ablation\'s switched-off terms off when the config file raises their weights', () => {
    const file = { wCe: 1, lrAnneal: true };
    const kl = resolveVariantConfig('3m', 'kl', file, { seed: 2 });
    expect([kl.wCe, kl.wPg, kl.wSr, kl.wRa, kl.teacherGae]).toEqual([0, 0, 0, 0, false]);
    expect([kl.lrAnneal, kl.seed]).toEqual([true, 2]);
    expect(resolveVariantConfig('3m', 'full', file, {}).wCe).toBe(1);
    expect(resolveVariantConfig('3m', 'kl_ce', file, {}).wCe).toBe(1);
  });
});
