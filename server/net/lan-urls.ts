import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/**
 * URLs for a server bound to `host`: the one this machine uses (the bound address, or loopback
 * when bound to every interface: `ws://0.0.0.0:PORT/` is nowhere to connect to), and the ones
 * another machine uses (every non-internal address of this machine's interfaces when bound to all
 * of them, else the bound address). IPv4 first.
 */
export function serverUrls(scheme: string, address: string, family: string, port: number, interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = networkInterfaces()): { local: string; remote: string[] } {
  const url = (ip: string, v6: boolean): string => `${scheme}://${v6 ? `[${ip}]` : ip}:${port}/`;
  const v6 = family === 'IPv6';
  if (address !== '0.0.0.0' && address !== '::') return { local: url(address, v6), remote: [url(address, v6)] };
  const remote: string[] = [];
  const all = Object.values(interfaces).flatMap((list) => list ?? []);
  // Bound to 0.0.0.0: IPv4 only. Bound to '::': both (dual stack), IPv6 link-local ones need a zone and are left out.
  for (const info of all) if (!info.internal && info.family === 'IPv4') remote.push(url(info.address, false));
  if (v6) for (const info of all) if (!info.internal && info.family === 'IPv6' && !info.address.startsWith('fe80:')) remote.push(url(info.address, true));
  // '::' listens dual-stack by default, so loopback IPv4 reaches it too (and matches a certificate made for 127.0.0.1).
  return { local: url('127.0.0.1', false), remote };
}
