import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Server as NetListener } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { CLOSE_CODES, LIMITS, SUPERVISOR_PATH, closeCodeName } from '../../shared/protocol.ts';
import type { ErrorMessage } from '../../shared/session-messages.ts';
import { ServerClient, TokenBucket } from './client.ts';
import { mapBytesEntry, msgpackProblem } from './msgpack-guard.ts';
import { serverUrls } from './lan-urls.ts';
import type { Room } from './room.ts';
import { createListener } from './tls-listener.ts';

export type ConnectionHandlers = {
  http: (req: IncomingMessage, res: ServerResponse) => void;
  /** A decoded frame from a client that passed the rate, size and format checks. */
  message: (client: ServerClient, value: unknown, now: number) => void;
  /** A client is gone (closed by either side): release whatever it held. */
  detached: (client: ServerClient) => void;
};

/**
 * The transport: the HTTP server, WebSocket upgrades by path, heartbeats, and what every frame
 * passes before any role sees it (rate limit, size limit, a structural msgpack check, decoding).
 * Bad behaviour closes the client with an application close code.
 *
 * Until a client has authenticated, every path allows only the hello frame limit, counted on the
 * socket's bytes as they arrive: a large frame is refused (tooLarge) before it is buffered whole,
 * let alone decoded. The role's larger limit applies once its token checked out.
 */
