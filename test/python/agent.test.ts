import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { inProcessAgent, nextEvent, stopStarted, ticks } from '../net/helpers/net-helpers.ts';
import { pythonMissing, pythonServer, spawnPython, stopPython } from './helpers.ts';

const missing = pythonMissing();

afterEach(async () => {
  await stopStarted();
  await stopPython();
});

describe.skipIf(missing !== null)(`the Python agent (kdmarl.agent)${missing ? `: skipped, ${missing}` : ''}`, () => {
  it('claims its slot with the tokens file, answers every tick, reports, and reconnects after the server drops it', async () => {
    const { server, tokensFile } = await pythonServer({ scenario: 'spread' });
    const claimed = nextEvent<[number, boolean]>(server, 'claim', (slot) => slot === 0);
    const python = spawnPython(['-m', 'kdmarl.agent', '--tokens', tokensFile, '--slot', '0', '--policy', 'random', '--seed', '1']);
    await claimed;
    await inProcessAgent(server, [1, 2]);
    await ticks(server, 20);
    const status = server.status();
    expect(status.agents[0]).toMatchObject({ connected: true, policy: 'random', misses: 0, invalid: 0 });

    const reclaimed = nextEvent<[number, boolean]>(server, 'claim', (slot, reconnect) => slot === 0 && reconnect);
    expect(server.dropSlot(0)).toBe(true);
    await reclaimed;
    await ticks(server, 20);
    const after = server.status();
    expect(after.agents[0]).toMatchObject({ connected: true, reconnects: 1, invalid: 0 });
    // Reports arrived: the agent measured its own decisions.
    while (server.status().agents[0].decideMs === 0) await ticks(server, 50);
    expect(server.status().agents[0].decideMs).toBeGreaterThan(0);
    expect(python.child.exitCode).toBeNull();
  });

  it('a bad token is one clear line and exit code 1, without retrying', async () => {
    const { server } = await pythonServer({ scenario: 'spread' });
    const python = spawnPython(['-m', 'kdmarl.agent', '--url', server.url, '--slot', '1', '--policy', 'random'], { KDMARL_AGENT_TOKEN: 'not-the-token' });
    expect(await python.exit).toBe(1);
    const lines = python.stderr().trim().split('\n');
    expect(lines).toEqual([expect.stringMatching(/^kdmarl agent: slot 1: .*badToken \(4004\): bad token for slot 1; check KDMARL_AGENT_TOKEN or --tokens FILE$/)]);
    expect(server.status().agents[1].claims).toBe(0);
  });

  it('a server that is not there is one line naming the URL', async () => {
    const python = spawnPython(['-m', 'kdmarl.agent', '--url', 'ws://127.0.0.1:9/', '--slot', '0', '--policy', 'random', '--give-up', '0.2'], { KDMARL_AGENT_TOKEN: 'x' });
    expect(await python.exit).toBe(1);
    expect(python.stderr().trim().split('\n')).toEqual([expect.stringMatching(/^kdmarl agent: slot 0: cannot reach ws:\/\/127\.0\.0\.1:9\/: connection refused/)]);
  });

  it('a server of another protocol version is one line for the agent and for the env', async () => {
    // What a server speaking version 2 does with a version 1 hello.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((resolve) => wss.once('listening', resolve));
    wss.on('connection', (ws) => ws.once('message', () => ws.close(4001, 'protocol version 1, this server speaks 2')));
    const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
    try {
      const agent = spawnPython(['-m', 'kdmarl.agent', '--url', url, '--slot', '0', '--policy', 'random'], { KDMARL_AGENT_TOKEN: 'x' });
      expect(await agent.exit).toBe(1);
      expect(agent.stderr().trim().split('\n')).toEqual([`kdmarl agent: slot 0: the server closed the connection: protocolVersion (4001): protocol version 1, this server speaks 2`]);
      const env = spawnPython(['-c', `from kdmarl import KdmarlParallelEnv, EnvError
try:
    KdmarlParallelEnv(${JSON.stringify(url)}, token="x")
except EnvError as error:
    print(error)`]);
      expect(await env.exit).toBe(0);
      expect(env.stdout().trim()).toBe(`${url} closed the env's connection: protocolVersion (4001): protocol version 1, this server speaks 2`);
    } finally {
      await new Promise((resolve) => wss.close(resolve));
    }
  });
});
