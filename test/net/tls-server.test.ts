import { readFileSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentClient } from '../../agents/process/agent-client.ts';
import type { AgentExit } from '../../agents/process/agent-client-options.ts';
import { loadPolicySource } from '../../agents/policy-source.ts';
import { readTlsFiles } from '../../server/net/tls-listener.ts';
import type { NetServer } from '../../server/net/net-server.ts';
import { runCli } from './helpers/run-cli.ts';
import { opensslMissing, selfSigned } from './helpers/self-signed.ts';
import { inProcessAgent, nextEvent, silent, spawnAgent, startServer, stopStarted, ticks } from './helpers/net-helpers.ts';

afterEach(stopStarted);

const missing = opensslMissing();

/** One agent client's whole run against `url` (it ends on its own when the link cannot work). */
async function runAgent(server: NetServer, url: string, ca?: Buffer): Promise<AgentExit> {
  const client = new AgentClient({
    url,
    ...(ca ? { ca } : {}),
    slots: [{ slot: 0, token: server.tokens[0] }],
    source: await loadPolicySource('random'),
    caps: {},
    log: silent,
    backoffMs: 10,
    giveUpAfterMs: 60_000,
  });
  return client.run();
}

function httpsGet(url: string, ca: Buffer): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, { ca }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe.skipIf(missing !== null)(`TLS${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const pair = missing ? null : selfSigned();

  it('serves wss:// and https:// on one port: agents that trust the certificate play, the status page answers', async () => {
    const tls = readTlsFiles(pair!.cert, pair!.key);
    const server = await startServer({ scenario: 'spread', tls });
    expect(server.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    const ca = readFileSync(pair!.cert);
    await inProcessAgent(server, [0, 1, 2], 'random', { ca });
    await ticks(server, 5);
    const status = await httpsGet(`${server.httpUrl}status`, ca);
    expect(status.status).toBe(200);
    expect((JSON.parse(status.body) as { tick: number }).tick).toBeGreaterThanOrEqual(5);
  });

  it('a ws:// agent of a TLS server stops with one line saying to use wss://', async () => {
    const server = await startServer({ scenario: 'spread', tls: readTlsFiles(pair!.cert, pair!.key) });
    const exit = await runAgent(server, server.url.replace(/^wss/, 'ws'));
    expect(exit.code).toBe(2);
    expect(exit.reason).toBe(`${server.url.replace(/^wss/, 'ws')}: the server speaks TLS: use wss:// instead of ws://`);
  });

  it('an agent that does not trust the certificate stops with one line naming --ca', async () => {
    const server = await startServer({ scenario: 'spread', tls: readTlsFiles(pair!.cert, pair!.key) });
    const exit = await runAgent(server, server.url);
    expect(exit.code).toBe(2);
    expect(exit.reason).toBe(`${server.url}: certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT): pass --ca FILE with the server's certificate or its CA`);
    // Another certificate as CA is no better.
    const other = selfSigned();
    const exit2 = await runAgent(server, server.url, readFileSync(other.cert));
    expect(exit2.code).toBe(2);
    expect(exit2.reason).toMatch(/certificate not trusted \(\w+\): pass --ca FILE/);
  });

  it('a wss:// agent of a plain server stops with one line saying to use ws://', async () => {
    const server = await startServer({ scenario: 'spread' });
    const url = server.url.replace(/^ws/, 'wss');
    const exit = await runAgent(server, url, readFileSync(pair!.cert));
    expect(exit).toMatchObject({ code: 2, reason: `${url}: the server does not speak TLS: use ws:// instead of wss://` });
  });

  it('a missing key, a file that is not PEM and a key of another certificate are one line each', () => {
    const absent = join(pair!.dir, 'absent.pem');
    expect(() => readTlsFiles(pair!.cert, absent)).toThrow(`--tls-key ${absent}: cannot read it (ENOENT)`);
    expect(() => readTlsFiles(absent, pair!.key)).toThrow(`--tls-cert ${absent}: cannot read it (ENOENT)`);
    const junk = join(pair!.dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    expect(() => readTlsFiles(junk, pair!.key)).toThrow(`--tls-cert ${junk}: not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`);
    expect(() => readTlsFiles(pair!.cert, junk)).toThrow(`--tls-key ${junk}: not a PEM private key (expected -----BEGIN PRIVATE KEY-----)`);
    const other = selfSigned();
    expect(() => readTlsFiles(pair!.cert, other.key)).toThrow(`--tls-key ${other.key} is not the key of --tls-cert ${pair!.cert}: give the key the certificate was made with`);
  });

  it('kdmarl agent takes --ca; without it, one line on stderr and exit code 2', async () => {
    const server = await startServer({ scenario: 'spread', tls: readTlsFiles(pair!.cert, pair!.key), waitForAgents: false });
    const trusted = spawnAgent(server, 0, ['--ca', pair!.cert]);
    await nextEvent(server, 'claim', (slot: number) => slot === 0);
    const untrusted = spawnAgent(server, 1, []);
    expect(await untrusted.exit).toBe(2);
    expect(untrusted.stderr().trim().split('\n')).toEqual([
      `kdmarl agent: ${server.url}: certificate not trusted (DEPTH_ZERO_SELF_SIGNED_CERT): pass --ca FILE with the server's certificate or its CA`,
    ]);
    const unreadable = spawnAgent(server, 2, ['--ca', join(pair!.dir, 'absent.pem')]);
    expect(await unreadable.exit).not.toBe(0);
    expect(unreadable.stderr().trim().split('\n')).toEqual([`kdmarl: --ca ${join(pair!.dir, 'absent.pem')}: cannot read it (ENOENT)`]);
    trusted.child.kill('SIGTERM');
    expect(await trusted.exit).toBe(0);
  });

  it('kdmarl serve --host 0.0.0.0 --tls-cert --tls-key prints wss:// URLs (loopback and this machine\'s addresses), never 0.0.0.0', async () => {
    let port = '';
    const { code, lines, stderr } = await runCli(['serve', '--log-level', 'warn', '--scenario', 'spread', '--host', '0.0.0.0', '--tls-cert', pair!.cert, '--tls-key', pair!.key], (line, stop) => {
      port ||= /kdmarl serve: wss:\/\/127\.0\.0\.1:(\d+)\//.exec(line)?.[1] ?? '';
      if (line.startsWith('  one agent:')) stop();
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(port).not.toBe('');
    expect(lines.join('\n')).not.toContain('0.0.0.0');
    expect(lines.find((l) => l.startsWith('  viewer:'))).toMatch(/^  viewer: +https:\/\/127\.0\.0\.1:\d+\/\?token=/);
    expect(lines.find((l) => l.startsWith('  one agent:'))).toContain(`--ca ${pair!.cert}`);
    const other = lines.find((l) => l.startsWith('  other machines:'))!;
    expect(other).toBeDefined();
    for (const url of other.replace('  other machines:', '').trim().split(/\s+/)) if (url.startsWith('wss')) expect(url).toMatch(new RegExp(`^wss://[^/]+:${port}/$`));
  });

  it('kdmarl serve with a key of another certificate, or a cert without its key, is one line', async () => {
    const other = selfSigned();
    const mismatch = await runCli(['serve', '--scenario', 'spread', '--tls-cert', pair!.cert, '--tls-key', other.key]);
    expect(mismatch.code).toBe(1);
    expect(mismatch.stderr.trim().split('\n')).toEqual([`kdmarl: --tls-key ${other.key} is not the key of --tls-cert ${pair!.cert}: give the key the certificate was made with`]);
    const alone = await runCli(['serve', '--scenario', 'spread', '--tls-cert', pair!.cert]);
    expect(alone.code).not.toBe(0);
    expect(alone.stderr.trim().split('\n')).toEqual(['kdmarl: --tls-cert needs --tls-key (the private key of the certificate)']);
  });

  it('kdmarl up --tls-cert --tls-key: its own agents trust the certificate and hold every slot', async () => {
    let held = false;
    const { code, stderr, lines } = await runCli(['up', '--scenario', 'spread', '--model', 'random', '--json', '--no-restart', '--tls-cert', pair!.cert, '--tls-key', pair!.key], (line, stop) => {
      const status = JSON.parse(line) as { agents?: unknown; tick?: number };
      if (Array.isArray(status.agents) && (status.agents as { connected: boolean }[]).every((a) => a.connected)) {
        held = true;
        stop();
      }
    });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect((JSON.parse(lines[0]) as { url: string }).url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+\/$/);
    expect(held).toBe(true);
  });
});
