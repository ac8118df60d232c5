import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train } from '../../agents/learn/trainer.ts';
import { readMetrics } from '../../agents/learn/metrics-log.ts';
import { runWorker } from '../../agents/learn/nats/worker.ts';
import { connectNats, openBucket } from '../../agents/learn/nats/connect.ts';
import { IDENTITY_KEY, natsNames, originOf, type RunIdentity } from '../../agents/learn/nats/identity.ts';
import type { FragmentReply } from '../../agents/learn/nats/learner.ts';
import { encode } from '../../shared/codec.ts';
import { distill, STUDENT_POLICY } from '../../agents/distill/distiller.ts';
import { resolveDistillConfig } from '../../agents/distill/config.ts';
import { main as distillMain } from '../../agents/distill/distill-command.ts';
import { natsServerMissing, startNatsServer, type NatsServer } from '../learn/nats-helpers.ts';
import { tinyConfig } from '../learn/helpers.ts';

const quiet = () => {};
const missing = natsServerMissing();

describe('kdmarl distill --nats with NATS unreachable', () => {
  it('fails with one line naming the server, before making the run directory', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'kdmarl-distill-nats-')), 'run');
    const run = distillMain(['--scenario', 'spread', '--teacher', 'models/spread', '--steps', '40', '--out', out, '--nats', 'nats://127.0.0.1:1']);
    await expect(run).rejects.toThrow(/^--nats nats:\/\/127\.0\.0\.1:1: cannot reach a NATS server \(ECONNREFUSED\); start one with 'nats-server -js'[^\n]*$/);
    expect(existsSync(out)).toBe(false);
  });
});

describe.skipIf(missing !== null)(`distillation from rollout workers on NATS${missing ? ` (skipped: ${missing})` : ''}`, () => {
  const root = mkdtempSync(join(tmpdir(), 'kdmarl-distill-nats-'));
  const teacherDir = join(root, 'teacher');
  const config = resolveDistillConfig('spread', { totalSteps: 4 * 40, numEnvs: 4, rolloutLength: 10, epochs: 1, evalEvery: 0, evalEpisodes: 2, checkpointEvery: 100, backend: 'cpu' });
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
    await train({ config: tinyConfig({ backend: 'cpu' }), runDir: teacherDir, resume: false, producedBy: 'test', progress: false, log: quiet });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('completes its updates on the fragments of one worker, with per-worker throughput and staleness in its metrics', async () => {
    const runDir = join(root, 'students');
    const lines: string[] = [];
    const distilling = distill({ config, teacher: teacherDir, students: 'default', runDir, resume: false, producedBy: 'test', progress: false, log: (m) => lines.push(m), nats: { url: server.url, run: 'distill', fragmentEnvs: 2 } });
    const stop = new AbortController();
    const worker = runWorker({ url: server.url, run: 'distill', id: 'w', kind: 'distill', log: quiet, signal: stop.signal, reportEverySeconds: 0 });
    const result = await distilling;
    stop.abort();
    const done = await worker;

    expect(result.updates).toBe(4);
    expect(result.envSteps).toBe(160);
    expect(existsSync(join(runDir, STUDENT_POLICY))).toBe(true);
    // Every batch is two fragments of this worker: 8 accepted at least (one may be in flight at the end).
    expect(done.accepted).toBeGreaterThanOrEqual(8);
    expect(lines.some((l) => /^learner on NATS .* run 'distill' \(distill\)/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('worker w joined'))).toBe(true);
    const metrics = readMetrics(join(runDir, 'metrics.jsonl'));
    expect(metrics.map((m) => m.update)).toEqual([1, 2, 3, 4]);
    for (const m of metrics) {
      expect(m['fragments/workers']).toBe(1);
      expect(m['fragments/staleness_mean']).toBeGreaterThanOrEqual(0);
      expect(m['fragments/staleness_mean']).toBeLessThanOrEqual(1);
      expect(m['fragments/refused']).toBe(0);
      expect(m['workers/w/env_steps_per_s']).toBeGreaterThan(0);
    }
  });

  it('refuses a --fragment-envs that does not divide the envs with one line, before making the run directory', async () => {
    const out = join(root, 'odd-fragments');
    await expect(distillMain(['--scenario', 'spread', '--teacher', teacherDir, '--envs', '4', '--steps', '40', '--out', out, '--nats', server.url, '--fragment-envs', '3'])).rejects.toThrow(/^--fragment-envs 3: must divide numEnvs \(4\)$/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a worker of another kind, config or kdmarl version by name, and distils on the others', async () => {
    const runDir = join(root, 'refusing');
    const lines: string[] = [];
    const short = resolveDistillConfig('spread', { ...config, totalSteps: 2 * 40 });
    const distilling = distill({ config: short, teacher: teacherDir, students: 'default', runDir, resume: false, producedBy: 'test', progress: false, log: (m) => lines.push(m), nats: { url: server.url, run: 'kinds', fragmentEnvs: 2 } });
    // A worker asked to serve train runs only leaves before collecting anything.
    await expect(runWorker({ url: server.url, run: 'kinds', id: 'trainer-only', kind: 'train', log: quiet, reportEverySeconds: 0 })).rejects.toThrow(
      /^worker trainer-only: run 'kinds' is a distill run \('kdmarl distill'\), not train; pass --kind distill, or another --run$/,
    );
    const nc = await connectNats(server.url, 'test');
    try {
      const kv = (await openBucket(nc, natsNames('kinds').bucket, false))!;
      const identity = (await kv.get(IDENTITY_KEY))!.json<RunIdentity>();
      expect(identity.kind).toBe('distill');

      // A fragment that says it was collected for a trainer is refused by the learner, naming the kind.
      const trainFragment = { origin: { ...originOf(identity), kind: 'train' }, worker: 'trainer', session: 'x', weightsVersion: 0, envs: 2, steps: 10, step: {}, env: {}, episodes: [] };
      const reply = (await nc.request(natsNames('kinds').fragments, encode(trainFragment), { timeout: 60_000 })).json<FragmentReply>();
      expect(reply.status).toBe('refused');
      expect(reply.reason).toMatch(/^another run's fragments: kind train \(the run's is distill, learner 'kdmarl distill'\)/);

      // A real worker collecting the same students with another config is refused by its hash.
      if (identity.kind !== 'distill') throw new Error('unreachable');
      const odd = runWorker({ url: server.url, run: 'kinds', id: 'odd', log: quiet, reportEverySeconds: 0, work: { kind: 'distill', config: { ...identity.config, lr: identity.config.lr * 2 }, students: identity.students } });
      await expect(odd).rejects.toThrow(/^worker odd refused by the learner of run 'kinds': another run's fragments: config [0-9a-f]{16} \(the run's is [0-9a-f]{16}\)/);

      // A run made by another kdmarl version is refused by the worker before it reads its config.
      const other = (await openBucket(nc, natsNames('elder').bucket, true))!;
      await other.put(IDENTITY_KEY, JSON.stringify({ ...identity, run: 'elder', version: '0.0.1' }));
      await expect(runWorker({ url: server.url, run: 'elder', id: 'young', log: quiet, reportEverySeconds: 0 })).rejects.toThrow(
        /^worker young: run 'elder' runs kdmarl 0\.0\.1 \(fragment format \d+\), this worker kdmarl [^ ]+ \(format \d+\); run the learner's kdmarl version on this machine$/,
      );
    } finally {
      await nc.close();
    }

    const stop = new AbortController();
    const good = runWorker({ url: server.url, run: 'kinds', id: 'good', log: quiet, signal: stop.signal, reportEverySeconds: 0 });
    const result = await distilling;
    stop.abort();
    expect((await good).accepted).toBeGreaterThanOrEqual(4);
    expect(result.updates).toBe(2);
    expect(lines.filter((l) => l.startsWith("worker trainer refused: another run's fragments: kind train"))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith("worker odd refused: another run's fragments: config"))).toHaveLength(1);
    const metrics = readMetrics(join(runDir, 'metrics.jsonl'));
    expect(metrics.at(-1)!['fragments/refused']).toBeGreaterThanOrEqual(2);
    expect(metrics.at(-1)!['workers/odd/env_steps_per_s']).toBeUndefined();
  });
});

