import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundleAgent } from '../../agents/process/bundle-agent.ts';
import { decode, encode } from '../../shared/codec.ts';
import type { NetServer } from '../../server/net/net-server.ts';
import { agentBundle } from './helpers/build-dist.ts';
import { nextEvent, spawnNode, spreadPolicy, startServer, stopStarted, ticks, type SpawnedAgent } from './helpers/net-helpers.ts';

const dirs: string[] = [];

afterEach(async () => {
  await stopStarted();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kdmarl-bundle-'));
  dirs.push(dir);
  return dir;
}

/** `node dist/agent.js ...`, the way the launcher runs agents; the token in the environment. */
function spawnBundle(s: NetServer, args: string[], token: string | undefined = s.tokens[0]): SpawnedAgent {
  return spawnNode([agentBundle(), '--server', s.url, ...args], { ...process.env, ...(token ? { KDMARL_AGENT_TOKEN: token } : {}) });
}

describe('agent bundle (dist/agent.js)', () => {
  it('holds the agent and none of tfjs, the simulator or pino', async () => {
    const { modules, bytes } = await bundleAgent({ file: join(tempDir(), 'agent.js') });
    expect(bytes).toBeGreaterThan(0);
    const sources = modules.map((id) => id.replaceAll('\\', '/'));
    // The closure is really in there (so the checks below look at something).
    for (const own of ['agents/process/agent-client.ts', 'agents/process/agent-command.ts', 'agents/runtime/policy-runtime.ts', 'shared/codec.ts']) {
      expect(sources.some((id) => id.endsWith(own)), own).toBe(true);
    }
    expect(sources.some((id) => id.includes('node_modules/ws/'))).toBe(true);
    for (const id of sources) {
      expect(id).not.toMatch(/node_modules\/(@tensorflow|matter-js|pino|thread-stream|msgpackr-extract)\//);
      expect(id).not.toMatch(/\/server\/(mpe|smac|scenarios|net|env\/(?!simulation|layout))/);
    }
  });

  it('starts, claims its slot and answers every tick', async () => {
    // The first round waits for every slot, so a miss here would be the bundle's.
    const server = await startServer({ scenario: 'spread' });
    const claims: number[] = [];
    server.on('claim', (slot: number) => claims.push(slot));
    for (let slot = 0; slot < 3; slot++) spawnBundle(server, ['--slot', String(slot), '--model', 'random', '--log-level', 'warn'], server.tokens[slot]);
    await ticks(server, 30);
    expect(new Set(claims)).toEqual(new Set([0, 1, 2]));
    const status = server.status();
    expect(status.agents.every((a) => a.connected && a.policy === 'random')).toBe(true);
    expect(status.misses).toBe(0);
  });

  it('writes pino-format log lines', async () => {
    const server = await startServer({ scenario: 'spread', waitForAgents: false });
    const agent = spawnBundle(server, ['--slot', '0', '--log-level', 'info']);
    await nextEvent(server, 'claim');
    await ticks(server, 5);
    agent.child.kill('SIGTERM');
    expect(await agent.exit).toBe(0);
    const lines = agent.stderr().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.find((l) => l.msg === 'first action')).toMatchObject({ level: 30, name: 'kdmarl-agent', pid: agent.child.pid, slot: '0' });
    expect(lines.some((l) => l.msg === 'stopping' && l.signal === 'SIGTERM')).toBe(true);
  });

  it('refuses a bad policy file with an error naming the field, before connecting', async () => {
    const server = await startServer({ scenario: 'spread', waitForAgents: false });
    let claimed = false;
    server.on('claim', () => {
      claimed = true;
    });
    const file = decode(spreadPolicy(server)) as { nets: { shared: { layers: { activation: string }[] } } };
    file.nets.shared.layers[0].activation = 'swish';
    const policy = join(tempDir(), 'bad.policy');
    writeFileSync(policy, encode(file));
    const agent = spawnBundle(server, ['--slot', '0', '--model', policy]);
    expect(await agent.exit).toBe(2);
    expect(agent.stderr()).toMatch(/refused: .*activation/);
    expect(claimed).toBe(false);
  });

  it('is self-contained: a copy elsewhere, under a path with a space, still runs', async () => {
    const dir = join(tempDir(), 'a dir');
    mkdirSync(dir);
    const copy = join(dir, 'agent.js');
    copyFileSync(agentBundle(), copy);
    const child = spawn(process.execPath, [copy, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(out).toMatch(/usage: kdmarl agent/);
    expect(out).toMatch(/--host-slots/);
  });

  it('rejects a bad flag by name', async () => {
    const server = await startServer({ scenario: 'spread', waitForAgents: false });
    const agent = spawnBundle(server, ['--slot', '0', '--cpu', '2']);
    expect(await agent.exit).toBe(1);
    expect(agent.stderr()).toMatch(/--cpu/);
  });
});
