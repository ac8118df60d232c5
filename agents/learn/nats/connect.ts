import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';

/**
 * Connect to NATS, or fail with one line naming the server and what to do. Once connected, the
 * client reconnects for ever: a learner or worker that loses the server waits for it.
 */
export async function connectNats(url: string, name: string): Promise<NatsConnection> {
  const servers = url.replace(/^nats:\/\//, '');
  try {
    return await connect({ servers, name, timeout: 5000, maxReconnectAttempts: -1, reconnectTimeWait: 1000, pingInterval: 20_000 });
  } catch (error) {
    const cause = (error as Error).cause as NodeJS.ErrnoException | undefined;
    const why = cause?.code ?? (error as Error).message.split('\n')[0];
    throw new Error(`--nats ${url}: cannot reach a NATS server (${why}); start one with 'nats-server -js' on that host, or fix the URL`);
  }
}

export const NO_JETSTREAM = "the NATS server has no JetStream; start it with 'nats-server -js'";

/** The run's bucket, created if absent (learner), or null when no learner has made it yet (worker). */
export async function openBucket(nc: NatsConnection, bucket: string, create: boolean): Promise<KV | null> {
  const kvm = new Kvm(jetstream(nc));
  if (create) return kvm.create(bucket, { history: 1 });
  try {
    const kv = await kvm.open(bucket, { bindOnly: true });
    await kv.status();
    return kv;
  } catch (error) {
    if (/jetstream (is )?not enabled/i.test((error as Error).message)) throw new Error(NO_JETSTREAM);
    return null;
  }
}

/** Resolve after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Fail with the one-line reason now, before a command builds anything, when the server cannot be reached. */
export async function checkNatsReachable(url: string): Promise<void> {
  const nc = await connectNats(url, 'kdmarl probe');
  await nc.close();
}
