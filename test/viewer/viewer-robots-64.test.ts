import { describe, expect, it } from 'vitest';
import { encode } from '../../shared/codec.ts';
import { REPLAY_FORMAT, type SnapshotMessage } from '../../shared/protocol.ts';
import { SnapshotBuilder } from '../../server/net/snapshot-builder.ts';
import { WorldSession } from '../../server/net/world-session.ts';
import { nextFrame, screenshotPath, trackPageErrors, useViewerSite } from './harness.ts';

/**
 * The 64-robot navigation world in the viewer with every robot's lidar on: snapshots from the real
 * simulation through the server's snapshot builder, recorded as a replay (every scan included, as
 * the server records), opened in headless Chromium.
 */
const fixture = useViewerSite();
const ROBOTS = 64;
const RAYS = 24;
const STEPS = 12;

/** A replay of navigation_64 under a fixed action pattern, and the snapshot the test holds on. */
function navigation64Replay(): { bytes: Buffer; held: { hits: number; scans: number } } {
  const world = new WorldSession({ scenario: 'navigation_64', seed: 5 });
  const builder = new SnapshotBuilder(world, {
    connected: new Uint8Array(ROBOTS).fill(1),
    latencyMs: new Float32Array(ROBOTS),
    misses: new Int32Array(ROBOTS),
    invalid: new Int32Array(ROBOTS),
    flops: new Float64Array(ROBOTS),
  });
  const everyone = new Uint8Array(ROBOTS).fill(1);
  const values: Buffer[] = [encode({ kind: 'replay', format: REPLAY_FORMAT, version: 1, scene: world.scene() })];
  let held = { hits: 0, scans: 0 };
  for (let t = 0; t < STEPS; t++) {
    for (let i = 0; i < ROBOTS; i++) world.applyAction(i, (i + t) % 9);
    world.step();
    const snapshot: SnapshotMessage = builder.build(1_000_000 + t * 100, 10, false, null, everyone);
    if (t === STEPS - 1) {
      const scans = snapshot.lidar ?? [];
      held = { scans: scans.length, hits: scans.reduce((n, s) => n + s.readings.filter((d) => d < s.range * 0.999).length, 0) };
    }
    // Encoded at once: the builder hands out the simulation's own arrays.
    values.push(encode(snapshot));
  }
  return { bytes: Buffer.concat(values), held };
}

describe('viewer, 64 robots with lidar', () => {
  it('draws every robot, heading and lidar ray of navigation_64 with the all-lidar toggle on', async () => {
    const { bytes, held } = navigation64Replay();
    // The held snapshot carries all 64 scans, and some rays hit a neighbour (drawn red).
    expect(held.scans).toBe(ROBOTS);
    expect(held.hits).toBeGreaterThan(0);

    const page = await fixture.browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = trackPageErrors(page);
    await page.goto(`${fixture.site.url}?server=none`);
    await page.setInputFiles('#in-replay', { name: 'navigation_64.kdr', mimeType: 'application/octet-stream', buffer: bytes });
    await page.waitForFunction(() => (window.__viewer?.state().replay?.index ?? 0) >= 2);
    await page.locator('#scrubber').fill(String(STEPS - 1));
    await page.waitForFunction((last) => window.__viewer!.state().replay!.index === last && !window.__viewer!.state().replay!.playing, STEPS - 1);
    await nextFrame(page);

    const state = await page.evaluate(() => window.__viewer!.state());
    // 64 robots and their 64 goals.
    expect(state.drawn.entities).toBe(2 * ROBOTS);
    let robots = await page.evaluate(() => window.__viewer!.robots());
    expect(robots.headings).toBe(ROBOTS);
    expect(robots.scansInSnapshot).toHaveLength(ROBOTS);
    expect(robots.lidarRays).toBe(0);
    const plain = await page.evaluate(() => window.__viewer!.pixelStats());
    // Not blank: the robots are drawn in the team blue. A robot (radius 0.1 on a 6.4-wide floor)
    // covers hundreds of pixels at 1280 x 720; at least 100 each is asked.
    expect(plain.blue).toBeGreaterThan(ROBOTS * 100);

    await page.locator('#tg-lidar').check();
    await nextFrame(page);
    robots = await page.evaluate(() => window.__viewer!.robots());
    expect(robots.lidarRays).toBe(ROBOTS * RAYS);
    const lit = await page.evaluate(() => window.__viewer!.pixelStats());
    // Rays that hit a neighbour are drawn red, and nothing else in this world is.
    expect(plain.red).toBe(0);
    expect(lit.red).toBeGreaterThan(0);
    expect(lit.blue).toBeGreaterThan(ROBOTS * 100);
    await page.screenshot({ path: screenshotPath('viewer-robots-64.png') });
    expect(errors).toEqual([]);
    await page.close();
  });
});
