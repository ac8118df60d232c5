import { hostname } from 'node:os';
import { randomInt } from 'node:crypto';
import { headers, NoRespondersError, RequestError, type NatsConnection } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { Rng } from '../../../shared/rng.ts';
import { encode, decode } from '../../../shared/codec.ts';
import type { PolicyFile } from '../../../shared/model-format.ts';
import type { EpisodeSummary } from '../../../server/env/vec-env.ts';
import { parseScenario } from '../../../server/scenarios/registry.ts';
import { distillCollector } from '../../distill/student-fragments.ts';
import { connectNats, openBucket, pause } from './connect.ts';
import { fragmentOf, type FragmentMeta } from './fragment.ts';
import type { CollectorSpec, FragmentCollector } from './collector.ts';
import { trainCollector } from './train-collector.ts';
import { checkRunName, FRAGMENT_FORMAT, IDENTITY_KEY, kdmarlVersion, learnerCommand, natsNames, WEIGHTS_KEY, workOf, workOrigin, type RunIdentity, type RunKind, type RunWork } from './identity.ts';
import { WORKER_HEADER, type FragmentReply } from './learner.ts';

export type WorkerOptions = {
  url: string;
  run?: string;
  /** Names the worker on the learner's lines and metrics (default host-pid). */
  id?: string;
  log?: (message: string) => void;
  /** Stop after the fragment in flight (Ctrl-C, tests). */
  signal?: AbortSignal;
  /** Serve only a run of this kind: a run of the other kind is refused with one line. */
  kind?: RunKind;
  /** Collect for this instead of the run's work (tests: a worker the learner must refuse). */
  work?: RunWork;
  /**
   * Wait this long for the learner to take a fragment before taking it for lost (a learner killed
   * with it queued); default 4 of the learner's update cycles + 10 s, within 15-300 s (60 s at first).
   */
  replyTimeoutMs?: number;
  /** Called with every reply from the learner (tests, watching a worker). */
  onReply?: (reply: FragmentReply) => void;
  /** Seconds between the worker's own throughput lines (default 30; 0: none). */
  reportEverySeconds?: number;
};

export type WorkerResult = { fragments: number; accepted: number; stale: number; envSteps: number; collectSeconds: number };

type Weights = { session: string; version: number; policy: PolicyFile };
type Reconnect = { promise: Promise<Error>; cancel: () => void };

