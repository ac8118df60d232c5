import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveStatic } from './harness.ts';

/** The read-only HTTP side: viewer files, run listings and ranges, replays, and no way out of the roots. */
let root: string;
let site: Awaited<ReturnType<typeof serveStatic>>;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'kdmarl-http-'));
  const viewer = join(root, 'viewer');
  const runs = join(root, 'runs');
  const replays = join(root, 'replays');
  mkdirSync(join(viewer, 'assets'), { recursive: true });
  mkdirSync(join(runs, 'run_a'), { recursive: true });
  mkdirSync(join(runs, 'run_b'), { recursive: true });
  mkdirSync(replays);
  writeFileSync(join(viewer, 'index.html'), '<!doctype html><title>viewer</title>');
  writeFileSync(join(viewer, 'assets', 'index-abc.js'), 'console.log(1)');
  writeFileSync(join(runs, 'run_a', 'metrics.jsonl'), '{"step":1,"x":2}\n{"step":2,"x":3}\n');
  writeFileSync(join(runs, 'run_a', 'results.md'), '| a | b |\n|---|---|\n| 1 | 2 |\n');
  writeFileSync(join(runs, 'run_a', 'policy.bin'), 'weights');
  writeFileSync(join(runs, 'run_a', '.secret.json'), '{"k":"TOPSECRET"}');
  writeFileSync(join(root, 'outside.jsonl'), 'TOPSECRET');
  symlinkSync(join(root, 'outside.jsonl'), join(runs, 'run_b', 'escape.jsonl'));
  writeFileSync(join(replays, 'game.kdr'), Buffer.from([1, 2, 3]));
  site = await serveStatic({ viewerDir: viewer, runsDir: runs, replaysDir: replays });
});

afterAll(async () => {
  await site?.close();
  rmSync(root, { recursive: true, force: true });
});

/** Raw requests: fetch would normalise `..` out of the path before sending it. */
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(site.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('static handler', () => {
  it('serves the built viewer at / with immutable caching only for hashed assets', async () => {
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toContain('text/html');
    expect(index.headers['cache-control']).toBe('no-cache');
    const asset = await get('/assets/index-abc.js');
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await get('/nope.html')).status).toBe(404);
  });

  it('lists runs with only their text files, and serves them with byte ranges', async () => {
    const listing = JSON.parse((await get('/runs/')).body) as { runs: { name: string; files: { name: string }[] }[] };
    const runA = listing.runs.find((r) => r.name === 'run_a')!;
    expect(runA.files.map((f) => f.name)).toEqual(['metrics.jsonl', 'results.md']);
    const full = await get('/runs/run_a/metrics.jsonl');
    expect(full.status).toBe(200);
    expect(full.body.split('\n')[0]).toBe('{"step":1,"x":2}');
    const tail = await get('/runs/run_a/metrics.jsonl', { range: 'bytes=17-' });
    expect(tail.status).toBe(206);
    expect(tail.body).toBe('{"step":2,"x":3}\n');
    expect(tail.headers['content-range']).toBe('bytes 17-33/34');
    const past = await get('/runs/run_a/metrics.jsonl', { range: 'bytes=34-' });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe('bytes */34');
    expect((await get('/runs/run_a/policy.bin')).status).toBe(403);
    expect((await get('/runs/run_a/missing.jsonl')).status).toBe(404);
  });

  it('refuses every way out of its folders', async () => {
    for (const path of [
      '/runs/../outside.jsonl',
      '/runs/%2e%2e/outside.jsonl',
      '/runs/run_a/..%2f..%2foutside.jsonl',
      '/runs/run_a/%2e%2e%5c%2e%2e%5coutside.jsonl',
      '/runs/run_a/.secret.json',
      '/runs/run_a/metrics.jsonl%00.json',
      '/replays/..%2f..%2foutside.jsonl',
      '/%2e%2e/outside.jsonl',
    ]) {
      const response = await get(path);
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.body, path).not.toContain('TOPSECRET');
    }
    // A symlink inside runs/ that points outside is not followed.
    const escaped = await get('/runs/run_b/escape.jsonl');
    expect(escaped.status).toBe(403);
    expect(escaped.body).not.toContain('TOPSECRET');
  });

  it('is read-only and lists replays', async () => {
    expect((await get('/runs/run_a/metrics.jsonl', {}, 'PUT')).status).toBe(405);
    expect((await get('/replays/game.kdr', {}, 'DELETE')).status).toBe(405);
    const listing = JSON.parse((await get('/replays/')).body) as { replays: { name: string; size: number }[] };
    expect(listing.replays).toEqual([expect.objectContaining({ name: 'game.kdr', size: 3 })]);
    const replay = await get('/replays/game.kdr');
    expect(replay.status).toBe(200);
    expect(replay.headers['content-type']).toBe('application/octet-stream');
    const head = await get('/replays/game.kdr', {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe('3');
  });

  it('lists the built-in scenarios for the switcher', async () => {
    const body = JSON.parse((await get('/scenarios')).body) as { scenarios: { name: string; family: string }[] };
    expect(body.scenarios).toEqual(expect.arrayContaining([{ name: 'spread', family: 'mpe' }, { name: '3m', family: 'smac' }]));
  });

  it('says how to build the viewer when it is missing, and passes unknown paths to next()', async () => {
    const { createStaticHandler } = await import('../../server/http/static-handler.ts');
    const { createServer } = await import('node:http');
    const handler = createStaticHandler({ viewerDir: join(root, 'no-build'), runsDir: root, replaysDir: root });
    const server = createServer((req, res) =>
      handler(req, res, () => {
        res.writeHead(299);
        res.end('next');
      }),
    );
    const bare = createServer((req, res) => handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
    const port = (s: typeof server): number => (s.address() as { port: number }).port;
    const viaNext = await fetch(`http://127.0.0.1:${port(server)}/healthz`);
    expect(viaNext.status).toBe(299);
    const missing = await fetch(`http://127.0.0.1:${port(bare)}/`);
    expect(missing.status).toBe(503);
    expect(await missing.text()).toContain('npm run build:viewer');
    server.close();
    bare.close();
  });
});
