import { Worker } from 'node:worker_threads';
import { LOCAL_SUM, type AllSum } from '../all-sum.ts';
import type { PpoStats } from '../ppo.ts';
import type { RankReport } from './rank.ts';
import type { FromRank, RankOrder, RankWorkerData } from './rank-protocol.ts';
import { allocateAllSum, RanksAborted, SharedAllSum } from './shared-all-sum.ts';

/** One update over every rank: the (identical) PPO statistics and each rank's report, in rank order. */
export type UpdateRound = { stats: PpoStats; reports: RankReport[] };

/** Rank 0's own part of an update: it runs in the trainer's thread with the given AllSum. */
export type OwnStep = (allSum: AllSum) => { report: RankReport; stats: PpoStats };

/**
 * The ranks of a training run as the trainer sees them: `update` runs one PPO update on all of
 * them (rank 0's part in the calling thread) and resolves when every rank has finished it. The
 * orders are `rankOrder`'s, one update after the other from the run's start: worker ranks run
 * them without being told.
 */
export type Ranks = {
  readonly count: number;
  update(order: RankOrder, own: OwnStep): Promise<UpdateRound>;
  close(): Promise<void>;
};

/** `--workers 0`: the trainer's thread is the only rank. */
export const SINGLE_RANK: Ranks = {
  count: 1,
  update: async (_order, own) => {
    const { report, stats } = own(LOCAL_SUM);
    return { stats, reports: [report] };
  },
  close: async () => {},
};

type WorkerState = { worker: Worker; inbox: FromRank[]; failure: string | null; wake: (() => void) | null };

/** A worker that stopped while rank 0 was blocked at the barrier owes its reason within this time. */
const REASON_TIMEOUT_MS = 10_000;

/**
 * Ranks 1..N as worker threads of `script` (the bundled rank worker), rank 0 being the caller's.
 * Resolves once every worker has built its nets and envs; a worker that fails then rejects with
 * one line naming it.
 */
export async function startWorkerRanks(o: { script: string; workers: Omit<RankWorkerData, 'memory'>[]; capacity: number }): Promise<Ranks> {
  const ranks = o.workers.length + 1;
  const memory = allocateAllSum(ranks, o.capacity);
  const allSum = new SharedAllSum(memory, 0);
  let closing = false;
  const states: WorkerState[] = o.workers.map((data) => {
    const worker = new Worker(o.script, { workerData: { ...data, memory } });
    const state: WorkerState = { worker, inbox: [], failure: null, wake: null };
    const fail = (reason: string) => {
      if (closing) return;
      state.failure ??= reason;
      allSum.abort();
      state.wake?.();
    };
    worker.on('message', (m: FromRank) => {
      if (m.kind === 'failed') fail(m.message);
      else state.inbox.push(m);
      state.wake?.();
    });
    worker.on('error', (error) => fail(error.message.split('\n')[0]));
    worker.on('exit', (code) => fail(`its thread exited (code ${code})`));
    return state;
  });
  const line = (rank: number, reason: string, update?: number) =>
    `training worker ${rank} of ${ranks - 1} stopped${update === undefined ? ' while starting' : ` in update ${update + 1}`}: ${reason}; the run stopped (its last checkpoint is intact: continue with --resume)`;

  /**
   * The next message of worker `rank`, or its failure as an error line. A worker runs ahead of
   * rank 0, so messages it sent before failing (an earlier update's report) come first. With
   * `untilFailure` the run is already aborted by that worker: its messages are dropped and only
   * its reason (or the timeout) ends the wait.
   */
  const receive = async (rank: number, update: number | undefined, timeoutMs = 0, untilFailure = false): Promise<FromRank> => {
    const state = states[rank - 1];
    const started = Date.now();
    for (;;) {
      const message = state.inbox.shift();
      if (message && !untilFailure) return message;
      if (message) continue;
      if (state.failure !== null) throw new Error(line(rank, state.failure, update));
      if (timeoutMs > 0 && Date.now() - started > timeoutMs) throw new Error(line(rank, 'it stopped without saying why', update));
      await new Promise<void>((resolve) => {
        state.wake = resolve;
        if (timeoutMs > 0) setTimeout(resolve, timeoutMs).unref();
      });
      state.wake = null;
    }
  };

  const close = async () => {
    closing = true;
    allSum.abort();
    await Promise.all(states.map((s) => s.worker.terminate()));
  };

  try {
    for (let rank = 1; rank < ranks; rank++) {
      const message = await receive(rank, undefined);
      if (message.kind !== 'ready') throw new Error(line(rank, `sent '${message.kind}' before it was ready`));
    }
  } catch (error) {
    await close();
    throw error;
  }

  let next = o.workers[0].startUpdates;
  return {
    count: ranks,
    close,
    async update(order, own) {
      if (order.update !== next) throw new Error(`ranks: asked for update ${order.update + 1}, the worker threads run update ${next + 1}`);
      next++;
      for (let rank = 1; rank < ranks; rank++) if (states[rank - 1].failure !== null) throw new Error(line(rank, states[rank - 1].failure!, order.update));
      let mine: { report: RankReport; stats: PpoStats };
      allSum.takeWaitSeconds();
      try {
        mine = own(allSum.sum);
      } catch (error) {
        if (error instanceof RanksAborted && error.byRank > 0) {
          // The worker that aborted says why in a message (or its thread's end) rank 0 could not read while blocked.
          await receive(error.byRank, order.update, REASON_TIMEOUT_MS, true);
        }
        allSum.abort();
        throw error;
      }
      mine.report.waitSeconds = allSum.takeWaitSeconds();
      const reports = [mine.report];
      for (let rank = 1; rank < ranks; rank++) {
        const message = await receive(rank, order.update);
        if (message.kind !== 'done' || message.update !== order.update) throw new Error(line(rank, `sent '${message.kind}'${message.kind === 'done' ? ` of update ${message.update + 1}` : ''} in an update`, order.update));
        reports.push(message.report);
      }
      return { stats: mine.stats, reports };
    },
  };
}
