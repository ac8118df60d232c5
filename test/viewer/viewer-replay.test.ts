import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encode } from '../../shared/codec.ts';
import { REPLAY_FORMAT, type SceneMessage, type SnapshotMessage } from '../../shared/protocol.ts';
import { builtinScenarios } from '../../server/scenarios/registry.ts';
import { simulationStream } from './fixtures/from-simulation.ts';
import { buildViewer, launchBrowser, screenshotPath, serveStatic, trackPageErrors } from './harness.ts';

/**
 * Replays: a file recorded from the real simulator plays from `?replay=URL` and from the file
 * input, the scrubber seeks, and broken files end in a message on the page, never a blank page.
 */
let browser: Browser;
let site: Awaited<ReturnType<typeof serveStatic>>;
let built: Awaited<ReturnType<typeof buildViewer>>;
let replays: string;
// SMAC when its scenarios are registered (a battle makes the better picture), else MPE.
const scenario = builtinScenarios().has('3m') ? '3m' : 'spread';
const SNAPSHOTS = 60;
let recording: { scene: SceneMessage; snapshots: SnapshotMessage[]; bytes: Buffer };

function record(name: string, count: number): { scene: SceneMessage; snapshots: SnapshotMessage[]; bytes: Buffer } {
  const stream = simulationStream(name, 7);
  const snapshots = Array.from({ length: count }, () => stream.next());
  const bytes = Buffer.concat([encode({ kind: 'replay', format: REPLAY_FORMAT, version: 1, scene: stream.scene }), ...snapshots.map((s) => encode(s))]);
  return { scene: stream.scene, snapshots, bytes };
}

beforeAll(async () => {
  built = await buildViewer();
  replays = mkdtempSync(join(tmpdir(), 'kdmarl-replays-'));
  recording = record(scenario, SNAPSHOTS);
  writeFileSync(join(replays, 'game.kdr'), recording.bytes);
  writeFileSync(join(replays, 'truncated.kdr'), recording.bytes.subarray(0, Math.floor(recording.bytes.length * 0.6)));
  writeFileSync(join(replays, 'garbage.kdr'), Buffer.from('this is not a replay at all, just text\n'));
  writeFileSync(join(replays, 'wrong-format.kdr'), encode({ kind: 'replay', format: 'something-else', version: 1, scene: recording.scene }));
  site = await serveStatic({ viewerDir: built.dir, runsDir: replays, replaysDir: replays });
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await site?.close();
  built?.cleanup();
  if (replays) rmSync(replays, { recursive: true, force: true });
});

async function open(query: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const errors = trackPageErrors(page);
  await page.goto(`${site.url}?server=none&${query}`);
  return { page, errors };
}

describe('viewer replays', () => {
  it(`plays a recorded ${scenario} replay from ?replay=, and the scrubber seeks`, async () => {
    const { page, errors } = await open('replay=replays/game.kdr');
    await page.waitForFunction(() => window.__viewer?.state().replay !== null && window.__viewer!.state().replay!.index >= 3);
    const state = await page.evaluate(() => window.__viewer!.state());
    expect(state.mode).toBe('replay');
    expect(state.replay!.length).toBe(SNAPSHOTS);
    expect(state.drawn.agents).toBe(recording.scene.agents.length);
    expect(await page.locator('#timeline').isVisible()).toBe(true);
    // Playing moves the scrubber and the tick.
    await page.waitForFunction(() => Number((document.getElementById('scrubber') as HTMLInputElement).value) >= 5);
    const tickBefore = state.tick;
    await page.waitForFunction((t) => window.__viewer!.state().tick > t, tickBefore);

    await page.locator('#scrubber').fill('40');
    await page.waitForFunction(() => window.__viewer!.state().replay!.index === 40);
    const seeked = await page.evaluate(() => window.__viewer!.state());
    expect(seeked.tick).toBe(recording.snapshots[40]!.tick);
    expect(seeked.replay!.playing).toBe(false);
    const pixels = await page.evaluate(() => window.__viewer!.pixelStats());
    expect(pixels.nonBackground / pixels.total).toBeGreaterThan(0.2);
    await page.screenshot({ path: screenshotPath(`viewer-replay-${scenario}.png`) });

    await page.click('#btn-play');
    await page.waitForFunction(() => window.__viewer!.state().replay!.index > 40);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('plays the complete part of a truncated file and says it was cut off', async () => {
    const { page, errors } = await open('replay=replays/truncated.kdr');
    await page.waitForFunction(() => window.__viewer?.state().replay !== null && window.__viewer!.state().banner.level === 'warning');
    const state = await page.evaluate(() => window.__viewer!.state());
    expect(state.replay!.length).toBeGreaterThan(0);
    expect(state.replay!.length).toBeLessThan(SNAPSHOTS);
    expect(state.banner.text).toMatch(/truncated/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('shows an error on the page for a corrupt file, a wrong format, or a missing URL', async () => {
    for (const [query, pattern] of [
      ['replay=replays/garbage.kdr', /garbage\.kdr: (not a msgpack stream|first value is not a replay header)/],
      ['replay=replays/wrong-format.kdr', /format 'something-else', expected 'kdmarl-replay'/],
      ['replay=replays/missing.kdr', /Cannot load replay .*404/],
    ] as const) {
      const { page } = await open(query);
      await page.waitForFunction(() => window.__viewer?.state().banner.level === 'error');
      const banner = page.locator('#banner');
      expect(await banner.isVisible()).toBe(true);
      expect(await banner.textContent()).toMatch(pattern);
      // Not a blank page: the HUD and controls are still there, and the page still renders frames.
      expect(await page.locator('#hud').isVisible()).toBe(true);
      const frames = await page.evaluate(() => window.__viewer!.framesRendered());
      await page.waitForFunction((n) => window.__viewer!.framesRendered() > n, frames);
      if (query.includes('garbage')) await page.screenshot({ path: screenshotPath('viewer-corrupt-replay.png') });
      await page.close();
    }
  });

  it('loads a replay chosen with the file input, rejecting a corrupt one first', async () => {
    const { page, errors } = await open('');
    await page.setInputFiles('#in-replay', { name: 'broken.kdr', mimeType: 'application/octet-stream', buffer: Buffer.from([0x92, 0xc1]) });
    await page.waitForFunction(() => window.__viewer?.state().banner.level === 'error');
    expect(await page.locator('#banner').textContent()).toContain('broken.kdr');
    await page.setInputFiles('#in-replay', { name: 'good.kdr', mimeType: 'application/octet-stream', buffer: recording.bytes });
    await page.waitForFunction((n) => window.__viewer!.state().replay?.length === n && window.__viewer!.state().banner.level === 'none', SNAPSHOTS);

    // Dropped on the page: the same loader, through a real drop event with a DataTransfer.
    const half = recording.bytes.subarray(0, Math.floor(recording.bytes.length / 2));
    const dataTransfer = await page.evaluateHandle((bytes) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], 'dropped.kdr'));
      return transfer;
    }, [...half]);
    await page.dispatchEvent('body', 'drop', { dataTransfer });
    await page.waitForFunction(() => document.getElementById('hud-mode')!.textContent === 'replay · dropped.kdr');
    expect((await page.evaluate(() => window.__viewer!.state())).replay!.length).toBeLessThan(SNAPSHOTS);
    expect(errors).toEqual([]);
    await page.close();
  });
});
