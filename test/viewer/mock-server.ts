import type { Page, WebSocketRoute } from 'playwright-core';
import { decode, encode } from '../../shared/codec.ts';
import type { SceneMessage, SnapshotMessage } from '../../shared/protocol.ts';

/**
 * A stand-in spectator server inside Playwright's `routeWebSocket`: answers the viewer's hello
 * with a scene, then streams snapshots on its own clock. Records everything the viewer sends.
 */
export type MockServer = {
  /** Every decoded message from the viewer, across connections. */
  received: Record<string, unknown>[];
  connections: number;
  current: WebSocketRoute | null;
  /** While true, new connections are closed at once (a server that is down or restarting). */
  refuse: boolean;
  /** Resolves with the first received message matching the predicate (already received ones count). */
  waitForMessage(predicate: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  sendRaw(bytes: Uint8Array): void;
  send(message: object): void;
  stop(): void;
};

export async function mockSpectatorServer(
  page: Page,
  url: string | RegExp,
  scene: SceneMessage,
  snapshot: (tick: number) => SnapshotMessage,
  intervalMs = 100,
): Promise<MockServer> {
  const waiters: { predicate: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
  const timers = new Set<ReturnType<typeof setInterval>>();
  let tick = 0;
  const mock: MockServer = {
    received: [],
    connections: 0,
    current: null,
    refuse: false,
    waitForMessage(predicate) {
      const found = mock.received.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    sendRaw(bytes) {
      mock.current?.send(Buffer.from(bytes));
    },
    send(message) {
      mock.current?.send(encode(message));
    },
    stop() {
      for (const timer of timers) clearInterval(timer);
      timers.clear();
    },
  };
  await page.routeWebSocket(url, (ws) => {
    mock.connections++;
    if (mock.refuse) {
      ws.close({ code: 1013, reason: 'server restarting' });
      return;
    }
    mock.current = ws;
    let timer: ReturnType<typeof setInterval> | null = null;
    ws.onMessage((data) => {
      const message = decode(typeof data === 'string' ? Buffer.from(data) : data) as Record<string, unknown>;
      mock.received.push(message);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(message)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(message);
        }
      }
      if (message['kind'] === 'hello' && !timer) {
        ws.send(encode(scene));
        const t = setInterval(() => ws.send(encode(snapshot(tick++))), intervalMs);
        timer = t;
        timers.add(t);
      }
    });
    ws.onClose(() => {
      if (timer) {
        clearInterval(timer);
        timers.delete(timer);
      }
    });
  });
  return mock;
}
