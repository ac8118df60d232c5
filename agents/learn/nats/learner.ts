import { randomUUID } from 'node:crypto';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { KV } from '@nats-io/kv';
import { encode, decode } from '../../../shared/codec.ts';
import type { PolicyFile } from '../../../shared/model-format.ts';
import type { LoadedScenario } from '../../../server/scenarios/registry.ts';
import type { EpisodeSummary } from '../../../server/env/vec-env.ts';
import type { TrainConfig } from '../config.ts';
import type { RolloutBuffer } from '../rollout.ts';
import { connectNats, NO_JETSTREAM, openBucket } from './connect.ts';
import { FragmentIntake, progressNote } from './intake.ts';
import { bytesPerEnv, rolloutColumns, type ExperienceColumns, type Fragment } from './fragment.ts';
import { checkRunName, IDENTITY_KEY, makeIdentity, natsNames, WEIGHTS_KEY, type RunIdentity, type RunWork } from './identity.ts';

export type NatsOptions = {
  url: string;
  /** Names the run's bucket and subjects (default 'main'). */
  run?: string;
  /** Envs per fragment (default: the largest divisor of numEnvs up to 8 whose fragment fits a NATS message). */
  fragmentEnvs?: number;
  /** Drop fragments collected with weights more than this many updates old (default 1). */
  maxStaleness?: number;
  /** A worker silent this long no longer counts (default 30). */
  workerTimeoutSeconds?: number;
};

/** The header naming the worker that sent a fragment, read before the fragment is decoded. */
export const WORKER_HEADER = 'kdmarl-worker';

/** What a reply to a fragment says: its verdict and the learner's weights version now. */
export type FragmentReply = { status: 'accepted' | 'stale' | 'refused' | 'closed'; reason?: string; session: string; version: number; cycleSeconds: number };

export type ExperienceSource = {
  readonly identity: RunIdentity;
  /** Fill `buffer`'s envs with workers' fragments; false when the run was asked to stop meanwhile. */
  fill(episodes: EpisodeSummary[]): Promise<boolean>;
  /** Publish the actors as weights version `version`. */
  publish(version: number): Promise<void>;
  /** Per-worker throughput and staleness since the last call, for metrics.jsonl. */
  metrics(): Record<string, number>;
  /** A few words for the progress line. */
  note(): string;
  close(): Promise<void>;
};

export type LearnerContext = {
  /** What the workers collect for: the trainer's config, or the distiller's config and students. */
  work: RunWork;
  scenario: LoadedScenario;
  /** The batch the fragments fill (the learner's own arrays). */
  columns: ExperienceColumns;
  /** The actors workers sample from, as published weights. */
  policy: () => PolicyFile;
  version: number;
  log: (message: string) => void;
  /** Wakes a waiting fill when the run is asked to stop. */
  onStop: (listener: () => void) => void;
};

export type TrainLearnerContext = Omit<LearnerContext, 'work' | 'columns'> & { config: TrainConfig; buffer: RolloutBuffer };

/** A trainer's end of a run on NATS: its fragments fill the rollout buffer's envs. */
export async function natsExperience(options: NatsOptions, ctx: TrainLearnerContext): Promise<ExperienceSource> {
  if (ctx.config.recurrent) throw new Error('--nats: rollout workers run feed-forward actors only; train recurrent configs without --nats');
  const { config, buffer, ...rest } = ctx;
  return natsLearner(options, { ...rest, work: { kind: 'train', config }, columns: rolloutColumns(buffer) });
}

/** The learner's end of a run on NATS: publishes identity and weights, and takes fragments into its batch. */
export async function natsLearner(options: NatsOptions, ctx: LearnerContext): Promise<ExperienceSource> {
  const run = checkRunName(options.run ?? 'main');
  const nc = await connectNats(options.url, `kdmarl learner ${run}`);
  try {
    return await startLearner(nc, run, options, ctx);
  } catch (error) {
    await nc.close();
    if (/jetstream (is )?not enabled/i.test((error as Error).message)) throw new Error(`--nats ${options.url}: ${NO_JETSTREAM}`);
    throw error;
  }
}

