import { describe, expect, it } from 'vitest';
import { syntheticScene, syntheticSnapshot } from './fixtures/synthetic.ts';
import { nextFrame, screenshotPath, trackPageErrors, useViewerSite } from './harness.ts';
import { mockSpectatorServer } from './mock-server.ts';

/**
 * Frame cost with 100 agents (plus 20 enemy units and their bars, beams and the coordination
 * graph) in headless Chromium on SwiftShader. The numbers are reported, not asserted: wall-clock
 * budgets do not belong in tests on a shared two-core machine. Budget: 16 ms.
 */
const fixture = useViewerSite();

describe('viewer frame time', () => {
  {
    // The viewer picks 'low' itself on SwiftShader; pass ?quality=high to measure MSAA.
    const quality = 'low';
    it('renders 100 agents and reports the frame time', async () => {
      const scene = syntheticScene(100, 20, 'hundred');
      const page = await fixture.browser.newPage({ viewport: { width: 1280, height: 720 } });
      const errors = trackPageErrors(page);
      const mock = await mockSpectatorServer(page, fixture.site.url.replace('http://', 'ws://'), scene, (tick) => syntheticSnapshot(scene, tick), 50);
      await page.goto(`${fixture.site.url}?quality=${quality}`);
      await page.waitForFunction(() => (window.__viewer?.state().snapshots ?? 0) >= 5);
      await page.evaluate(() => window.__viewer!.setOverlay('graph', true));
      await nextFrame(page);
      expect((await page.evaluate(() => window.__viewer!.state())).drawn.agents).toBe(100);
      // Shader compilation lands in the first frames; measure after it.
      const warm = await page.evaluate(() => window.__viewer!.framesRendered());
      await page.waitForFunction((n) => window.__viewer!.framesRendered() >= n + 10, warm);
      await page.evaluate(() => window.__viewer!.resetFrameStats());
      const start = await page.evaluate(() => window.__viewer!.framesRendered());
      await page.waitForFunction((n) => window.__viewer!.framesRendered() >= n + 60, start, { timeout: 100_000 });
      const stats = await page.evaluate(() => window.__viewer!.frameStats());
      // cpu*: the viewer's own work per frame (update + render submission) on the main thread;
      // interval*: time between animation frames, which on SwiftShader is CPU rasterisation and
      // depends on what else the machine is running.
      console.log(`frame time, 100 agents + 20 units, headless Chromium/SwiftShader, 1280x720, quality ${quality}: ${JSON.stringify(stats)}`);
      expect(stats.frames).toBeGreaterThanOrEqual(60);
      expect(stats.cpuMeanMs).toBeGreaterThan(0);
      await page.screenshot({ path: screenshotPath('viewer-synthetic-100-agents.png') });
      expect(errors).toEqual([]);
      mock.stop();
      await page.close();
    }, 150_000);
  }
});
