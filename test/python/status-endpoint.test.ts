import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStaticHandler } from '../../server/http/static-handler.ts';
import type { ServerStatus } from '../../server/net/server-status.ts';
import { inProcessAgent, spectator, startServer, stopStarted, ticks } from '../net/helpers/net-helpers.ts';

afterEach(stopStarted);

describe('invalid answers are visible; GET /status; unknown paths are 404', () => {
  it('counts an agent answering out of range as invalid in /status and in snapshots, not as misses', async () => {
    const viewerDir = mkdtempSync(join(tmpdir(), 'kdmarl-viewer-'));
    writeFileSync(join(viewerDir, 'index.html'), '<html>viewer</html>');
    // A deadline no loaded machine misses: the test is about invalid answers not counting as misses.
    const server = await startServer({ scenario: 'spread', deadlineMs: 10_000, httpHandler: createStaticHandler({ viewerDir }) });
    await inProcessAgent(server, [0, 1]);
    const bad = await inProcessAgent(server, [2]);
    await nextWelcome(bad);
    // Out of range for a 5-action agent.
    bad.runners[0].policy = { label: 'bad', flops: 0, observationSize: bad.runners[0].info.observationSize, decide: () => 99 };
    await ticks(server, 5);

    const response = await fetch(`${server.httpUrl}status`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const status = (await response.json()) as ServerStatus;
    expect(status.scenario).toBe('spread');
    expect(status.tick).toBeGreaterThanOrEqual(5);
    expect(typeof status.episodes).toBe('number');
    expect(status.agents.map((a) => a.slot)).toEqual([0, 1, 2]);
    expect(status.agents[2].invalid).toBeGreaterThanOrEqual(4);
    expect(status.agents[2].misses).toBe(0);
    expect(status.agents[0].invalid).toBe(0);

    const watcher = await spectator(server, { rate: 60 });
    let snap = await watcher.next('snap');
    await ticks(server, 1);
    snap = await watcher.next('snap');
    const agents = snap.agents as { invalid: Int32Array; misses: Int32Array };
    expect(agents.invalid).toBeInstanceOf(Int32Array);
    expect(agents.invalid[2]).toBeGreaterThanOrEqual(4);
    expect([...agents.misses]).toEqual([0, 0, 0]);

    const root = await fetch(server.httpUrl);
    expect(root.status).toBe(200);
    expect(await root.text()).toContain('viewer');
    const unknown = await fetch(`${server.httpUrl}no/such/page`);
    expect(unknown.status).toBe(404);
    await unknown.text();
    expect((await fetch(`${server.httpUrl}status?pretty=1`)).status).toBe(200);
  });

  it('answers 404 for unknown paths and serves /status without a built viewer too', async () => {
    const server = await startServer({ scenario: 'spread' });
    expect((await fetch(`${server.httpUrl}index.htm`)).status).toBe(404);
    const status = (await (await fetch(`${server.httpUrl}status`)).json()) as ServerStatus;
    expect(status.agents.every((a) => a.misses === 0 && a.invalid === 0)).toBe(true);
  });
});

function nextWelcome(agent: Awaited<ReturnType<typeof inProcessAgent>>): Promise<void> {
  if (agent.runners.length > 0) return Promise.resolve();
  return new Promise((resolve) => agent.once('welcome', () => resolve()));
}
