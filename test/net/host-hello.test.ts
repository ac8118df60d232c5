import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { POLICY_FORMAT, POLICY_FORMAT_VERSION, type PolicyFile } from '../../shared/model-format.ts';
import { writePolicyFile } from '../../agents/learn/checkpoint.ts';
import type { NetServer } from '../../server/net/net-server.ts';
import type { AgentClient } from '../../agents/process/agent-client.ts';
import { inProcessAgent, nextEvent, startServer, ticks } from './helpers/net-helpers.ts';

let server: NetServer | undefined;
let client: AgentClient | undefined;

afterAll(async () => {
  client?.stop();
  await server?.close();
});

describe('host mode with a policy file for many slots', () => {
  it('claims 64 slots in one hello: the view table travels once, not once per slot', async () => {
    const n = 64;
    const view = { nearest: { agents: 1 }, blocks: ['self', 'landmarks', 'agents'] };
    const inputSize = 4 + 2 * n + 2;
    const file: PolicyFile = {
      format: POLICY_FORMAT,
      version: POLICY_FORMAT_VERSION,
      scenario: 'spread',
      role: 'student',
      producedBy: 'test',
      agents: Object.fromEntries(Array.from({ length: n }, (_, i) => [`agent_${i}`, { net: 'shared', view }])),
      nets: { shared: { inputSize, layers: [{ kind: 'dense', inputSize, outputSize: 5, activation: 'linear', weight: new Float32Array(inputSize * 5), bias: new Float32Array(5) }] } },
    };
    const path = join(mkdtempSync(join(tmpdir(), 'kdmarl-host-')), 'students.policy');
    writePolicyFile(path, file);
    server = await startServer({ scenario: 'spread', agents: n, mode: 'lockstep' });
    const welcomed = new Promise<void>((resolve) => server!.once('tick', () => resolve()));
    client = await inProcessAgent(server, Array.from({ length: n }, (_, i) => i), path);
    const [welcome] = await nextEvent<[{ slots: { observationSize: number }[] }]>(client, 'welcome');
    expect(welcome.slots).toHaveLength(n);
    expect(welcome.slots[0].observationSize).toBe(inputSize);
    await welcomed;
    await ticks(server, 5);
    expect(server.world.tick).toBeGreaterThanOrEqual(5);
  });
});