async function startLearner(nc: NatsConnection, run: string, options: NatsOptions, ctx: LearnerContext): Promise<ExperienceSource> {
  const { columns: buffer, log } = ctx;
  const names = natsNames(run);
  const maxPayload = nc.info?.max_payload ?? 1 << 20;
  const fragmentEnvs = options.fragmentEnvs ?? defaultFragmentEnvs(buffer, maxPayload);
  if (buffer.numEnvs % fragmentEnvs !== 0) throw new Error(`--fragment-envs ${fragmentEnvs}: must divide numEnvs (${buffer.numEnvs})`);
  const fragmentBytes = bytesPerEnv(buffer) * fragmentEnvs;
  if (fragmentBytes > maxPayload) throw new Error(`--nats: a fragment of ${fragmentEnvs} envs is ~${fragmentBytes} bytes, over the server's max_payload ${maxPayload}; pass a smaller --fragment-envs or raise max_payload in the nats-server config`);
  const identity = makeIdentity(run, ctx.work, ctx.scenario, fragmentEnvs);
  const session = randomUUID().slice(0, 8);
  const intake = new FragmentIntake(identity, { maxStaleness: options.maxStaleness ?? 1, session, log });
  intake.version = ctx.version;
  const timeout = options.workerTimeoutSeconds ?? 30;

  let kv: KV | null = null;
  let weights: Uint8Array | null = null;
  const announce = async (): Promise<void> => {
    kv = await openBucket(nc, names.bucket, true);
    await kv!.put(IDENTITY_KEY, JSON.stringify(identity));
    if (weights) await kv!.put(WEIGHTS_KEY, weights);
  };
  const publish = async (version: number): Promise<void> => {
    intake.version = version;
    weights = encode({ session, version, policy: ctx.policy() });
    if (weights.length > maxPayload) throw new Error(`--nats: the weights are ${weights.length} bytes, over the server's max_payload ${maxPayload}; raise max_payload in the nats-server config`);
    try {
      await kv!.put(WEIGHTS_KEY, weights);
    } catch (error) {
      // Disconnected: the reconnect handler puts the newest weights again.
      log(`weights version ${version} not published yet (${(error as Error).message}); will publish when NATS is back`);
    }
  };
  await announce();
  await publish(ctx.version);
  log(`learner on NATS ${options.url}, run '${run}' (${identity.kind}): config ${identity.configHash}, fragments of ${fragmentEnvs} envs x ${buffer.steps} steps (~${fragmentBytes} bytes), max staleness ${options.maxStaleness ?? 1}; start workers with 'kdmarl worker --nats ${options.url} --run ${run}'`);

  const queue: Msg[] = [];
  let wake: (() => void) | null = null;
  let stopped = false;
  let closed = false;
  const poke = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  ctx.onStop(() => {
    stopped = true;
    poke();
  });
  // Seconds from one fill to the next (an update, its logging, evaluation): how long a fragment may wait here.
  let cycleSeconds = 0;
  let lastFill = 0;
  const reply = (msg: Msg, r: Omit<FragmentReply, 'session' | 'version' | 'cycleSeconds'>) => {
    if (msg.reply) msg.respond(JSON.stringify({ ...r, session, version: intake.version, cycleSeconds }));
  };
  const subs: Subscription[] = [
    nc.subscribe(names.fragments, {
      callback: (error, msg) => {
        if (error) return;
        const worker = msg.headers?.get(WORKER_HEADER);
        if (worker) intake.touch(worker);
        if (closed) reply(msg, { status: 'closed' });
        else queue.push(msg);
        poke();
      },
    }),
    nc.subscribe(names.bye, { callback: (error, msg) => { if (!error) intake.leave(msg.string(), 'left'); } }),
  ];
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') log(`lost NATS at ${options.url}; waiting for it to come back (the run is kept)`);
      if (s.type === 'reconnect') {
        log(`NATS back at ${options.url}; resuming`);
        announce().catch((error: Error) => log(`could not republish the run on NATS: ${error.message}`));
      }
    }
  })();

  const take = (msg: Msg) => {
    let fragment: Fragment;
    try {
      fragment = decode(msg.data) as Fragment;
      const verdict = intake.offer(fragment);
      reply(msg, verdict.status === 'refused' ? { status: 'refused', reason: verdict.reason } : { status: verdict.status });
    } catch (error) {
      reply(msg, { status: 'refused', reason: `undecodable fragment (${(error as Error).message})` });
    }
  };
  const nextMessage = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => { wake = null; resolve(); }, ms);
      wake = () => { clearTimeout(timer); resolve(); };
    });

  let lastNote = '';
  return {
    identity,
    async fill(episodes) {
      const now = performance.now();
      if (lastFill > 0) cycleSeconds = (now - lastFill) / 1000;
      lastFill = now;
      intake.begin(buffer, episodes);
      let said = false;
      while (!intake.full) {
        if (stopped) return false;
        const msg = queue.shift();
        if (msg) {
          take(msg);
          continue;
        }
        await nextMessage(said ? 10_000 : 5000);
        if (queue.length || stopped) continue;
        intake.expire(timeout);
        if (!said) {
          said = true;
          const have = intake.workerCount ? `workers ${intake.names()} sent nothing for 5s` : 'no workers';
          log(`waiting for fragments (${intake.filled}/${buffer.numEnvs} envs of this batch; ${have}); start one with 'kdmarl worker --nats ${options.url} --run ${run}'`);
        }
      }
      return true;
    },
    publish,
    metrics() {
      const m = intake.takeMetrics();
      lastNote = progressNote(m);
      return m;
    },
    note: () => lastNote,
    async close() {
      stopped = true;
      closed = true;
      for (const msg of queue.splice(0)) reply(msg, { status: 'closed' });
      for (const s of subs) s.unsubscribe();
      await nc.drain().catch(() => undefined);
    },
  };
}

/** The largest divisor of numEnvs up to 8 whose fragment stays under half a NATS message. */
export function defaultFragmentEnvs(buffer: ExperienceColumns, maxPayload: number): number {
  const perEnv = bytesPerEnv(buffer);
  for (let n = Math.min(8, buffer.numEnvs); n > 1; n--) if (buffer.numEnvs % n === 0 && n * perEnv <= maxPayload / 2) return n;
  return 1;
}
