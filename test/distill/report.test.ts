import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train } from '../../agents/learn/trainer.ts';
import { renderMarkdown, runReport, type Report, type ReportRow } from '../../agents/report/report.ts';
import { tinyConfig } from '../learn/helpers.ts';
import { resolveVariantConfig } from '../../agents/distill/config.ts';

describe('kdmarl report', () => {
  it('runs the teacher, the from-scratch baseline and distillation variants over seeds, and writes the table', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kdmarl-report-'));
    const teacher = join(root, 'teacher');
    await train({ config: tinyConfig({ backend: 'cpu' }), runDir: teacher, resume: false, producedBy: 'test', progress: false, log: () => {} });
    const outDir = join(root, 'report');
    const said: string[] = [];
    const options = {
      scenario: 'spread', teacher, students: 'default', seeds: 2, steps: 40, evalEpisodes: 10, evalSeed: 7,
      variants: ['full'] as 'full'[], scratch: true, outDir,
      config: { numEnvs: 2, rolloutLength: 10, epochs: 1, backend: 'cpu' as const }, command: 'test', log: (m: string) => void said.push(m),
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
    // Each run says which it is, of how many, before it starts.
    expect(said.filter((l) => /run \d\/4: (training|distilling)/.test(l))).toEqual([
      expect.stringMatching(/run 1\/4: training students from scratch, seed 1 \(40 env steps/),
      expect.stringMatching(/run 2\/4: training students from scratch, seed 2/),
      expect.stringMatching(/run 3\/4: distilling 'full' seed 1 \(40 env steps\)/),
      expect.stringMatching(/run 4\/4: distilling 'full' seed 2/),
    ]);
    // a second run reuses the finished runs
    said.length = 0;
    const again = await runReport(options);
    expect(again.rows[2].meanReturn.perSeed).toEqual(report.rows[2].meanReturn.perSeed);
    expect(said.filter((l) => /finished earlier, reused/.test(l))).toHaveLength(4);
  }, 240_000);

  it('prints no interval over seeds for a one-seed report', () => {
    const row = (name: string, perSeed: number[], ci95: number): ReportRow => ({
      name, description: name, seeds: perSeed.map((_, i) => i + 1),
      winRate: { mean: 0, ci95: 0, perSeed: perSeed.map(() => 0) }, meanReturn: { mean: perSeed[0], ci95, perSeed },
      retention: { mean: 0.9, ci95: 0 }, flopsPerDecision: 100, flopsRatio: 10, params: 50, latency: [],
    });
    const base: Report = { scenario: 'spread', teacher: 't', students: 'default', stepsPerRun: 40, evalEpisodes: 10, evalSeed: 7, retentionOn: 'return', random: { meanReturn: -9, winRate: 0 }, rows: [], command: 'test', wallSeconds: 60 };
    const one = renderMarkdown({ ...base, rows: [row('teacher', [-3], 0.25), row('full', [-4], 0)] });
    expect(one).not.toMatch(/± 0\.000/);
    expect(one).toMatch(/\| full: full \| n\/a \| -4\.000 \(n=1\) \|/);
    expect(one).toMatch(/1 seed, .*One seed: no interval over seeds \(n=1\)/);
    expect(one).toMatch(/\| teacher \| n\/a \| -3\.000 ± 0\.250 \|/);
    const two = renderMarkdown({ ...base, rows: [row('teacher', [-3], 0.25), row('full', [-4, -5], 0.5)] });
    expect(two).toMatch(/\| full: full \| n\/a \| -4\.000 ± 0\.500 \|/);
    expect(two).toMatch(/2 seeds, .*Mean ± 95% interval over seeds\./);
  });

  it('keeps an ablation\'s switched-off terms off when the config file raises their weights', () => {
    const file = { wCe: 1, lrAnneal: true };
    const kl = resolveVariantConfig('3m', 'kl', file, { seed: 2 });
    expect([kl.wCe, kl.wPg, kl.wSr, kl.wRa, kl.teacherGae]).toEqual([0, 0, 0, 0, false]);
    expect([kl.lrAnneal, kl.seed]).toEqual([true, 2]);
    expect(resolveVariantConfig('3m', 'full', file, {}).wCe).toBe(1);
    expect(resolveVariantConfig('3m', 'kl_ce', file, {}).wCe).toBe(1);
    const noStruct = resolveVariantConfig('3m', 'no_struct', { ...file, wSr: 0.5, wRa: 0.5 }, {});
    expect([noStruct.wSr, noStruct.wRa, noStruct.wPg, noStruct.wCe, noStruct.teacherGae]).toEqual([0, 0, 1, 1, true]);
  });
});
