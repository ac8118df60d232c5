import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writePolicyFile } from '../../agents/learn/checkpoint.ts';
import { inProcessAgent, linearSpreadPolicy, nextEvent, startServer, stopStarted, ticks } from './helpers/net-helpers.ts';

afterAll(stopStarted);

describe('host mode with a policy file for many slots', () => {
  it('claims 64 slots in one hello: the view table travels once, not once per slot', async () => {
    const n = 64;
    const view = { nearest: { agents: 1 }, blocks: ['self', 'landmarks', 'agents'] };
    const inputSize = 4 + 2 * n + 2;
    const file = linearSpreadPolicy(new Array(n).fill(view), inputSize, () => 0);
    const path = join(mkdtempSync(join(tmpdir(), 'kdmarl-host-')), 'students.policy');
    writePolicyFile(path, file);
    const server = await startServer({ scenario: 'spread', agents: n, mode: 'lockstep' });
    const welcomed = new Promise<void>((resolve) => server.once('tick', () => resolve()));
    const client = await inProcessAgent(server, Array.from({ length: n }, (_, i) => i), path);
    const [welcome] = await nextEvent<[{ slots: { observationSize: number }[] }]>(client, 'welcome');
    expect(welcome.slots).toHaveLength(n);
    expect(welcome.slots[0].observationSize).toBe(inputSize);
    await welcomed;
    await ticks(server, 5);
    expect(server.world.tick).toBeGreaterThanOrEqual(5);
  });
});
