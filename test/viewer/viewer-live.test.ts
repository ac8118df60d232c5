import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '../../shared/protocol.ts';
import { syntheticScene, syntheticSnapshot } from './fixtures/synthetic.ts';
import { simulationStream } from './fixtures/from-simulation.ts';
import { nextFrame, screenshotPath, trackPageErrors, useViewerSite } from './harness.ts';
import { mockSpectatorServer } from './mock-server.ts';

/**
 * The viewer against a spectator stream replayed by Playwright's routeWebSocket: the scene is
 * drawn (pixels, not just DOM), every agent is instanced, the HUD follows ticks, picking opens
 * the inspector, controls carry the token, and a dropped connection is announced and retried.
 */
const fixture = useViewerSite();

async function openPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await fixture.browser.newPage({ viewport: { width: 1280, height: 720 } });
  const errors = trackPageErrors(page);
  return { page, errors };
}

const wsUrl = (): string => fixture.site.url.replace('http://', 'ws://');

describe('viewer, live stream', () => {
  it('draws a battle: non-blank WebGL canvas, every agent instanced, HUD ticks, inspector on click', async () => {
    const scene = syntheticScene(10, 8, '3m-like');
    const { page, errors } = await openPage();
    const mock = await mockSpectatorServer(page, wsUrl(), scene, (tick) => syntheticSnapshot(scene, tick + 20));
    await page.goto(fixture.site.url + '?token=secret');

    const hello = await mock.waitForMessage((m) => m['kind'] === 'hello');
    expect(hello).toMatchObject({ version: PROTOCOL_VERSION, role: 'spectator', token: 'secret' });
    await page.waitForFunction(() => (window.__viewer?.state().snapshots ?? 0) >= 3);
    await nextFrame(page);

    const state = await page.evaluate(() => window.__viewer!.state());
    expect(state.scenario).toBe('3m-like');
    expect(state.agentsInScene).toBe(10);
    expect(state.drawn.agents).toBe(10);
    expect(state.connection).toBe('open');
    expect(state.beams).toBeGreaterThan(0);
    // Units that die fade out and stop being drawn.
    await page.waitForFunction((n) => window.__viewer!.state().drawn.units < n, scene.agents.length + 8);

    // A WebGL failure leaves a blank (background) canvas without any error: count real pixels.
    const pixels = await page.evaluate(() => window.__viewer!.pixelStats());
    expect(pixels.nonBackground / pixels.total).toBeGreaterThan(0.2);
    expect(pixels.blue).toBeGreaterThan(200);
    expect(pixels.red).toBeGreaterThan(200);

    const firstTick = Number(await page.locator('#hud-tick').textContent());
    await page.waitForFunction((t) => Number(document.getElementById('hud-tick')!.textContent) > t, firstTick);

    const agent = scene.agents[2]!;
    const at = await page.evaluate((e) => window.__viewer!.screenPositionOf(e), agent.entity);
    expect(at).not.toBeNull();
    // Freeze the stream so the agent is where we click.
    mock.stop();
    await page.waitForFunction(() => window.__viewer!.state().alpha === 1);
    const still = await page.evaluate((e) => window.__viewer!.screenPositionOf(e), agent.entity);
    await page.mouse.click(still!.x, still!.y);
    await page.waitForFunction((e) => window.__viewer!.state().selected === e && window.__viewer!.state().inspectOpen, agent.entity);
    await expect(page.locator('#inspect-title').textContent()).resolves.toContain(agent.name);
    expect(await page.locator('#teacher-view tr').count()).toBe(agent.teacherLabels.length);
    expect(await page.locator('#student-view tr').count()).toBe(agent.studentLabels.length);

    // The panel asks the server about the agent and shows the values it sends back.
    const request = await mock.waitForMessage((m) => m['kind'] === 'inspect');
    expect(request['agent']).toBe(2);
    mock.send({
      kind: 'inspect',
      agent: 2,
      teacher: Float32Array.from(agent.teacherLabels, (_, i) => i + 0.5),
      student: Float32Array.from(agent.studentLabels, (_, i) => i + 0.25),
      probs: Float32Array.from({ length: agent.actionCount }, (_, i) => (i === 1 ? 0.7 : 0.3 / (agent.actionCount - 1))),
      flopsCap: 50_000,
    });
    await page.waitForFunction(() => document.querySelector('#teacher-view tr td.v')?.textContent === '0.500');
    await page.waitForFunction(() => document.getElementById('inspect-stats')!.textContent!.includes('50.0 kFLOP'));

    // The follow camera keeps the agent at the centre of the view as it moves.
    await page.click('#btn-follow');
    expect((await page.evaluate(() => window.__viewer!.state())).following).toBe(agent.entity);
    await page.waitForFunction((e) => {
      const v = window.__viewer!;
      const target = v.cameraTarget();
      const at = v.positionOf(e)!;
      return Math.hypot(target.x - at.x, target.y - at.y) < 1e-3;
    }, agent.entity);
    await page.click('#btn-follow');

    // Controls carry the token.
    await page.click('#btn-step');
    const step = await mock.waitForMessage((m) => m['kind'] === 'control' && m['action'] === 'step');
    expect(step['token']).toBe('secret');
    await page.selectOption('#sel-speed', '2');
    const speed = await mock.waitForMessage((m) => m['kind'] === 'control' && m['action'] === 'speed');
    expect(speed['value']).toBe(2);

    await page.evaluate(() => {
      window.__viewer!.setOverlay('graph', true);
      window.__viewer!.setOverlay('roles', true);
    });
    await nextFrame(page);
    await page.screenshot({ path: screenshotPath('viewer-synthetic-inspect.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('draws the real spread simulator and saves a screenshot', async () => {
    const stream = simulationStream('spread', 3);
    const { page, errors } = await openPage();
    await mockSpectatorServer(page, wsUrl(), stream.scene, () => stream.next());
    // The MSAA path (what a machine with a GPU gets) on top of the default low-quality one.
    await page.goto(`${fixture.site.url}?quality=high`);
    await page.waitForFunction(() => (window.__viewer?.state().tick ?? -1) >= 5);
    await nextFrame(page);
    const state = await page.evaluate(() => window.__viewer!.state());
    expect(state.drawn.agents).toBe(stream.scene.agents.length);
    expect(state.drawn.entities).toBe(stream.scene.entities.length);
    const pixels = await page.evaluate(() => window.__viewer!.pixelStats());
    expect(pixels.nonBackground / pixels.total).toBeGreaterThan(0.2);
    expect(pixels.blue).toBeGreaterThan(50);
    await page.screenshot({ path: screenshotPath('viewer-spread.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the HUD legend names each side in the colour the scene draws it', async () => {
    const cases = [
      { name: '3m', labels: ['allies (agents)', 'enemies (built-in AI)'] },
      { name: 'spread', labels: ['agents', 'landmarks'] },
      { name: 'tag_scripted', labels: ['adversary agents', 'good (scripted)', 'obstacles'] },
    ];
    for (const { name, labels } of cases) {
      const stream = simulationStream(name, 2);
      const { page, errors } = await openPage();
      await mockSpectatorServer(page, wsUrl(), stream.scene, () => stream.next());
      await page.goto(fixture.site.url);
      await page.waitForFunction((n) => window.__viewer?.state().scenario === n && window.__viewer.state().snapshots >= 2, name);
      const teams = await page.evaluate(() => window.__viewer!.teams());
      expect(teams.map((t) => t.label)).toEqual(labels);
      // The entries split the scene's entities, agents apart from the rest.
      expect(teams.flatMap((t) => t.entities).sort((x, y) => x - y)).toEqual(stream.scene.entities.map((_, i) => i));
      const agents = new Set(stream.scene.agents.map((a) => a.entity));
      for (const team of teams) expect(new Set(team.entities.map((i) => agents.has(i))).size).toBe(1);
      // Each entry's swatches are exactly the colours its members are drawn in.
      const drawn = await page.evaluate((n) => Array.from({ length: n }, (_, i) => window.__viewer!.colorOf(i)), stream.scene.entities.length);
      for (const team of teams) expect(team.colors).toEqual([...new Set(team.entities.map((i) => drawn[i]))]);
      // No two sides share a colour.
      expect(new Set(teams.flatMap((t) => t.colors)).size).toBe(teams.length);
      const text = await page.locator('#hud-teams').innerText();
      for (const label of labels) expect(text).toContain(label);
      expect(await page.locator('#hud-teams').isVisible()).toBe(true);
      if (name === '3m') {
        expect(teams[0]!.detail).toBe('3 marine');
        await nextFrame(page);
        await page.screenshot({ path: screenshotPath('viewer-legend.png') });
      }
      expect(errors).toEqual([]);
      await page.close();
    }
  });

  it('says the control token was rejected when the server refuses a control, and disables the controls with the reason', async () => {
    const scene = syntheticScene(4, 4, 'stale-token');
    const { page, errors } = await openPage();
    const mock = await mockSpectatorServer(page, wsUrl(), scene, (tick) => syntheticSnapshot(scene, tick));
    await page.goto(fixture.site.url + '?token=stale');
    await page.waitForFunction(() => (window.__viewer?.state().snapshots ?? 0) >= 1);
    expect((await page.evaluate(() => window.__viewer!.state())).controlAccess).toBe('allowed');
    await page.click('#btn-step');
    await mock.waitForMessage((m) => m['kind'] === 'control' && m['action'] === 'step');
    mock.send({ kind: 'control', action: 'step', ok: false, error: 'bad control token' });
    await page.waitForFunction(() => window.__viewer!.state().controlAccess === 'rejected');
    const state = await page.evaluate(() => window.__viewer!.state());
    expect(state.controlStatus).toMatch(/^Control token rejected by the server/);
    expect(state.disabledControls.map((c) => c.id)).toEqual(['btn-pause', 'btn-step', 'btn-reset', 'sel-speed', 'in-scenario', 'btn-scenario']);
    for (const control of state.disabledControls) expect(control.title).toMatch(/rejected this page’s control token/);
    expect(await page.locator('#control-status').isVisible()).toBe(true);
    // A shortcut says why instead of sending.
    const sent = mock.received.length;
    await page.keyboard.press('.');
    await page.waitForFunction(() => window.__viewer!.state().notes.some((n) => n.startsWith('step not sent: disabled')));
    expect(mock.received.slice(sent).filter((m) => m['kind'] === 'control')).toEqual([]);
    expect(errors).toEqual([]);
    mock.stop();
    await page.close();
  });

  it('shows a banner when the server goes away, reconnects with backoff, and survives bad frames', async () => {
    const scene = syntheticScene(6, 6, 'restartable');
    const { page, errors } = await openPage();
    const mock = await mockSpectatorServer(page, wsUrl(), scene, (tick) => syntheticSnapshot(scene, tick));
    await page.goto(fixture.site.url);
    await page.waitForFunction(() => (window.__viewer?.state().snapshots ?? 0) >= 2);

    // Garbage and inconsistent frames are counted and ignored; drawing continues.
    mock.sendRaw(Uint8Array.from([0xc1, 0xff, 0x00]));
    mock.send({ ...syntheticSnapshot(scene, 5), positions: new Float32Array(3) });
    await page.waitForFunction(() => window.__viewer!.state().badFrames >= 2);
    const notes = await page.evaluate(() => window.__viewer!.state().notes.join('\n'));
    expect(notes).toContain(`positions: expected length ${2 * scene.entities.length}, got 3`);
    expect(notes).toContain('not msgpack');

    // The server goes down and refuses two reconnection attempts before it is back.
    mock.refuse = true;
    mock.current!.close({ code: 1012, reason: 'server restarting' });
    await page.waitForFunction(() => window.__viewer!.state().banner.level === 'warning');
    const banner = await page.locator('#banner').textContent();
    expect(banner).toMatch(/server restarting.*Reconnecting/);
    await page.screenshot({ path: screenshotPath('viewer-synthetic-reconnecting.png') });
    await expect.poll(() => mock.connections, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    mock.refuse = false;
    await page.waitForFunction(() => window.__viewer!.state().connection === 'open' && window.__viewer!.state().banner.level === 'none', null, { timeout: 20_000 });
    const before = await page.evaluate(() => window.__viewer!.state().snapshots);
    await page.waitForFunction((n) => window.__viewer!.state().snapshots > n, before);
    expect(errors).toEqual([]);
    mock.stop();
    await page.close();
  });
});
