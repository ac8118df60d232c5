import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSlotList } from '../../agents/process/agent-command.ts';
import type { NetServer } from '../../server/net/net-server.ts';
import { writeTokensFile } from '../../server/net/tokens.ts';
import { agentClosure, ensureAgentDist, relativeImports } from './helpers/build-dist.ts';
import { nextEvent, spawnAgent, spawnNode, spreadPolicy, startServer, stopStarted, ticks, type SpawnedAgent } from './helpers/net-helpers.ts';

afterEach(stopStarted);

describe('kdmarl agent process', () => {
  it('loads neither tfjs nor the simulator', () => {
    const files = agentClosure();
    expect(files.some((f) => f.endsWith('agent-client.ts'))).toBe(true);
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      expect(source, file).not.toMatch(/from\s+['"]@tensorflow|import\(\s*['"]@tensorflow|from\s+['"]matter-js/);
      for (const spec of relativeImports(source)) expect(spec, `${file} imports ${spec}`).not.toMatch(/\/server\/(mpe|smac|scenarios|env\/(?!simulation|layout))/);
    }
  });

  it('refuses a model over its FLOPs cap before connecting', async () => {
    const server = await startServer({ scenario: 'spread' });
    const dir = mkdtempSync(join(tmpdir(), 'kdmarl-cap-'));
    const policy = join(dir, 'student.policy');
    writeFileSync(policy, spreadPolicy(server));
    let claimed = false;
    server.on('claim', () => {
      claimed = true;
    });
    const agent = spawnAgent(server, 0, ['--model', policy, '--flops', '10']);
    expect(await agent.exit).toBe(2);
    expect(agent.stderr()).toMatch(/FLOPs cap/);
    expect(claimed).toBe(false);
  });

  it('runs a student policy file within its caps and reports its FLOPs', async () => {
    const server = await startServer({ scenario: 'spread' });
    const dir = mkdtempSync(join(tmpdir(), 'kdmarl-cap-'));
    const policy = join(dir, 'student.policy');
    writeFileSync(policy, spreadPolicy(server));
    for (let slot = 0; slot < 3; slot++) spawnAgent(server, slot, ['--model', policy, '--flops', '2000', '--cpu', '0.5', '--memory', '128']);
    await nextEvent(server, 'episode');
    const status = server.status();
    expect(status.agents.every((a) => a.policy === 'student')).toBe(true);
    expect(status.misses).toBe(0);
  });

  it('hosts several slots in one process from a tokens file', async () => {
    const server = await startServer({ scenario: 'spread', agents: 5 });
    const dir = mkdtempSync(join(tmpdir(), 'kdmarl-host-'));
    const tokens = join(dir, 'tokens.json');
    writeTokensFile(tokens, { url: server.url, scenario: server.world.name, control: server.controlToken, slots: server.tokens.map((token, slot) => ({ slot, agent: `a${slot}`, token })) });
    const claims: number[] = [];
    server.on('claim', (slot: number) => claims.push(slot));
    spawnHost(server, tokens, '0-4');
    await ticks(server, 50);
    expect(new Set(claims)).toEqual(new Set([0, 1, 2, 3, 4]));
    expect(server.status().agents.every((a) => a.connected)).toBe(true);
  });

  it('parses slot lists', () => {
    expect(parseSlotList('0-3,8')).toEqual([0, 1, 2, 3, 8]);
    expect(() => parseSlotList('3-1')).toThrow(/empty range/);
    expect(() => parseSlotList('1,1')).toThrow(/twice/);
  });
});

function spawnHost(s: NetServer, tokens: string, slots: string): SpawnedAgent {
  return spawnNode([ensureAgentDist(), 'agent', '--server', s.url, '--host-slots', slots, '--tokens-file', tokens, '--log-level', 'warn']);
}