export class Connections {
  readonly http: Server;
  /** A URL that works from this machine (loopback when bound to every interface). */
  url = '';
  /** URLs other machines use: this machine's addresses when bound to every interface. */
  remoteUrls: string[] = [];
  /** What binds the port: the HTTP server itself, or (TLS) the listener in front of the HTTPS server. */
  private readonly listener: NetListener;
  private readonly scheme: 'ws' | 'wss';
  private readonly room: Room;
  private readonly handlers: ConnectionHandlers;
  private readonly wss: WebSocketServer;
  private readonly supervisorWss: WebSocketServer;
  private nextClientId = 1;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(room: Room, handlers: ConnectionHandlers) {
    this.room = room;
    this.handlers = handlers;
    const created = createListener((req, res) => handlers.http(req, res), room.options.tls);
    this.http = created.http;
    this.listener = created.listener;
    this.scheme = created.scheme;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.maxPayload, perMessageDeflate: false });
    this.supervisorWss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.supervisorMaxPayload, perMessageDeflate: false });
    for (const wss of [this.wss, this.supervisorWss]) {
      wss.on('error', (error) => room.log.error({ err: error }, 'websocket server error'));
      wss.on('connection', (ws, req) => this.onConnection(ws, req));
    }
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  /** Bind and start the heartbeat; resolves with the ws:// (wss:// with TLS) URL this machine uses. */
  async listen(host: string, port: number): Promise<string> {
    const listener = this.listener;
    await new Promise<void>((resolve, reject) => {
      const failed = (error: NodeJS.ErrnoException): void => reject(listenError(error, host, port));
      listener.once('error', failed);
      listener.listen(port, host, () => {
        listener.off('error', failed);
        resolve();
      });
    });
    // Only once listening: a failure to bind is the caller's one error line, not a logged stack.
    this.http.on('error', (error) => this.room.log.error({ err: error }, 'http server error'));
    if (listener !== this.http) listener.on('error', (error) => this.room.log.error({ err: error }, 'listener error'));
    const address = listener.address() as AddressInfo;
    const urls = serverUrls(this.scheme, address.address, address.family, address.port);
    this.url = urls.local;
    this.remoteUrls = urls.remote;
    this.heartbeat = setInterval(() => this.beat(), this.room.options.heartbeatMs ?? LIMITS.heartbeatMs);
    this.heartbeat.unref();
    return this.url;
  }

  /** Close every client (serverShutdown) and the listeners. */
  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    // Give clients a moment to receive the close frame, so agents exit instead of reconnecting.
    const clients = [...this.room.clients];
    const closed = clients.map((client) => new Promise<void>((resolve) => client.ws.once('close', () => resolve())));
    for (const client of clients) this.closeClient(client, CLOSE_CODES.serverShutdown, 'server shutting down', false);
    await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }

  async closeListeners(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.wss.close();
      this.supervisorWss.close();
      if (this.listener !== this.http) this.listener.close();
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?')[0];
    const wss = path === SUPERVISOR_PATH ? this.supervisorWss : path === '/' ? this.wss : null;
    if (!wss || this.room.closing) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const room = this.room;
    const path = (req.url ?? '/').split('?')[0];
    const client = new ServerClient(this.nextClientId++, ws, path, `${req.socket.remoteAddress}:${req.socket.remotePort}`);
    ws.on('error', (error) => room.log.warn({ client: client.id, err: error.message }, 'socket error'));
    room.clients.add(client);
    client.frameLimit = LIMITS.helloFrameBytes;
    client.bucket = new TokenBucket(LIMITS.spectatorRate, performance.now());
    const timeoutMs = room.options.handshakeTimeoutMs ?? LIMITS.handshakeTimeoutMs;
    client.handshakeTimer = setTimeout(() => {
      if (client.role === null) this.reject(client, CLOSE_CODES.handshakeTimeout, `no hello within ${timeoutMs} ms`);
    }, timeoutMs);
    this.limitBytesBeforeHello(client, req.socket);
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('message', (data, isBinary) => this.onMessage(client, data, isBinary));
    ws.on('close', () => this.onClose(client));
  }

  /**
   * Count what an unauthenticated client sends as it arrives: past the hello limit (plus room for
   * frame headers and control frames) it is refused and the socket stops being read, so the rest
   * of a large frame is neither buffered nor decoded.
   */
  private limitBytesBeforeHello(client: ServerClient, socket: Duplex): void {
    const budget = LIMITS.helloFrameBytes + HELLO_SLACK_BYTES;
    let received = 0;
    const onData = (chunk: Buffer): void => {
      if (client.role !== null || client.closed) {
        socket.off('data', onData);
        return;
      }
      received += chunk.length;
      if (received <= budget) return;
      socket.off('data', onData);
      this.reject(client, CLOSE_CODES.tooLarge, `more than ${LIMITS.helloFrameBytes} bytes before the hello was accepted`);
      socket.pause();
      socket.end();
    };
    socket.on('data', onData);
  }

  private beat(): void {
    for (const client of this.room.clients) {
      if (!client.alive) {
        this.room.log.warn({ client: client.id, role: client.role, slots: client.slots }, 'heartbeat: no pong, terminating');
        this.room.count('heartbeat');
        client.ws.terminate();
        continue;
      }
      client.alive = false;
      try {
        client.ws.ping();
      } catch {
        client.ws.terminate();
      }
    }
  }

  /** Close one client for bad behaviour: a log line, an error frame, an application close code. */
  reject(client: ServerClient, code: number, reason: string): void {
    if (client.closed) return;
    const room = this.room;
    room.count(closeCodeName(code));
    room.log.warn({ client: client.id, remote: client.remote, role: client.role, slots: client.slots, code, reason }, `closing client: ${closeCodeName(code)}`);
    room.events.emit('rejected', code, reason, client.role);
    this.closeClient(client, code, reason, true);
  }

  closeClient(client: ServerClient, code: number, reason: string, sendError: boolean): void {
    if (client.closed) return;
    if (sendError && client.ws.readyState === client.ws.OPEN) {
      const message: ErrorMessage = { kind: 'error', code, message: reason };
      client.ws.send(this.room.packr.pack(message));
    }
    // Close reasons are limited to 123 bytes.
    client.ws.close(code, Buffer.from(reason).subarray(0, 120).toString());
    this.detach(client);
    // A client that never completes the close handshake is cut off.
    setTimeout(() => client.ws.terminate(), 2000).unref();
  }

  private onClose(client: ServerClient): void {
    this.detach(client);
    this.room.clients.delete(client);
  }

  private detach(client: ServerClient): void {
    if (client.closed) return;
    client.closed = true;
    if (client.handshakeTimer) clearTimeout(client.handshakeTimer);
    this.handlers.detached(client);
  }

  private onMessage(client: ServerClient, data: RawData, isBinary: boolean): void {
    if (client.closed) return;
    const now = performance.now();
    if (!client.bucket!.take(now)) {
      this.reject(client, CLOSE_CODES.rateLimit, 'too many messages');
      return;
    }
    if (!isBinary) {
      this.reject(client, CLOSE_CODES.badFrame, 'text frames are not accepted: send binary msgpack');
      return;
    }
    const bytes = data as Buffer;
    if (bytes.length > client.frameLimit) {
      this.reject(client, CLOSE_CODES.tooLarge, `frame of ${bytes.length} bytes, limit ${client.frameLimit}`);
      return;
    }
    // Checked before decoding, and the reason never quotes the frame: what a client sends is not rendered as text.
    const problem = msgpackProblem(bytes, LIMITS.maxFrameValues);
    if (problem !== null) {
      this.reject(client, CLOSE_CODES.badFrame, `not msgpack: ${problem}`);
      return;
    }
    let value: unknown;
    try {
      value = this.decode(bytes);
    } catch {
      this.reject(client, CLOSE_CODES.badFrame, 'not msgpack: the frame does not decode');
      return;
    }
    try {
      this.handlers.message(client, value, now);
    } catch (error) {
      this.room.log.error({ client: client.id, err: error }, 'message handler failed');
      this.reject(client, CLOSE_CODES.badMessage, `server could not handle the message: ${(error as Error).message}`);
    }
  }

  /**
   * Decode a frame. A large frame's `policy` byte string (a supervisor's policy file, up to 16 MiB)
   * is not decoded into a copy: the rest of the frame is decoded and `policy` is a view of the
   * received bytes, which the supervisor role forwards to agents as it is.
   */
  private decode(bytes: Buffer): unknown {
    const policy = bytes.length > LARGE_FRAME_BYTES ? mapBytesEntry(bytes, 'policy') : null;
    if (policy === null) return this.room.packr.unpack(bytes);
    const rest = this.room.packr.unpack(Buffer.concat([bytes.subarray(0, policy.start), NIL, bytes.subarray(policy.end)])) as Record<string, unknown>;
    rest.policy = policy.bytes;
    return rest;
  }
}

/** Why the server cannot listen, in one line that names the flag to change. */
function listenError(error: NodeJS.ErrnoException, host: string, port: number): Error {
  switch (error.code) {
    case 'EADDRINUSE':
      return new Error(`port ${port} on ${host} is already in use: pick another --port (0 picks a free one)`);
    case 'EADDRNOTAVAIL':
      return new Error(`${host} is not an address of this machine: pick another --host (127.0.0.1 for this machine only, 0.0.0.0 for every interface)`);
    case 'EACCES':
      return new Error(`not allowed to listen on port ${port} of ${host} (ports below 1024 need privileges): pick another --port`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new Error(`--host ${host}: no such host`);
    default:
      return new Error(`cannot listen on ${host}:${port}: ${error.message}`);
  }
}

/** Room for WebSocket frame headers and a pong or two before the hello is accepted. */
const HELLO_SLACK_BYTES = 1024;
/** Frames above this size have their `policy` bytes handed on as a view rather than decoded. */
const LARGE_FRAME_BYTES = 64 * 1024;
const NIL = Buffer.from([0xc0]);
