import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type Server as NetListener, type Socket } from 'node:net';
import { createSecureContext } from 'node:tls';

/** A certificate and its private key, PEM, as read from `--tls-cert` and `--tls-key`. */
export type TlsFiles = { cert: Buffer; key: Buffer };

/**
 * The HTTP(S) server that handles requests and WebSocket upgrades, and the listener that binds
 * the port. Without TLS they are one plain HTTP server. With TLS the listener looks at the first
 * byte of each connection: a TLS handshake goes to the HTTPS server; anything else (a `ws://`
 * agent, an `http://` browser) is answered with one plain-text line saying to use wss:// or
 * https://, instead of a TLS error the client cannot explain.
 */
export function createListener(handler: (req: IncomingMessage, res: ServerResponse) => void, tls?: TlsFiles): { http: Server; listener: NetListener; scheme: 'ws' | 'wss' } {
  if (!tls) {
    const http = createHttpServer(handler);
    return { http, listener: http, scheme: 'ws' };
  }
  // https.Server has http.Server's request, upgrade and connection-closing API.
  const https = createHttpsServer({ cert: tls.cert, key: tls.key }, handler) as unknown as Server;
  // A client that does not trust the certificate hangs up during the handshake: that is its error to report.
  https.on('tlsClientError', (_error: Error, socket: Socket) => socket.destroy());
  // The HTTPS server never listens itself (the listener hands it connections), so Node's own
  // connection tracking, which closeAllConnections walks, is never set up: the listener's sockets
  // are tracked and closed here instead.
  const sockets = new Set<Socket>();
  https.closeAllConnections = () => {
    for (const socket of sockets) socket.destroy();
  };
  const listener = createNetServer({ pauseOnConnect: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // A connection that never says anything is not kept open (the server's close does not wait on it).
    socket.setTimeout(SILENT_CONNECTION_MS, () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      socket.setTimeout(0);
      socket.pause();
      if (first[0] === TLS_HANDSHAKE) {
        // The TLS socket reads what is buffered on the raw socket first (and takes over its handle).
        socket.unshift(first);
        https.emit('connection', socket);
      } else {
        socket.end(PLAIN_REFUSAL);
      }
    });
    socket.resume();
  });
  return { http: https, listener, scheme: 'wss' };
}

/**
 * `--tls-cert` and `--tls-key` read and checked together, so a missing file, a file that is not
 * PEM or a key of another certificate is one error line at start-up.
 */
export function readTlsFiles(certPath: string, keyPath: string): TlsFiles {
  const read = (flag: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (error) {
      throw new Error(`${flag} ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  };
  const cert = read('--tls-cert', certPath);
  const key = read('--tls-key', keyPath);
  if (!cert.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`--tls-cert ${certPath}: not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.toString('latin1'))) throw new Error(`--tls-key ${keyPath}: not a PEM private key (expected -----BEGIN PRIVATE KEY-----)`);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    const message = (error as Error).message;
    if (/key values mismatch/i.test(message)) throw new Error(`--tls-key ${keyPath} is not the key of --tls-cert ${certPath}: give the key the certificate was made with`);
    throw new Error(`--tls-cert ${certPath} / --tls-key ${keyPath}: ${message}`);
  }
  return { cert, key };
}

const SILENT_CONNECTION_MS = 10_000;
/** The first byte of a TLS ClientHello record. */
const TLS_HANDSHAKE = 0x16;
const PLAIN_MESSAGE = 'this server speaks TLS: use wss:// (agents) or https:// (browsers)\n';
/** 426 Upgrade Required: what an agent maps to its one error line. */
const PLAIN_REFUSAL = `HTTP/1.1 426 Upgrade Required\r\nupgrade: TLS/1.2\r\ncontent-type: text/plain\r\ncontent-length: ${PLAIN_MESSAGE.length}\r\nconnection: close\r\n\r\n${PLAIN_MESSAGE}`;
