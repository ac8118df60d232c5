import { copyFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mlpFlops } from '../../shared/flops.ts';
import { UsageError } from '../../shared/cli-args.ts';
import { fromRoot } from '../../shared/paths.ts';
import { runFlopsSweep } from '../../agents/report/flops-sweep.ts';
import { sizeForBudget } from '../../agents/report/flops-sizing.ts';
import { main as reportMain } from '../../agents/report/report-command.ts';

/** The students' symbols in the SVG, each labelled with its x value (the FLOPs ratio). */
function studentPointRatios(svg: string): number[] {
  const group = svg.slice(svg.indexOf('students_marks'), svg.indexOf('</g>', svg.indexOf('students_marks')));
  return [...group.matchAll(/aria-label="teacher \/ student FLOPs per decision \(log\): ([0-9.]+);/g)].map((m) => Number(m[1]));
}

describe('kdmarl report --ratios', () => {
  it('sizes one student team per FLOPs ratio, evaluates it, and plots one point per ratio', async () => {
    const outDir = join(mkdtempSync(join(tmpdir(), 'kdmarl-flops-')), 'sweep');
    const ratios = [10, 100, 300];
    const sweep = await runFlopsSweep({
      scenario: 'spread', teacher: fromRoot('models', 'spread'), students: 'default', ratios, variant: 'full', seeds: 1, steps: 40,
      evalEpisodes: 10, evalSeed: 7, outDir, config: { numEnvs: 2, rolloutLength: 10, epochs: 1, backend: 'cpu' }, command: 'test', log: () => {},
    });
    expect(sweep.points.map((p) => p.askedRatio)).toEqual(ratios);
    const teacherFlops = sweep.teacherRow.flopsPerDecision;
    for (const point of sweep.points) {
      // At or above the asked ratio, and within one hidden unit of it: one more unit would not fit.
      expect(point.row.flopsRatio).toBeGreaterThanOrEqual(point.askedRatio);
      const hidden = point.hiddenByAgent.agent_0;
      const wider = mlpFlops([14, ...hidden.map((w) => w + 1), 5], point.layerNorm);
      expect(teacherFlops / wider).toBeLessThan(point.askedRatio);
      expect(point.row.landmarksCovered?.perSeed).toHaveLength(1);
    }
    expect(sweep.points.map((p) => p.row.flopsRatio)).toEqual([...sweep.points.map((p) => p.row.flopsRatio)].sort((a, b) => a - b));
    const svg = readFileSync(join(outDir, 'retention-vs-flops.svg'), 'utf8');
    const plotted = studentPointRatios(svg);
    expect(plotted).toHaveLength(ratios.length);
    // The label carries the axis format: six significant digits.
    plotted.forEach((x, i) => expect(x).toBeCloseTo(sweep.points[i].row.flopsRatio, 2));
    const md = readFileSync(join(outDir, 'flops-sweep.md'), 'utf8');
    expect(md.match(/^\| (10|100|300)x \|/gm)).toHaveLength(3);
    expect(md).toMatch(/^\| teacher \| MAPPO \| 40,088 \| 1\.0x \|/m);
  }, 240_000);

  it('keeps the input LayerNorm out at every ratio when the config turns it off', async () => {
    const outDir = join(mkdtempSync(join(tmpdir(), 'kdmarl-flops-')), 'sweep');
    const sweep = await runFlopsSweep({
      scenario: 'spread', teacher: fromRoot('models', 'spread'), students: 'default', ratios: [10], variant: 'full', seeds: 1, steps: 20,
      evalEpisodes: 2, evalSeed: 7, outDir, config: { numEnvs: 2, rolloutLength: 10, epochs: 1, backend: 'cpu', layerNorm: false }, command: 'test', log: () => {},
    });
    // At 10x the LayerNorm fits (98 of 4,009 FLOPs), so only the config keeps it out; the width takes its FLOPs.
    expect(sweep.points[0].layerNorm).toBe(false);
    expect(sweep.points[0].hiddenByAgent.agent_0).toEqual(sizeForBudget(14, 5, sweep.teacherRow.flopsPerDecision / 10, 2, false).hidden);
  }, 240_000);

  it('refuses a ratio no student fits before it evaluates or distils anything', async () => {
    const outDir = join(mkdtempSync(join(tmpdir(), 'kdmarl-flops-')), 'sweep');
    const said: string[] = [];
    const sweep = runFlopsSweep({
      scenario: 'spread', teacher: fromRoot('models', 'spread'), students: 'default', ratios: [10, 5000], variant: 'full', seeds: 1, steps: 20,
      evalEpisodes: 2, evalSeed: 7, outDir, config: { numEnvs: 2, rolloutLength: 10, epochs: 1, backend: 'cpu' }, command: 'test', log: (m) => said.push(m),
    });
    await expect(sweep).rejects.toThrow(/^--ratios 5000: no student fits 8 FLOPs per decision with 14 inputs and 5 actions/);
    expect(said).toEqual([]);
    expect(existsSync(join(outDir, 'runs', '10x__seed1'))).toBe(false);
  }, 240_000);

  it("refuses to reuse a ratio's run whose students are not the ones its sizing asks for", async () => {
    const outDir = join(mkdtempSync(join(tmpdir(), 'kdmarl-flops-')), 'sweep');
    const options = {
      scenario: 'spread', teacher: fromRoot('models', 'spread'), students: 'default', ratios: [100], variant: 'full' as const, seeds: 1, steps: 20,
      evalEpisodes: 2, evalSeed: 7, outDir, config: { numEnvs: 2, rolloutLength: 10, epochs: 1, backend: 'cpu' as const }, command: 'test', log: () => {},
    };
    const first = await runFlopsSweep(options);
    expect(first.points[0].hiddenByAgent.agent_0).toEqual([7, 7]);
    // Reused as it is, the run is accepted; holding the shipped 2 x 16 students it is not.
    await expect(runFlopsSweep(options)).resolves.toBeDefined();
    copyFileSync(fromRoot('models', 'spread', 'student.policy'), join(outDir, 'runs', '100x__seed1', 'student.policy'));
    await expect(runFlopsSweep(options)).rejects.toThrow(/100x__seed1: agent_0's student has hidden \[16, 16\], this sizing asks for \[7, 7\]: give another --out/);
  }, 240_000);

  it('sizes the shipped 2 x 16 student at 30x, drops LayerNorm past it, and depth only under the action count', () => {
    expect(sizeForBudget(14, 5, 40_088 / 30, 2)).toEqual({ hidden: [16, 16], layerNorm: true, flops: 1287 });
    expect(sizeForBudget(14, 5, 40_088 / 28.6, 2).hidden).toEqual([17, 17]);
    // LayerNorm's 98 FLOPs would be a quarter of the budget at 100x; at 300x two layers would be 2 wide, under the 5 logits.
    expect(sizeForBudget(14, 5, 40_088 / 100, 2)).toEqual({ hidden: [7, 7], layerNorm: false, flops: 397 });
    expect(sizeForBudget(14, 5, 40_088 / 300, 2)).toEqual({ hidden: [3], layerNorm: false, flops: 125 });
    expect(() => sizeForBudget(14, 5, 40, 2)).toThrow(/no student fits 40 FLOPs per decision with 14 inputs and 5 actions/);
  });

  it.each(['1', '0.5', 'abc', '10,,30', '0'])('refuses --ratios %s with one line naming the flag', async (ratios) => {
    const refused = reportMain(['--scenario', 'spread', '--ratios', ratios]);
    await expect(refused).rejects.toThrow(UsageError);
    await expect(refused).rejects.toThrow(/^--ratios: '[^']*' is not a FLOPs ratio above 1 \(give e\.g\. 10,30,100,300\)[^\n]*$/);
  });
});
