import { readFileSync } from 'node:fs';
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { serverUrls } from '../../server/net/lan-urls.ts';
import { startServer as startWithTokens } from '../../server/net/start-server.ts';
import { inProcessAgent, silent, stopStarted, ticks } from './helpers/net-helpers.ts';

afterEach(stopStarted);

const info = (address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo =>
  ({ address, family, internal, netmask: '', mac: '', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) }) as NetworkInterfaceInfo;

const interfaces = {
  lo: [info('127.0.0.1', 'IPv4', true), info('::1', 'IPv6', true)],
  eth0: [info('192.168.1.20', 'IPv4'), info('fe80::1', 'IPv6'), info('2001:db8::20', 'IPv6')],
  wlan0: [info('10.0.0.7', 'IPv4')],
};

describe('server URLs', () => {
  it('bound to every interface: loopback for this machine, every non-internal address for the others', () => {
    expect(serverUrls('ws', '0.0.0.0', 'IPv4', 4100, interfaces)).toEqual({ local: 'ws://127.0.0.1:4100/', remote: ['ws://192.168.1.20:4100/', 'ws://10.0.0.7:4100/'] });
    expect(serverUrls('wss', '::', 'IPv6', 4100, interfaces)).toEqual({
      local: 'wss://127.0.0.1:4100/',
      remote: ['wss://192.168.1.20:4100/', 'wss://10.0.0.7:4100/', 'wss://[2001:db8::20]:4100/'],
    });
  });

  it('bound to one address: that address, for everyone', () => {
    expect(serverUrls('ws', '192.168.1.20', 'IPv4', 9, interfaces)).toEqual({ local: 'ws://192.168.1.20:9/', remote: ['ws://192.168.1.20:9/'] });
    expect(serverUrls('ws', '::1', 'IPv6', 9, interfaces)).toEqual({ local: 'ws://[::1]:9/', remote: ['ws://[::1]:9/'] });
  });

  it('serve --host 0.0.0.0 writes a URL that works from this machine to the tokens file, and lists this machine\'s addresses', async () => {
    const { server, tokensFile } = await startWithTokens({ scenario: 'spread', host: '0.0.0.0', logger: silent, deadlineMs: 200 });
    try {
      const port = new URL(server.url).port;
      expect(server.url).toBe(`ws://127.0.0.1:${port}/`);
      const addresses = Object.values(networkInterfaces())
        .flatMap((list) => list ?? [])
        .filter((i) => !i.internal && i.family === 'IPv4')
        .map((i) => `ws://${i.address}:${port}/`);
      expect(server.remoteUrls).toEqual(addresses);
      expect(server.remoteUrls.some((url) => url.includes('0.0.0.0'))).toBe(false);
      const written = JSON.parse(readFileSync(tokensFile, 'utf8')) as { url: string };
      expect(written.url).toBe(server.url);
      // An agent given the tokens file's URL plays.
      await inProcessAgent(server, [0, 1, 2], 'random', { url: written.url });
      await ticks(server, 3);
    } finally {
      await server.close();
    }
  });
});
