import { closeCodeName, PROTOCOL_VERSION, ROLES } from '../../../shared/protocol.ts';
import { decodeFrame, encodeFrame } from './wire.ts';

export type ConnectionStatus =
  | { state: 'connecting'; attempt: number; url: string }
  | { state: 'open'; url: string }
  | { state: 'waiting'; url: string; retryInMs: number; reason: string };

export type LiveConnectionHandlers = {
  onStatus(status: ConnectionStatus): void;
  /** Every decoded frame; the caller dispatches on `kind`. */
  onMessage(message: unknown): void;
  /** A frame that is not msgpack at all. */
  onBadFrame(error: Error): void;
};

const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 8000;

/**
 * The spectator socket. Reconnects forever with exponential backoff and jitter, so a restarted
 * server is picked up without a page reload; the backoff resets once a connection delivers a frame.
 */
export class LiveConnection {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  private readonly url: string;
  private readonly token: string | null;
  private readonly handlers: LiveConnectionHandlers;

  constructor(url: string, token: string | null, handlers: LiveConnectionHandlers) {
    this.url = url;
    this.token = token;
    this.handlers = handlers;
  }

  start(): void {
    this.closed = false;
    this.open();
  }

  stop(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.socket?.close(1000, 'viewer closed');
    this.socket = null;
  }

  get isOpen(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  send(message: object): boolean {
    const socket = this.socket;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(encodeFrame(message));
    return true;
  }

  private open(): void {
    this.attempt++;
    this.handlers.onStatus({ state: 'connecting', attempt: this.attempt, url: this.url });
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      this.retry(`cannot open ${this.url}: ${(error as Error).message}`);
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    let delivered = false;
    socket.addEventListener('open', () => {
      const hello: Record<string, unknown> = { kind: 'hello', version: PROTOCOL_VERSION, role: ROLES.spectator };
      if (this.token) hello['token'] = this.token;
      socket.send(encodeFrame(hello));
      this.handlers.onStatus({ state: 'open', url: this.url });
    });
    socket.addEventListener('message', (event: MessageEvent) => {
      if (!delivered) {
        delivered = true;
        this.attempt = 0;
      }
      let message: unknown;
      try {
        const data = event.data;
        message = decodeFrame(data instanceof ArrayBuffer ? new Uint8Array(data) : new TextEncoder().encode(String(data)));
      } catch (error) {
        this.handlers.onBadFrame(error as Error);
        return;
      }
      this.handlers.onMessage(message);
    });
    socket.addEventListener('close', (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.closed) return;
      const code = event.code >= 4000 ? `${closeCodeName(event.code)}, code ${event.code}` : `code ${event.code}`;
      const reason = event.reason ? `${event.reason} (${code})` : `connection closed (${code})`;
      this.retry(reason);
    });
    // 'error' is always followed by 'close'; the retry happens there.
    socket.addEventListener('error', () => undefined);
  }

  private retry(reason: string): void {
    if (this.closed) return;
    const base = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(10, this.attempt - 1));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.handlers.onStatus({ state: 'waiting', url: this.url, retryInMs: delay, reason });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.closed) this.open();
    }, delay);
  }
}
