import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DISTILL_CONFIG, resolveDistillConfig } from '../../agents/distill/config.ts';
import { checkReusable } from '../../agents/report/report-basis.ts';

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
