import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { encode } from '../../shared/codec.ts';
import { REPLAY_FORMAT, type SnapshotMessage } from '../../shared/protocol.ts';
import { SnapshotBuilder } from '../../server/net/snapshot-builder.ts';
import { LIDAR_RANGE, LIDAR_RAYS, RobotWorld, robotScene, robotSnapshotWorld } from './fixtures/robot-world.ts';
import { nextFrame, screenshotPath, trackPageErrors, useViewerSite } from './harness.ts';
import { mockSpectatorServer } from './mock-server.ts';

/**
 * A robot world in the viewer: walls, obstacles, a turning package and a plank drawn as rotated
 * slabs, robot headings, the inspected robot's lidar rays (every robot's with the toggle) and the
 * inspector's polar plot. The frames come from a hand-built world through the server's own
 * snapshot builder, as a replay file and as a live stream.
 */
const fixture = useViewerSite();
const ROBOTS_WITH_LIDAR = 3;

/** Snapshots as the server builds them while recording: rotations, and every robot's lidar. */
function robotStream(): { scene: ReturnType<typeof robotScene>; next(): SnapshotMessage; world: RobotWorld } {
  const world = new RobotWorld();
  const session = robotSnapshotWorld(world);
  const builder = new SnapshotBuilder(session, {
    connected: new Uint8Array(4).fill(1),
    latencyMs: new Float32Array(4),
    misses: new Int32Array(4),
    invalid: new Int32Array(4),
    flops: new Float64Array(4),
  });
  const everyone = new Uint8Array(4).fill(1);
  return {
    scene: robotScene(world),
    world,
    next: () => {
      session.tickOnce();
      return builder.build(1_000_000 + session.tick * 100, 10, false, null, everyone);
    },
  };
}

function replayBytes(count: number, corrupt?: (snapshot: Record<string, unknown>) => void): Buffer {
  const stream = robotStream();
  const values: Buffer[] = [encode({ kind: 'replay', format: REPLAY_FORMAT, version: 1, scene: stream.scene })];
  for (let i = 0; i < count; i++) {
    // Encoded at once: the builder hands out the simulation's own arrays.
    const snapshot = stream.next();
    if (corrupt && i === count - 1) {
      const copy = structuredClone(snapshot) as unknown as Record<string, unknown>;
      corrupt(copy);
      values.push(encode(copy));
    } else values.push(encode(snapshot));
  }
  return Buffer.concat(values);
}

async function openReplay(bytes: Buffer, name: string): Promise<{ page: Page; errors: string[] }> {
  const page = await fixture.browser.newPage({ viewport: { width: 1280, height: 720 } });
  const errors = trackPageErrors(page);
  await page.goto(`${fixture.site.url}?server=none`);
  await page.setInputFiles('#in-replay', { name, mimeType: 'application/octet-stream', buffer: bytes });
  return { page, errors };
}

