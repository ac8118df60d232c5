import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main as agentMain, slotRange } from '../../agents/process/agent-command.ts';
import { writeTokensFile } from '../../server/net/tokens.ts';
import { ensureAgentDist } from '../net/helpers/build-dist.ts';
import { spawnNode, startServer, stopStarted } from '../net/helpers/net-helpers.ts';

afterEach(stopStarted);

describe('kdmarl agent, said plainly', () => {
  it('says once that a server which is not running refuses the connection, and gives up with one line', async () => {
    const server = await startServer({ scenario: 'spread' });
    const url = server.url;
    await server.close();
    const agent = spawnNode([ensureAgentDist(), 'agent', '--server', url, '--slot', '0', '--token', 'x', '--give-up-after', '1', '--log-level', 'info']);
    expect(await agent.exit).toBe(1);
    const lines = agent.stderr().trim().split('\n');
    const escaped = url.replace(/[/.]/g, '\\$&');
    const cannotReach = lines.filter((line) => new RegExp(`cannot reach ${escaped}: connection refused; retrying for 1 s`).test(line));
    expect(cannotReach).toHaveLength(1);
    expect(lines.some((line) => /link dropped/.test(line))).toBe(false);
    expect(lines.at(-1)).toBe(`kdmarl agent: cannot reach ${url}: connection refused; gave up after 1 s`);
    // Nothing else than that warning and the final line: the retries in between are debug lines.
    expect(lines).toHaveLength(2);
  });

  it('names the slots a tokens file has when --slot is not one of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kdmarl-slots-'));
    const tokens = join(dir, 'tokens.json');
    writeTokensFile(tokens, { url: 'ws://127.0.0.1:1/', scenario: '3m', control: 'c', slots: [0, 1, 2].map((slot) => ({ slot, agent: `agent_${slot}`, token: `t${slot}` })) });
    await expect(agentMain(['--server', 'ws://127.0.0.1:1/', '--slot', '7', '--tokens-file', tokens])).rejects.toThrow(`--slot: no slot 7 in ${tokens} (it has slots 0-2)`);
    await expect(agentMain(['--server', 'ws://127.0.0.1:1/', '--host-slots', '1-3', '--tokens-file', tokens])).rejects.toThrow(`--host-slots: no slot 3 in ${tokens} (it has slots 0-2)`);
  });

  it('writes slot sets as ranges', () => {
    expect(slotRange([2, 0, 1, 5])).toBe('slots 0-2, 5');
    expect(slotRange([4])).toBe('slot 4');
  });
});
