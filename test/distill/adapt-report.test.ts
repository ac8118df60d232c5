import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { adaptMarkdown, recoveredAt, writeAdaptPartial, writeAdaptReport, type AdaptPartial, type AdaptResult, type TimelinePoint } from '../../agents/distill/adapt-report.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const point = (minutes: number, retention: number): TimelinePoint => ({ minutes, episodes: 40, value: retention * 0.8, retention });

function result(): AdaptResult {
  return {
    scenario: '3m',
    change: 'enemy-health=1.2',
    measure: 'win rate',
    command: 'kdmarl adapt --change enemy-health=1.2',
    load: 'load average 3.10 on 2 cores at the start',
    decisions: { due: 1000, missed: 3 },
    teacherBefore: { episodes: 500, value: 0.96 },
    teacherAfter: { episodes: 500, value: 0.8 },
    randomBefore: null,
    randomAfter: null,
    studentsBefore: { episodes: 200, value: 0.95 },
    studentsAfter: { episodes: 200, value: 0.6 },
    retentionBefore: 0.95 / 0.96,
    retentionAfter: 0.75,
    target: (0.9 * 0.95) / 0.96,
    arms: [
      { arm: 'as-is', teacher: { episodes: 500, value: 0.8 }, finetuneMinutes: 0, onlineMinutes: 15, timeline: [point(1, 0.7), point(2, 0.85), point(3, 0.92)], recoveredAtMinutes: 3 },
      { arm: 'fine-tuned', teacher: { episodes: 500, value: 0.9 }, finetuneMinutes: 4, onlineMinutes: 15, timeline: [point(1, 0.6), point(2, 0.7)], recoveredAtMinutes: null },
    ],
  };
}

describe('the adaptation report', () => {
  it('finds the first window at the target', () => {
    expect(recoveredAt([point(1, 0.5), point(2, 0.9), point(3, 0.95)], 0.9)).toBe(2);
    expect(recoveredAt([point(1, 0.5)], 0.9)).toBeNull();
  });

  it('writes the table and the figure of both arms', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adapt-'));
    dirs.push(dir);
    const paths = await writeAdaptReport(dir, result());
    expect(paths.map((p) => p.slice(dir.length + 1))).toEqual(['adapt.json', 'adapt.md', 'adapt.svg']);
    expect(JSON.parse(readFileSync(paths[0], 'utf8'))).toEqual(result());
    const md = readFileSync(paths[1], 'utf8');
    expect(md).toContain('| before the change | 96.0% (500 ep.) | 95.0% (200 ep.) | 99.0% |');
    expect(md).toContain('| as-is | changed | 80.0% (500 ep.) | 0.0 min | 15.0 min | 92.0% | 92.0% | 3.0 min |');
    expect(md).toContain('| fine-tuned | changed | 90.0% (500 ep.) | 4.0 min | 15.0 min | 70.0% | 70.0% | not reached |');
    expect(md).not.toContain('control');
    const svg = readFileSync(paths[2], 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    for (const label of ['as-is', 'fine-tuned', 'target (90% of before)', 'right after the change']) expect(svg).toContain(label);
    expect(md).toContain('missed the deadline: 3 of 1000.');
  });

  it('puts a control arm in the table, on the unchanged world, and in the figure as a series of its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'adapt-'));
    dirs.push(dir);
    const r = result();
    r.arms.push({ arm: 'control', teacher: r.teacherBefore, finetuneMinutes: 0, onlineMinutes: 15, timeline: [point(1, 0.97), point(2, 0.93)], recoveredAtMinutes: null });
    const [, mdPath, svgPath] = await writeAdaptReport(dir, r);
    const md = readFileSync(mdPath, 'utf8');
    expect(md).toContain('| control | unchanged | 96.0% (500 ep.) | 0.0 min | 15.0 min | 93.0% | 97.0% | n/a (control) |');
    expect(md).toContain('The control arm runs the same timeline with the world swapped for the unchanged one');
    const svg = readFileSync(svgPath, 'utf8');
    for (const label of ['control', 'teacher control, unchanged world', 'teacher as-is, changed world']) expect(svg).toContain(label);
  });

  it('scores by return where the scenario has no wins', () => {
    const r = { ...result(), measure: 'return above random', teacherBefore: { episodes: 500, value: -9.35 } };
    expect(adaptMarkdown(r)).toContain('| before the change | -9.350 (500 ep.) |');
  });

  it('writes what a stopped experiment had measured, with the stretch it stopped in', () => {
    const dir = mkdtempSync(join(tmpdir(), 'adapt-'));
    dirs.push(dir);
    const { scenario, change, teacherBefore, teacherAfter, studentsBefore } = result();
    const partial: AdaptPartial = {
      error: 'waited for 200 episodes of the students after the change: no episode ended for 105 s since the last one (37 of 200 ended); the agents or the server stopped',
      measured: { scenario, change, teacherBefore, teacherAfter, studentsBefore },
      stretch: { waitingFor: '200 episodes of the students after the change', score: { episodes: 37, value: 0.4 } },
      armInProgress: null,
    };
    const path = writeAdaptPartial(dir, partial);
    expect(path).toBe(join(dir, 'adapt-partial.json'));
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(partial);
    // Written through a temporary file renamed into place: nothing else is left beside it.
    expect(readdirSync(dir)).toEqual(['adapt-partial.json']);
  });
});
