import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { train } from '../../agents/learn/trainer.ts';
import { readMetrics } from '../../agents/learn/metrics-log.ts';
import { runWorker } from '../../agents/learn/nats/worker.ts';
import { main as trainMain } from '../../agents/learn/train-command.ts';
import { main as workerMain } from '../../agents/learn/worker-command.ts';
import { natsServerMissing, startNatsServer, type NatsServer } from './nats-helpers.ts';
import { tinyConfig } from './helpers.ts';

const quiet = () => {};
const missing = natsServerMissing();

describe('NATS unreachable at start', () => {
  it('train --nats and worker --nats fail with one line naming the server', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'kdmarl-nats-')), 'run');
    const train = trainMain(['--scenario', 'spread', '--steps', '40', '--envs', '4', '--out', out, '--nats', 'nats://127.0.0.1:1']);
    await expect(train).rejects.toThrow(/^--nats nats:\/\/127\.0\.0\.1:1: cannot reach a NATS server \(ECONNREFUSED\); start one with 'nats-server -js'[^\n]*$/);
    // Checked before anything is built: no run dir is left behind.
    expect(existsSync(out)).toBe(false);
    await expect(workerMain(['--nats', 'nats://127.0.0.1:1'])).rejects.toThrow(/^--nats nats:\/\/127\.0\.0\.1:1: cannot reach a NATS server \(ECONNREFUSED\)[^\n]*$/);
  });
});

describe.skipIf(missing !== null)(`training from rollout workers on NATS${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let server: NatsServer;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('completes its updates while workers leave and join', async () => {
    const config = tinyConfig({ numEnvs: 4, rolloutLength: 10, totalSteps: 6 * 40, workers: 0 });
    const runDir = join(mkdtempSync(join(tmpdir(), 'kdmarl-nats-')), 'run');
    const lines: string[] = [];
    const training = train({ config, runDir, resume: false, producedBy: 'test', progress: false, log: (m) => lines.push(m), nats: { url: server.url, run: 'loop', fragmentEnvs: 2 } });
    // A leaves after 2 accepted fragments and B after 3: at most 7 of the 12 the run needs (one
    // more each may land while leaving), so C, which joins when A has left, must finish the run.
    const stops = { A: new AbortController(), B: new AbortController(), C: new AbortController() };
    const leaveAfter = (id: 'A' | 'B', n: number) => {
      let accepted = 0;
      return runWorker({ url: server.url, run: 'loop', id, log: quiet, signal: stops[id].signal, reportEverySeconds: 0, onReply: (r) => { if (r.status === 'accepted' && ++accepted === n) stops[id].abort(); } });
    };
    const a = leaveAfter('A', 2);
    const b = leaveAfter('B', 3);
    const c = a.then(() => runWorker({ url: server.url, run: 'loop', id: 'C', log: quiet, signal: stops.C.signal, reportEverySeconds: 0 }));
    const result = await training;
    stops.C.abort();
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    expect(result.updates).toBe(6);
    expect(ra.accepted).toBeLessThanOrEqual(3);
    expect(rb.accepted).toBeLessThanOrEqual(4);
    expect(rc.accepted).toBeGreaterThanOrEqual(12 - ra.accepted - rb.accepted - 2 * 2);
    for (const id of ['A', 'B', 'C']) expect(lines.some((l) => l.startsWith(`worker ${id} joined`)), id).toBe(true);
    expect(lines.some((l) => l.startsWith('worker A left'))).toBe(true);
    const metrics = readMetrics(join(runDir, 'metrics.jsonl'));
    expect(metrics.map((m) => m.update)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const m of metrics) {
      expect(m['fragments/staleness_mean']).toBeGreaterThanOrEqual(0);
      expect(m['fragments/staleness_mean']).toBeLessThanOrEqual(1);
      expect(typeof m['fragments/dropped_stale']).toBe('number');
    }
    expect(metrics.some((m) => m['workers/C/env_steps_per_s'] > 0)).toBe(true);
  });

  it('refuses a worker with another config by name, and trains on the others', async () => {
    const config = tinyConfig({ numEnvs: 4, rolloutLength: 10, totalSteps: 2 * 40, workers: 0 });
    const runDir = join(mkdtempSync(join(tmpdir(), 'kdmarl-nats-')), 'run');
    const lines: string[] = [];
    const training = train({ config, runDir, resume: false, producedBy: 'test', progress: false, log: (m) => lines.push(m), nats: { url: server.url, run: 'refuse', fragmentEnvs: 2 } });
    const odd = runWorker({ url: server.url, run: 'refuse', id: 'odd', log: quiet, reportEverySeconds: 0, work: { kind: 'train', config: { ...config, lr: config.lr * 2 } } });
    await expect(odd).rejects.toThrow(/^worker odd refused by the learner of run 'refuse': another run's fragments: config [0-9a-f]{16} \(the run's is [0-9a-f]{16}\)/);
    const stop = new AbortController();
    const good = runWorker({ url: server.url, run: 'refuse', id: 'good', log: quiet, signal: stop.signal, reportEverySeconds: 0 });
    const result = await training;
    stop.abort();
    expect((await good).accepted).toBeGreaterThanOrEqual(4);
    expect(result.updates).toBe(2);
    expect(lines.filter((l) => l.startsWith('worker odd refused'))).toHaveLength(1);
  });
});

describe.skipIf(missing !== null)(`a learner that loses NATS${missing ? ` (skipped: ${missing})` : ''}`, () => {
  it('waits for the server and resumes the run', async () => {
    const server = await startNatsServer();
    try {
      const config = tinyConfig({ numEnvs: 4, rolloutLength: 10, totalSteps: 5 * 40, workers: 0 });
      const runDir = join(mkdtempSync(join(tmpdir(), 'kdmarl-nats-')), 'run');
      const lines: string[] = [];
      const training = train({ config, runDir, resume: false, producedBy: 'test', progress: false, log: (m) => { lines.push(m); if (process.env.NATS_DEBUG) console.error('L', m); }, nats: { url: server.url, run: 'lose', fragmentEnvs: 2 } });
      const stop = new AbortController();
      let restarted: Promise<void> | null = null;
      // The server goes away (and comes back on the same port and store) once the learner is at weights version 2.
      const worker = runWorker({ url: server.url, run: 'lose', id: 'w', log: (m) => { if (process.env.NATS_DEBUG) console.error('W', m); }, signal: stop.signal, reportEverySeconds: 0, onReply: (r) => { if (r.version >= 2 && !restarted) restarted = server.restart(); } });
      const result = await training;
      stop.abort();
      await worker;
      expect(restarted).not.toBeNull();
      expect(result.updates).toBe(5);
      expect(lines.some((l) => l.startsWith('lost NATS'))).toBe(true);
      expect(lines.some((l) => l.startsWith('NATS back'))).toBe(true);
      expect(readMetrics(join(runDir, 'metrics.jsonl')).map((m) => m.update)).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await server.stop();
    }
  });
});
