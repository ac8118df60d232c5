import { afterEach, describe, expect, it } from 'vitest';
import { inProcessAgent, nextEvent, stopStarted, ticks } from '../net/helpers/net-helpers.ts';
import { statusLine } from '../../server/net/status-line.ts';
import { pythonMissing, pythonServer, spawnPython, stopPython } from './helpers.ts';

const missing = pythonMissing();

afterEach(async () => {
  await stopStarted();
  await stopPython();
});

describe.skipIf(missing !== null)(`the Python agent's caps${missing ? `: skipped, ${missing}` : ''}`, () => {
  it('declares no cpu or memory cap, so the server shows none for its slot (not an unreported one)', async () => {
    const { server, tokensFile } = await pythonServer({ scenario: 'spread' });
    const claimed = nextEvent<[number, boolean]>(server, 'claim', (slot) => slot === 0);
    spawnPython(['-m', 'kdmarl.agent', '--tokens', tokensFile, '--slot', '0', '--policy', 'random', '--deadline', '5000']);
    await claimed;
    await inProcessAgent(server, [1, 2]);
    // Its reports have arrived (decideMs comes only from a report), so enforcement is what it reported.
    while (server.status().agents[0].decideMs === 0) await ticks(server, 50);
    const status = server.status();
    expect(status.agents[0]).toMatchObject({ connected: true, policy: 'random', cpuCap: null, memoryCapMb: null, enforcement: null });
    const slot0 = statusLine(status).split(' | ').find((part) => part.startsWith('slot 0 '));
    expect(slot0).toMatch(/^slot 0 \d+\.\d{2} ms \d+ missed$/);
  });

  it('refuses cpu and memoryMb caps in one line, rather than declaring caps nothing holds', async () => {
    const python = spawnPython(['-c', `from kdmarl import KdmarlAgent
try:
    KdmarlAgent("ws://127.0.0.1:9/", 0, "x", decide=lambda o, m, i: 0, caps={"cpu": 0.25, "memoryMb": 128})
except ValueError as error:
    print(error)`]);
    expect(await python.exit).toBe(0);
    expect(python.stdout().trim().split('\n')).toEqual([expect.stringMatching(/^KdmarlAgent: caps cpu and memoryMb are not held by the Python agent \(no cgroup, no emulation\), so it does not declare them; .*kdmarl agent --cpu\/--memory\)$/)]);
  });
});