describe('viewer, robot worlds', () => {
  it('draws slabs, headings, the inspected robot lidar, all lidar on the toggle, and the polar plot', async () => {
    const stream = robotStream();
    const { page, errors } = await openReplay(replayBytes(40), 'robots.kdr');
    await page.waitForFunction(() => (window.__viewer?.state().replay?.index ?? 0) >= 2);
    // Hold still on one snapshot.
    await page.locator('#scrubber').fill('20');
    await page.waitForFunction(() => window.__viewer!.state().replay!.index === 20 && !window.__viewer!.state().replay!.playing);
    await nextFrame(page);

    const state = await page.evaluate(() => window.__viewer!.state());
    expect(state.drawn.entities).toBe(stream.scene.entities.length);
    let robots = await page.evaluate(() => window.__viewer!.robots());
    expect(robots.rotations).toBe(true);
    expect(robots.headings).toBe(4);
    expect(robots.scansInSnapshot).toEqual([0, 1, 2]);
    // Nobody inspected and the toggle off: no rays.
    expect(robots.lidarRays).toBe(0);
    expect(robots.plot).toBeNull();
    const plain = await page.evaluate(() => window.__viewer!.pixelStats());
    expect(plain.nonBackground / plain.total).toBeGreaterThan(0.2);

    const robot = stream.world.robotEntity(1);
    await page.evaluate((e) => window.__viewer!.select(e), robot);
    await page.waitForFunction(() => window.__viewer!.robots().plot !== null);
    await nextFrame(page);
    robots = await page.evaluate(() => window.__viewer!.robots());
    expect(robots.lidarRays).toBe(LIDAR_RAYS);
    expect(robots.plot!.rays).toBe(LIDAR_RAYS);
    expect(robots.plot!.nearest).toBeGreaterThanOrEqual(0);
    expect(robots.plot!.nearest).toBeLessThan(LIDAR_RANGE);
    expect(await page.locator('#inspect-lidar').isVisible()).toBe(true);
    expect(await page.locator('#lidar-note').textContent()).toMatch(new RegExp(`^${LIDAR_RAYS} rays · range 0\\.800 · nearest`));
    expect(await page.locator('#inspect-stats').textContent()).toMatch(/heading\d+° from \+x/);
    await page.screenshot({ path: screenshotPath('viewer-robots-inspect.png') });
    await page.locator('#inspect-lidar').scrollIntoViewIfNeeded();
    await page.locator('#inspect-lidar').screenshot({ path: screenshotPath('viewer-robots-lidar-plot.png') });
    expect(await page.evaluate(() => window.__viewer!.teams().map((t) => t.label))).toEqual(expect.arrayContaining(['walls', 'obstacles', 'bodies', 'goals']));

    // The robot without lidar: no rays, no plot.
    await page.evaluate((e) => window.__viewer!.select(e), stream.world.robotEntity(3));
    await page.waitForFunction(() => window.__viewer!.robots().plot === null);
    await nextFrame(page);
    expect((await page.evaluate(() => window.__viewer!.robots())).lidarRays).toBe(0);

    // Every robot's rays with the toggle; hits are drawn red, so the canvas gains red pixels.
    await page.evaluate(() => window.__viewer!.select(-1));
    await nextFrame(page);
    const before = await page.evaluate(() => window.__viewer!.pixelStats());
    await page.locator('#tg-lidar').check();
    await nextFrame(page);
    robots = await page.evaluate(() => window.__viewer!.robots());
    expect(robots.lidarRays).toBe(ROBOTS_WITH_LIDAR * LIDAR_RAYS);
    const after = await page.evaluate(() => window.__viewer!.pixelStats());
    expect(after.red).toBeGreaterThan(before.red);
    await page.screenshot({ path: screenshotPath('viewer-robots.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('refuses a replay whose lidar reading is not a distance, naming it', async () => {
    const bytes = replayBytes(5, (snapshot) => {
      const lidar = snapshot['lidar'] as { readings: Float32Array }[];
      lidar[0]!.readings[3] = -1;
    });
    const { page } = await openReplay(bytes, 'bad-lidar.kdr');
    await page.waitForFunction(() => window.__viewer?.state().banner.level === 'error');
    expect(await page.locator('#banner').textContent()).toMatch(/bad-lidar\.kdr: value 5\.lidar\[0\]\.readings\[3\]: expected a distance >= 0, got -1/);
    await page.close();
  });

  it('live: asks for every robot lidar when the toggle is switched on, and inspects the picked robot', async () => {
    const stream = robotStream();
    const page = await fixture.browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = trackPageErrors(page);
    const mock = await mockSpectatorServer(page, fixture.site.url.replace('http://', 'ws://'), stream.scene, () => stream.next());
    await page.goto(fixture.site.url);
    await page.waitForFunction(() => (window.__viewer?.state().snapshots ?? 0) >= 3);
    await page.locator('#tg-lidar').check();
    expect(await mock.waitForMessage((m) => m['kind'] === 'overlays' && m['lidar'] === true)).toMatchObject({ graph: false, roles: false });
    await page.evaluate((e) => window.__viewer!.select(e), stream.world.robotEntity(2));
    expect(await mock.waitForMessage((m) => m['kind'] === 'inspect')).toMatchObject({ agent: 2 });
    await page.waitForFunction((n) => window.__viewer!.robots().lidarRays === n, ROBOTS_WITH_LIDAR * LIDAR_RAYS);
    await page.locator('#tg-lidar').uncheck();
    await mock.waitForMessage((m) => m['kind'] === 'overlays' && m['lidar'] === false);
    await page.waitForFunction((n) => window.__viewer!.robots().lidarRays === n, LIDAR_RAYS);
    mock.stop();
    expect(errors).toEqual([]);
    await page.close();
  });
});
