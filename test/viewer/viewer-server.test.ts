import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient } from '../../agents/process/agent-client.ts';
import { loadPolicySource } from '../../agents/policy-source.ts';
import { encode } from '../../shared/codec.ts';
import { POLICY_FORMAT, POLICY_FORMAT_VERSION, type PolicyFile } from '../../shared/model-format.ts';
import { createStaticHandler } from '../../server/http/static-handler.ts';
import { NetServer } from '../../server/net/net-server.ts';
import { buildViewer, launchBrowser, nextFrame, screenshotPath, trackPageErrors } from './harness.ts';

/**
 * The viewer against the real `kdmarl serve` (NetServer on an ephemeral port, serving the built
 * viewer through the static handler): scene and snapshots, inspection, pause/step/resume and a
 * scenario switch with the control token, a server restart on the same port, and the server's
 * own replay recording played back.
 */
let browser: Browser;
let built: Awaited<ReturnType<typeof buildViewer>>;
let dir: string;
const TOKEN = 'viewer-test-token';

beforeAll(async () => {
  built = await buildViewer();
  dir = mkdtempSync(join(tmpdir(), 'kdmarl-viewer-server-'));
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  built?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function startServer(port = 0, record?: string, hz = 20): NetServer {
  return new NetServer({
    scenario: '3m',
    host: '127.0.0.1',
    port,
    mode: 'realtime',
    hz,
    seed: 5,
    waitForAgents: false,
    controlToken: TOKEN,
    record,
    httpHandler: createStaticHandler({ viewerDir: built.dir, runsDir: dir, replaysDir: dir }),
    logger: pino({ level: 'silent' }),
  });
}

const state = (page: Page) => page.evaluate(() => window.__viewer!.state());

describe('viewer against kdmarl serve', () => {
  it('renders the live 3m battle, inspects an agent, controls the run, survives a restart, and plays its recording', async () => {
    const recording = join(dir, 'live.kdr');
    let server = startServer(0, recording);
    await server.listen();
    const port = Number(new URL(server.httpUrl).port);
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = trackPageErrors(page);
    try {
      await page.goto(`${server.httpUrl}?token=${TOKEN}`);
      await page.waitForFunction(() => window.__viewer?.state().scenario === '3m' && window.__viewer.state().snapshots >= 5);
      // The battle runs in real time from listen(), so on a slow machine a marine may already be
      // dead: every agent alive in the latest snapshot is drawn, and no other.
      await page.waitForFunction(() => {
        const s = window.__viewer!.state();
        return s.drawn.agents > 0 && s.drawn.agents === s.liveAgentEntities.length;
      });
      const first = await state(page);
      expect(first.connection).toBe('open');
      expect(first.agentsInScene).toBe(3);
      const pixels = await page.evaluate(() => window.__viewer!.pixelStats());
      expect(pixels.nonBackground / pixels.total).toBeGreaterThan(0.2);
      expect(pixels.blue).toBeGreaterThan(20);
      expect(pixels.red).toBeGreaterThan(20);
      const hudTick = Number(first.hudTick);
      await page.waitForFunction((t) => Number(window.__viewer!.state().hudTick) > t, hudTick);

      // Pause, then one step advances exactly one tick, then resume.
      await page.click('#btn-pause');
      await page.waitForFunction(() => document.getElementById('hud-mode')!.textContent === 'live · paused');
      const pausedTick = (await state(page)).tick;
      await page.click('#btn-step');
      await page.waitForFunction((t) => window.__viewer!.state().tick === t + 1, pausedTick);
      expect((await state(page)).notes).toContain('step: ok');

      // Inspect a live agent while paused (it stays where we click); the server answers with its views.
      await page.waitForFunction(() => window.__viewer!.state().alpha === 1);
      if ((await state(page)).liveAgentEntities.length === 0) {
        // Every ally died before the pause (no agents are connected here): start a fresh episode.
        await page.click('#btn-reset');
        await page.waitForFunction(() => window.__viewer!.state().liveAgentEntities.length > 0);
        await page.waitForFunction(() => window.__viewer!.state().alpha === 1);
      }
      // Click each live agent in turn until one opens the inspector (a unit may stand behind another's bar).
      for (const entity of (await state(page)).liveAgentEntities) {
        const at = await page.evaluate((e) => window.__viewer!.screenPositionOf(e), entity);
        await page.mouse.click(at!.x, at!.y);
        const opened = await page.waitForFunction(() => window.__viewer!.state().inspectOpen, undefined, { timeout: 5000 }).then(() => true, () => false);
        if (opened) break;
      }
      await page.waitForFunction(() => window.__viewer!.state().inspectOpen);
      await page.waitForFunction(() => {
        const value = document.querySelector('#teacher-view tr td.v')?.textContent;
        return value !== undefined && value !== '·';
      });
      await page.waitForFunction(() => document.getElementById('inspect-stats')!.textContent!.includes('deadline'));
      await page.screenshot({ path: screenshotPath('viewer-live-3m-inspect.png') });
      await page.click('#btn-close');
      await page.click('#btn-pause');
      await page.waitForFunction(() => document.getElementById('hud-mode')!.textContent === 'live');

      // The server restarts on the same port: banner, backoff, reconnection, a fresh scene.
      await server.close();
      await page.waitForFunction(() => window.__viewer!.state().banner.level === 'warning');
      server = startServer(port);
      await server.listen();
      await page.waitForFunction(() => window.__viewer!.state().connection === 'open' && window.__viewer!.state().banner.level === 'none', null, { timeout: 30_000 });
      const before = (await state(page)).snapshots;
      await page.waitForFunction((n) => window.__viewer!.state().snapshots > n + 3, before);
      await page.screenshot({ path: screenshotPath('viewer-live-3m.png') });

      // Scenario switch with the token; the switcher lists the server's scenarios.
      await page.waitForFunction(() => [...document.querySelectorAll('#scenario-list option')].some((o) => (o as HTMLOptionElement).value === '8m'));
      await page.fill('#in-scenario', 'spread');
      await page.click('#btn-scenario');
      await page.waitForFunction(() => window.__viewer!.state().scenario === 'spread' && window.__viewer!.state().snapshots > 2);
      await nextFrame(page);
      expect((await state(page)).drawn.agents).toBe((await state(page)).agentsInScene);
      // Chromium logs each refused connection while the server is down; that is the point here.
      expect(errors.filter((e) => !e.includes('ERR_CONNECTION_REFUSED'))).toEqual([]);
    } finally {
      await page.close();
      await server.close();
    }

    // The first server's recording (closed above) plays in the viewer.
    copyFileSync(recording, join(dir, 'recorded.kdr'));
    const replayServer = startServer(0);
    await replayServer.listen();
    const replayPage = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    try {
      await replayPage.goto(`${replayServer.httpUrl}?server=none&replay=replays/recorded.kdr`);
      await replayPage.waitForFunction(() => (window.__viewer?.state().replay?.index ?? 0) >= 2);
      const replay = await state(replayPage);
      expect(replay.scenario).toBe('3m');
      expect(replay.replay!.length).toBeGreaterThan(5);
      expect(replay.banner.level).toBe('none');
    } finally {
      await replayPage.close();
      await replayServer.close();
    }
  });

  it('says plainly that a wrong ?token= was rejected, with the controls disabled, and says nothing for the right one', async () => {
    const server = startServer(0, undefined, 10);
    await server.listen();
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = trackPageErrors(page);
    try {
      // The server welcomes a spectator with a wrong token read-only; the welcome comes before the scene.
      await page.goto(`${server.httpUrl}?token=not-the-token`);
      await page.waitForFunction(() => window.__viewer?.state().scenario === '3m' && window.__viewer.state().snapshots >= 2);
      const rejected = await state(page);
      expect(rejected.controlAccess).toBe('rejected');
      expect(rejected.controlStatus).toMatch(/^Control token rejected by the server: Pause, Step, Reset, speed and scenario are disabled/);
      expect(await page.locator('#control-status').isVisible()).toBe(true);
      expect(rejected.disabledControls.map((c) => c.id)).toEqual(['btn-pause', 'btn-step', 'btn-reset', 'sel-speed', 'in-scenario', 'btn-scenario']);
      for (const control of rejected.disabledControls) expect(control.title).toMatch(/rejected this page’s control token/);
      await page.screenshot({ path: screenshotPath('viewer-token-rejected.png') });

      await page.goto(`${server.httpUrl}?token=${TOKEN}`);
      await page.waitForFunction(() => window.__viewer?.state().scenario === '3m' && window.__viewer.state().snapshots >= 2);
      const accepted = await state(page);
      expect(accepted.controlAccess).toBe('allowed');
      expect(accepted.controlStatus).toBe('');
      expect(await page.locator('#control-status').isVisible()).toBe(false);
      expect(accepted.disabledControls).toEqual([]);
      await page.click('#btn-pause');
      await page.waitForFunction(() => document.getElementById('hud-mode')!.textContent === 'live · paused');
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      await server.close();
    }
  });

  it('shows a student policy’s action probabilities and the relation graph and roles computed from them', async () => {
    const server = startServer(0, undefined, 8);
    await server.listen();
    // A hand-made student for 3m's default student views: one linear layer, fixed weights (no training needed to have distributions).
    const world = server.world;
    const file: PolicyFile = {
      format: POLICY_FORMAT,
      version: POLICY_FORMAT_VERSION,
      scenario: '3m',
      role: 'student',
      producedBy: 'viewer-server.test',
      agents: Object.fromEntries(world.sim.agentNames.map((name, i) => [name, { net: name, view: world.defaultViews[i] }])),
      nets: Object.fromEntries(
        world.sim.agentNames.map((name, i) => {
          const inputs = world.studentViews[i].size;
          const outputs = world.sim.actionCounts[i];
          const weight = Float32Array.from({ length: inputs * outputs }, (_, k) => Math.sin(k * (i + 1)));
          return [name, { inputSize: inputs, layers: [{ kind: 'dense' as const, inputSize: inputs, outputSize: outputs, activation: 'linear' as const, weight, bias: new Float32Array(outputs) }] }];
        }),
      ),
    };
    const policyPath = join(dir, '3m-student.msgpack');
    writeFileSync(policyPath, encode(file));
    const agent = new AgentClient({
      url: server.url,
      slots: world.sim.agentNames.map((_, slot) => ({ slot, token: server.tokens[slot] })),
      source: await loadPolicySource(policyPath),
      caps: {},
      log: pino({ level: 'silent' }),
    });
    void agent.run();
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors = trackPageErrors(page);
    try {
      await page.goto(`${server.httpUrl}?token=${TOKEN}`);
      await page.waitForFunction(() => window.__viewer?.state().scenario === '3m' && window.__viewer.state().snapshots >= 3);
      await page.evaluate(() => {
        window.__viewer!.setOverlay('graph', true);
        window.__viewer!.setOverlay('roles', true);
      });
      // The server asks the agent for distributions, and snapshots carry the relation matrix and roles.
      await page.waitForFunction(() => window.__viewer!.overlayState().graphEdges > 0);
      const overlays = await page.evaluate(() => window.__viewer!.overlayState());
      expect(overlays.relations).toHaveLength(9);
      expect(overlays.roleNames).toContain('attack');
      for (const r of overlays.roles!) expect(r).toBeGreaterThanOrEqual(-1);
      expect(overlays.legend).toMatch(/role = most likely action category/);

      const entity = (await state(page)).agentEntities[1]!;
      await page.evaluate((e) => window.__viewer!.select(e), entity);
      await page.waitForFunction(() => window.__viewer!.inspectProbabilities().values.some((v) => v !== '–'));
      await page.waitForFunction(() => window.__viewer!.inspectProbabilities().heading.includes('·'));
      const shown = await page.evaluate(() => window.__viewer!.inspectProbabilities());
      expect(shown.heading).toContain('policy softmax');
      expect(shown.values).toHaveLength(world.sim.actionCounts[1]);
      const total = shown.values.reduce((sum, v) => sum + Number(v), 0);
      expect(Math.abs(total - 1)).toBeLessThan(0.06);
      await page.waitForFunction(() => document.querySelector('#inspect-probs .bar > i:not([style*="width: 0%"])') !== null);
      await page.screenshot({ path: screenshotPath('viewer-live-3m-probs-graph.png') });
      expect(errors).toEqual([]);
    } finally {
      await page.close();
      agent.stop();
      await server.close();
    }
  });
});