describe.skipIf(missing !== null)(`a distiller that loses NATS${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('waits for the server and completes the run', async () => {
    const server = await startNatsServer();
    try {
      const root = mkdtempSync(join(tmpdir(), 'kdmarl-distill-nats-'));
      const teacherDir = join(root, 'teacher');
      await train({ config: tinyConfig({ backend: 'cpu' }), runDir: teacherDir, resume: false, producedBy: 'test', progress: false, log: quiet });
      const config = resolveDistillConfig('spread', { totalSteps: 4 * 40, numEnvs: 4, rolloutLength: 10, epochs: 1, evalEvery: 0, evalEpisodes: 2, checkpointEvery: 100, backend: 'cpu' });
      const runDir = join(root, 'students');
      const lines: string[] = [];
      const distilling = distill({ config, teacher: teacherDir, students: 'default', runDir, resume: false, producedBy: 'test', progress: false, log: (m) => lines.push(m), nats: { url: server.url, run: 'lose', fragmentEnvs: 2 } });
      const stop = new AbortController();
      let restarted: Promise<void> | null = null;
      // The server goes away (and comes back on the same port and store) once the distiller is at weights version 2.
      const worker = runWorker({ url: server.url, run: 'lose', id: 'w', log: quiet, signal: stop.signal, reportEverySeconds: 0, onReply: (r) => { if (r.version >= 2 && !restarted) restarted = server.restart(); } });
      const result = await distilling;
      stop.abort();
      await worker;
      expect(restarted).not.toBeNull();
      expect(result.updates).toBe(4);
      expect(lines.some((l) => l.startsWith('lost NATS'))).toBe(true);
      expect(lines.some((l) => l.startsWith('NATS back'))).toBe(true);
      expect(readMetrics(join(runDir, 'metrics.jsonl')).map((m) => m.update)).toEqual([1, 2, 3, 4]);
    } finally {
      await server.stop();
    }
  });
});
