import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildViewer, launchBrowser, screenshotPath, serveStatic, trackPageErrors } from './harness.ts';

/**
 * The charts page: runs listed through /runs/, curves drawn from metrics.jsonl in the trainer's
 * own line format, a live run tailed as lines are appended, and a report's results table.
 */
let browser: Browser;
let site: Awaited<ReturnType<typeof serveStatic>>;
let built: Awaited<ReturnType<typeof buildViewer>>;
let runs: string;

/** A line as agents/learn and agents/distill write it (NaN metrics arrive as null). */
function trainerLine(update: number): string {
  return JSON.stringify({
    global_step: update * 1600,
    update,
    wall_seconds: update * 1.1,
    'charts/episode_return': -30 + update * 0.8,
    'charts/win_rate': Math.min(1, update / 40),
    'charts/SPS': 1500,
    'losses/policy': 0.01 / update,
    'losses/value': 0.6 / update,
    'losses/entropy': 1.6 - update * 0.01,
    'eval/return': update % 5 === 0 ? -20 + update : null,
  });
}

beforeAll(async () => {
  built = await buildViewer();
  runs = mkdtempSync(join(tmpdir(), 'kdmarl-runs-'));
  mkdirSync(join(runs, 'spread__mappo__1__main'));
  writeFileSync(join(runs, 'spread__mappo__1__main', 'metrics.jsonl'), Array.from({ length: 20 }, (_, i) => trainerLine(i + 1)).join('\n') + '\n');
  mkdirSync(join(runs, 'report__3m', 'runs', 'kd__seed1'), { recursive: true });
  writeFileSync(
    join(runs, 'report__3m', 'report.md'),
    '# 3m: distillation report\n\nSome text.\n\n| policy | win rate | return |\n| --- | ---: | ---: |\n| teacher | 90.0% | 18.2 |\n| kd: small | 81.0% | 16.9 |\n',
  );
  writeFileSync(join(runs, 'report__3m', 'runs', 'kd__seed1', 'metrics.jsonl'), trainerLine(1) + '\n');
  site = await serveStatic({ viewerDir: built.dir, runsDir: runs, replaysDir: runs });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  built?.cleanup();
  if (runs) rmSync(runs, { recursive: true, force: true });
});

describe('charts page', () => {
  it('draws the curves of a run and follows it as the trainer appends lines', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = trackPageErrors(page);
    await page.goto(`${site.url}charts.html?run=spread__mappo__1__main`);
    await page.waitForFunction(() => window.__charts?.rows() === 20);
    const keys = await page.evaluate(() => window.__charts!.keys());
    expect(keys).toEqual(expect.arrayContaining(['charts/episode_return', 'charts/win_rate', 'losses/policy', 'losses/value', 'eval/return', 'wall_seconds']));
    expect(keys).not.toContain('update');
    expect(await page.locator('.chart-card canvas').count()).toBeGreaterThanOrEqual(keys.length);
    const options = await page.locator('#run-select option').allTextContents();
    expect(options).toEqual(expect.arrayContaining(['spread__mappo__1__main', 'report__3m/runs/kd__seed1']));

    // A partial line (mid-write) waits for its end; complete lines appear on the next poll.
    appendFileSync(join(runs, 'spread__mappo__1__main', 'metrics.jsonl'), trainerLine(21) + '\n' + trainerLine(22).slice(0, 30));
    await page.waitForFunction(() => window.__charts!.rows() === 21);
    appendFileSync(join(runs, 'spread__mappo__1__main', 'metrics.jsonl'), trainerLine(22).slice(30) + '\nnot json\n');
    await page.waitForFunction(() => window.__charts!.rows() === 22 && window.__charts!.error().includes('not JSON'));
    // A poll that finds nothing new is not a failed load in the browser's console.
    const polls = await page.evaluate(() => window.__charts!.polls());
    await page.waitForFunction((n) => window.__charts!.polls() > n, polls);
    expect(await page.evaluate(() => window.__charts!.rows())).toBe(22);
    await page.screenshot({ path: screenshotPath('charts-fixture.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("shows a report's results table", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${site.url}charts.html?run=report__3m`);
    await page.waitForFunction(() => window.__charts?.run() === 'report__3m' && window.__charts.tables() === 1);
    const cells = await page.locator('#results td').allTextContents();
    expect(cells).toEqual(['teacher', '90.0%', '18.2', 'kd: small', '81.0%', '16.9']);
    await page.close();
  });
});
