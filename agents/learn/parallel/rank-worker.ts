import { parentPort, workerData } from 'node:worker_threads';
import { createSimulation, resolveScenario } from '../../../server/scenarios/registry.ts';
import { Rng } from '../../../shared/rng.ts';
import { initBackend } from '../backend.ts';
import { buildTeacherNet } from '../teacher-net.ts';
import { IdentityValueNorm, ValueNorm } from '../value-norm.ts';
import { learnerFactory } from './learners.ts';
import { Rank, rankCollector, rankSeeds } from './rank.ts';
import { rankOrder, type RankWorkerData, type FromRank } from './rank-protocol.ts';
import { RanksAborted, SharedAllSum } from './shared-all-sum.ts';

/**
 * A worker thread's rank of a data-parallel training run: it builds its own networks, learner and
 * envs from what rank 0 sent, then runs `Rank.step` update after update, reporting each: it
 * collects the next update's share while rank 0 still logs, evaluates or checkpoints the last one,
 * and waits for the other ranks at the next update's first barrier. Rank 0 ends it by terminating
 * the thread. Bundled into dist/rank-worker.js (worker threads cannot load .ts).
 */
const data = workerData as RankWorkerData;
const port = parentPort!;
const allSum = new SharedAllSum(data.memory, data.place.rank);
const post = (message: FromRank) => port.postMessage(message);
// However this thread ends, ranks blocked at the barrier must not wait for it forever.
process.on('exit', () => allSum.abort());

async function start(): Promise<Rank> {
  const { config } = data;
  const backend = await initBackend(config.backend === 'auto' ? undefined : config.backend);
  const scenario = resolveScenario(config.scenario);
  const probe = createSimulation(scenario);
  const { net, students } = buildTeacherNet(config, scenario, probe);
  net.setWeights(data.weights, 'rank 0 weights');
  let anchor = null;
  if (data.anchorWeights) {
    anchor = buildTeacherNet(config, scenario, probe).net;
    anchor.setWeights(data.anchorWeights, 'rank 0 anchor');
  }
  const learner = learnerFactory(data.learner)(net, config, { anchor });
  learner.setOptimizerState(data.optimizer, 'rank 0 optimizer state');
  const valueNorm = config.valueNorm ? new ValueNorm() : new IdentityValueNorm();
  valueNorm.setState(data.valueNorm);
  const seeds = rankSeeds(config.seed, data.startUpdates, data.place.rank);
  const collector = rankCollector(config, scenario, students, net, learner, data.place.numEnvs, seeds.envs);
  post({ kind: 'ready', backend });
  return new Rank(data.place.rank, { learner, collector, valueNorm, rng: new Rng(seeds.rng), config });
}

const failed = (error: unknown): void => {
  allSum.abort();
  post({ kind: 'failed', message: error instanceof Error ? error.message.split('\n')[0] : String(error) });
};

/** Runs `update`, reports it, and goes on with the next one (after a turn of the event loop). */
function run(rank: Rank, update: number): void {
  try {
    if (data.fault?.update === update) {
      if (data.fault.how === 'exit') process.exit(3);
      throw new Error(`injected failure at update ${update}`);
    }
    const order = rankOrder(data.config, data.startUpdates, update, data.place.ranks);
    allSum.takeWaitSeconds();
    const { report } = rank.step(update, order.updateActor, allSum.sum, order.digest);
    report.waitSeconds = allSum.takeWaitSeconds();
    post({ kind: 'done', update, report });
  } catch (error) {
    if (error instanceof RanksAborted && error.byRank !== data.place.rank) post({ kind: 'aborted' });
    else failed(error);
    return;
  }
  setImmediate(() => run(rank, update + 1));
}

start().then((rank) => run(rank, data.startUpdates), failed);