/**
 * A rollout worker, for a `kdmarl train` or a `kdmarl distill` run alike: reads the run's identity
 * and newest weights from the run's bucket, steps its own `fragmentEnvs` envs with the typed-array
 * actors (the trainer's, or the distiller's students), and sends each fragment to the learner as
 * a request; the reply says what became of it and which weights version the learner is at, so the
 * worker fetches new weights when there are some. One fragment is in flight while the next is
 * collected. Returns when `signal` aborts.
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerResult> {
  const log = options.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const run = checkRunName(options.run ?? 'main');
  const names = natsNames(run);
  const id = options.id ?? `${hostname()}-${process.pid}`;
  const signal = options.signal;
  const nc = await connectNats(options.url, `kdmarl worker ${id}`);
  const result: WorkerResult = { fragments: 0, accepted: 0, stale: 0, envSteps: 0, collectSeconds: 0 };
  // A request in flight when the server went away may never be answered: give it up on reconnect.
  const reconnects = new Set<() => void>();
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') log(`worker ${id}: lost NATS at ${options.url}; waiting for it`);
      if (s.type === 'reconnect') for (const wake of [...reconnects]) wake();
    }
  })();
  const untilReconnect = (): Reconnect => {
    let wake = () => {};
    const promise = new Promise<Error>((resolve) => {
      wake = () => resolve(new Error('NATS reconnected'));
      reconnects.add(wake);
    });
    return { promise, cancel: () => reconnects.delete(wake) };
  };
  try {
    while (!signal?.aborted) {
      const identity = await waitForRun(nc, names.bucket, run, options.url, log, signal);
      if (!identity) break;
      const outcome = await serveRun(nc, identity.kv, identity.identity, id, options, result, log, untilReconnect);
      if (outcome === 'stop') break;
    }
  } finally {
    if (!nc.isClosed()) {
      nc.publish(names.bye, id);
      await nc.drain().catch(() => undefined);
    }
  }
  return result;
}

async function waitForRun(nc: NatsConnection, bucket: string, run: string, url: string, log: (m: string) => void, signal?: AbortSignal): Promise<{ kv: KV; identity: RunIdentity } | null> {
  let said = false;
  while (!signal?.aborted) {
    const kv = await openBucket(nc, bucket, false).catch((error: Error) => {
      throw new Error(`--nats ${url}: ${error.message}`);
    });
    const entry = kv ? await kv.get(IDENTITY_KEY).catch(() => null) : null;
    if (kv && entry && entry.operation === 'PUT') return { kv, identity: entry.json<RunIdentity>() };
    if (!said) log(`no run '${run}' on NATS ${url} yet; waiting for 'kdmarl train --nats ${url} --run ${run}' or 'kdmarl distill --nats ${url} --run ${run}'`);
    said = true;
    await pause(1000, signal);
  }
  return null;
}

async function readWeights(kv: KV): Promise<Weights | null> {
  const entry = await kv.get(WEIGHTS_KEY).catch(() => null);
  return entry && entry.operation === 'PUT' ? (decode(entry.value) as Weights) : null;
}

/** Collect and send fragments for one run identity; 'again' when the run changed or the learner went away. */
async function serveRun(nc: NatsConnection, kv: KV, identity: RunIdentity, id: string, options: WorkerOptions, result: WorkerResult, log: (m: string) => void, untilReconnect: () => Reconnect): Promise<'stop' | 'again'> {
  const signal = options.signal;
  if (options.kind && identity.kind !== options.kind) {
    throw new Error(`worker ${id}: run '${identity.run}' is a ${identity.kind} run ('${learnerCommand(identity.kind)}'), not ${options.kind}; pass --kind ${identity.kind}, or another --run`);
  }
  // Another version may lay out configs, nets or fragments differently: refuse before reading them.
  const version = kdmarlVersion();
  if (identity.version !== version || identity.format !== FRAGMENT_FORMAT) {
    throw new Error(`worker ${id}: run '${identity.run}' runs kdmarl ${identity.version} (fragment format ${identity.format}), this worker kdmarl ${version} (format ${FRAGMENT_FORMAT}); run the learner's kdmarl version on this machine`);
  }
  const work = options.work ?? workOf(identity);
  const scenario = parseScenario(identity.scenarioFile, `run '${identity.run}' scenario`);
  // What this worker really collects for, not what the run says: the learner compares the two.
  const origin = workOrigin(work, scenario.file.name, scenario.file);
  let weights = await readWeights(kv);
  if (!weights) {
    // The run's identity is up but its weights are not (yet): wait before looking again.
    await pause(1000, signal);
    return signal?.aborted ? 'stop' : 'again';
  }
  const seed = randomInt(2 ** 31);
  let collector: FragmentCollector;
  try {
    collector = collectorFor({ work, scenario, envs: identity.fragmentEnvs, seed, policy: weights.policy });
  } catch (error) {
    throw new Error(`worker ${id}: cannot collect for ${identity.kind} run '${identity.run}' with its weights: ${(error as Error).message}`);
  }
  const rng = new Rng(seed ^ 0x5eed);
  let timeout = options.replyTimeoutMs ?? 60_000;
  const maxPayload = nc.info?.max_payload ?? 1 << 20;
  log(`worker ${id} on ${identity.kind} run '${identity.run}' (${identity.scenario}, config ${origin.configHash}): fragments of ${identity.fragmentEnvs} envs x ${collector.columns.steps} steps, weights version ${weights.version}`);
  let inflight: Promise<FragmentReply | Error> | null = null;
  let waitingSaid = false;
  let lastReport = performance.now();
  let reportFrom = { fragments: result.fragments, envSteps: result.envSteps };
  const reportEvery = (options.reportEverySeconds ?? 30) * 1000;
  // Lets the learner see this worker is alive while its fragment waits behind a long update.
  const from = headers();
  from.set(WORKER_HEADER, id);
  // Leaving does not wait for a learner that may never answer (it finished, or its server went away).
  const stopped = new Promise<'stop'>((resolve) => {
    if (signal?.aborted) resolve('stop');
    signal?.addEventListener('abort', () => resolve('stop'), { once: true });
  });

  let sent: Uint8Array | null = null;
  const send = (bytes: Uint8Array) => {
    sent = bytes;
    const lost = untilReconnect();
    inflight = Promise.race([
      nc.request(natsNames(identity.run).fragments, bytes, { timeout, headers: from }).then(
        (msg) => msg.json<FragmentReply>(),
        (error: Error) => error,
      ),
      lost.promise,
    ]).finally(lost.cancel);
  };

  const settle = async (): Promise<'go' | 'stop' | 'again'> => {
    if (!inflight) return 'go';
    let reply: FragmentReply | Error | 'stop';
    for (;;) {
      reply = await Promise.race([inflight!, stopped]);
      inflight = null;
      if (!(reply instanceof Error)) break;
      if (!waitingSaid) log(`worker ${id}: no learner answering on run '${identity.run}' (${reply.message}); waiting`);
      waitingSaid = true;
      await pause(1000, signal);
      if (signal?.aborted) return 'stop';
      // A learner that came back may be a new session, or have moved on: collect with its weights.
      const fresh = await readWeights(kv);
      if (fresh && (fresh.session !== weights!.session || fresh.version !== weights!.version)) {
        weights = fresh;
        collector.setPolicy(fresh.policy);
        return 'go';
      }
      // No learner had it (no subscriber): offer the same fragment again rather than collect more
      // that nobody takes. A fragment the learner may hold (a timeout, a reconnect) is not sent twice.
      if (!noResponders(reply)) return 'go';
      send(sent!);
    }
    if (reply === 'stop') return 'stop';
    options.onReply?.(reply);
    if (options.replyTimeoutMs === undefined && reply.cycleSeconds > 0) timeout = Math.min(300_000, Math.max(15_000, 4000 * reply.cycleSeconds + 10_000));
    if (waitingSaid) log(`worker ${id}: learner answering again`);
    waitingSaid = false;
    if (reply.status === 'accepted') result.accepted++;
    if (reply.status === 'stale') result.stale++;
    if (reply.status === 'refused') {
      const now = await waitForRun(nc, natsNames(identity.run).bucket, identity.run, options.url, log, signal);
      if (now && now.identity.configHash !== identity.configHash) {
        log(`worker ${id}: run '${identity.run}' changed its config; rejoining`);
        return 'again';
      }
      throw new Error(`worker ${id} refused by the learner of run '${identity.run}': ${reply.reason}`);
    }
    if (reply.status === 'closed') return 'again';
    if (reply.session !== weights!.session || reply.version > weights!.version) {
      const fresh = await readWeights(kv);
      if (fresh && (fresh.session !== weights!.session || fresh.version > weights!.version)) {
        weights = fresh;
        collector.setPolicy(fresh.policy);
      }
    }
    return 'go';
  };

  try {
    while (!signal?.aborted) {
      const meta: FragmentMeta = { origin, worker: id, session: weights.session, weightsVersion: weights.version };
      const episodes: EpisodeSummary[] = [];
      const t0 = performance.now();
      collector.collect(rng, episodes);
      result.collectSeconds += (performance.now() - t0) / 1000;
      const bytes = encode(fragmentOf(collector.columns, meta, episodes));
      if (bytes.length > maxPayload) throw new Error(`worker ${id}: a fragment is ${bytes.length} bytes, over the NATS server's max_payload ${maxPayload}; raise max_payload in the nats-server config or restart the learner with a smaller --fragment-envs`);
      const state = await settle();
      if (state !== 'go') return state;
      result.fragments++;
      result.envSteps += identity.fragmentEnvs * collector.columns.steps;
      send(bytes);
      const now = performance.now();
      if (reportEvery > 0 && now - lastReport >= reportEvery && !waitingSaid) {
        const s = (now - lastReport) / 1000;
        log(`worker ${id}: ${((result.fragments - reportFrom.fragments) / s).toFixed(2)} fragments/s, ${((result.envSteps - reportFrom.envSteps) / s).toFixed(0)} env steps/s, weights version ${weights.version}`);
        lastReport = now;
        reportFrom = { fragments: result.fragments, envSteps: result.envSteps };
      }
    }
    await settle();
    return 'stop';
  } finally {
    collector.dispose();
  }
}

function collectorFor(spec: CollectorSpec): FragmentCollector {
  const { work } = spec;
  return work.kind === 'distill' ? distillCollector({ ...spec, work }) : trainCollector({ ...spec, work });
}

/** The server said nobody subscribes to the subject: no learner received the request. */
function noResponders(error: Error): boolean {
  return error instanceof NoRespondersError || (error instanceof RequestError && error.isNoResponders());
}
