import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentStatus, ServerStatus } from '../../server/net/net-server.ts';
import { statusLine } from '../../server/net/status-line.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol.ts';
import { runCli } from './helpers/run-cli.ts';
import { inProcessAgent, nextEvent, RawClient, startServer, stopStarted, ticks } from './helpers/net-helpers.ts';

afterEach(stopStarted);

/** `kdmarl serve ...` from dist; `onLine` sees each stdout line and may stop it. */
const serve = (args: string[], onLine?: (line: string, stop: () => void) => void) => runCli(['serve', '--log-level', 'warn', ...args], onLine);

describe('kdmarl serve', () => {
  it('a port in use is one clear line, no stack trace', async () => {
    const occupied: Server = createServer();
    await new Promise<void>((resolve) => occupied.listen(0, '127.0.0.1', resolve));
    const port = (occupied.address() as { port: number }).port;
    try {
      const { code, stderr } = await serve(['--scenario', 'spread', '--port', String(port)]);
      expect(code).toBe(1);
      expect(stderr.trim().split('\n')).toEqual([`kdmarl: port ${port} on 127.0.0.1 is already in use: pick another --port (0 picks a free one)`]);
    } finally {
      occupied.close();
    }
  });

  it('an address not on this machine is one clear line', async () => {
    // 192.0.2.0/24 is reserved for documentation: no machine has it.
    const { code, stderr } = await serve(['--scenario', 'spread', '--host', '192.0.2.1']);
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual(['kdmarl: 192.0.2.1 is not an address of this machine: pick another --host (127.0.0.1 for this machine only, 0.0.0.0 for every interface)']);
  });

  it('a replay it cannot write is one clear line before the world starts', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'kdmarl-rec-')), 'plain-file');
    writeFileSync(file, '');
    const { code, stderr } = await serve(['--scenario', 'spread', '--no-wait', '--record', join(file, 'x.rec')]);
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kdmarl: --record \S+x\.rec: cannot write it \((ENOTDIR|EEXIST)\)$/);
  });

  it('says which slots it waits for until they are claimed, then prints status lines', async () => {
    let tokensFile = '';
    let url = '';
    let claimer: RawClient | null = null;
    const { code, lines } = await serve(['--scenario', 'spread', '--status-every', '0.2'], (line, stop) => {
      url ||= /kdmarl serve: (\S+)/.exec(line)?.[1] ?? '';
      tokensFile ||= /slot tokens: (\S+)/.exec(line)?.[1] ?? '';
      if (line.startsWith('waiting for slots 0, 1, 2') && !claimer) {
        // Claim slot 1 with its token from the tokens file, as `kdmarl agent --tokens-file` does.
        const tokens = JSON.parse(readFileSync(tokensFile, 'utf8')) as { slots: { slot: number; token: string }[] };
        claimer = new RawClient(url);
        void claimer.opened().then(() => claimer!.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'agent', slots: [{ slot: 1, token: tokens.slots[1].token }] }));
      }
      if (line.startsWith('waiting for slots 0, 2 (1 of 3 claimed)')) stop();
    });
    expect(code).toBe(0);
    expect(lines.some((l) => l.includes(`--tokens-file ${tokensFile} --slot N`))).toBe(true);
    expect(lines.some((l) => l.includes('or restart with --no-wait'))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/^final: spread lockstep \| tick 0 \|.* slot 1 [\d.]+ ms 0 missed/);
  });

  it('prints labelled status lines while it runs', async () => {
    let statusLines = 0;
    const { code, lines } = await serve(['--scenario', 'spread', '--no-wait', '--status-every', '0.1'], (line, stop) => {
      if (line.startsWith('spread lockstep | tick') && ++statusLines === 2) stop();
    });
    expect(code).toBe(0);
    const status = lines.filter((l) => l.startsWith('spread lockstep | tick'));
    expect(status[0]).toMatch(/\| agents 0\/3 \| slot 0 offline 0 missed \| slot 1 offline 0 missed \| slot 2 offline 0 missed$/);
  });
});

describe('shutting down', () => {
  it('agents leaving after stopTicking, or closed by close(), add no misses and no ticks', async () => {
    const server = await startServer({ scenario: 'spread' });
    const agents = [];
    for (let slot = 0; slot < 3; slot++) agents.push(await inProcessAgent(server, [slot]));
    await ticks(server, 5);
    server.stopTicking();
    const before = server.status();
    const released = nextEvent<[number]>(server, 'release', (slot) => slot === 0);
    agents[0].stop();
    await released;
    await server.close();
    const after = server.status();
    expect(after.tick).toBe(before.tick);
    expect(after.agents.map((a) => a.misses)).toEqual(before.agents.map((a) => a.misses));
    expect(after.agents.every((a) => !a.connected)).toBe(true);
  });
});

describe('status line', () => {
  it('labels every figure', () => {
    const agent = (slot: number, extra: Partial<AgentStatus>): AgentStatus => ({ slot, agent: `agent_${slot}`, connected: true, policy: 'student', latencyMs: 1.8, misses: 11, invalid: 0, offlineTicks: 0, claims: 1, reconnects: 0, flops: 0, decideMs: 0, rssMb: 0, cpuCap: null, memoryCapMb: null, enforcement: null, ...extra });
    const status = {
      scenario: '3m', mode: 'realtime', hz: 10, tick: 1200, episode: 49, episodes: 48, wins: 36, losses: 12, winRate: 0.75, lastReturn: 1, meanReturn: 1, tickRate: 9.96, paused: false,
      agents: [agent(0, {}), agent(1, { connected: false, misses: 3 }), agent(2, { invalid: 2, misses: 0 })],
    } as unknown as ServerStatus;
    expect(statusLine(status)).toBe('3m realtime | tick 1200 | 10.0/10 ticks/s | episodes 48 | win 75% (36/48) | agents 2/3 | slot 0 1.80 ms 11 missed | slot 1 offline 3 missed | slot 2 1.80 ms 0 missed 2 invalid');
  });

  it('summarises the slots past eight of them: median and worst round trip, total misses, offline slots as ranges', () => {
    const agent = (slot: number): AgentStatus => ({ slot, agent: `agent_${slot}`, connected: ![3, 9, 10, 11].includes(slot), policy: 'student', latencyMs: slot === 17 ? 12.5 : 1 + slot / 100, misses: slot === 5 ? 7 : 0, invalid: 0, offlineTicks: 0, claims: 1, reconnects: 0, flops: 0, decideMs: 0, rssMb: 0, cpuCap: 0.25, memoryCapMb: 128, enforcement: { cpu: 'emulated', memory: 'cgroup-v1' } } as AgentStatus);
    const status = {
      scenario: 'navigation_64', mode: 'realtime', hz: 10, tick: 7, episode: 1, episodes: 0, wins: 0, losses: 0, winRate: null, lastReturn: 0, meanReturn: 0, tickRate: 10, paused: false,
      agents: Array.from({ length: 64 }, (_, slot) => agent(slot)),
    } as unknown as ServerStatus;
    expect(statusLine(status)).toBe('navigation_64 realtime | tick 7 | 10.0/10 ticks/s | episodes 0 | return 0.00 (last 0.00) | agents 60/64 | 64 slots: rtt p50 1.35 ms, worst slot 17 12.50 ms | 7 missed | offline 3,9-11 | cpu 0.25 emulated mem 128M cgroup-v1');
  });
});
