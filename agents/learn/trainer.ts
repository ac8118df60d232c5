import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, deriveSeed } from '../../shared/rng.ts';
import { writeFileAtomic } from '../../shared/atomic-write.ts';
import type { EpisodeSummary } from '../../server/env/vec-env.ts';
import { createSimulation, type LoadedScenario, resolveScenario, scenarioHasWins } from '../../server/scenarios/registry.ts';
import { initBackend, type BackendName } from './backend.ts';
import { checkConfig, type TrainConfig } from './config.ts';
import type { ActorCritic } from './actor-critic.ts';
import { ValueNorm, IdentityValueNorm } from './value-norm.ts';
import type { PpoStats } from './ppo.ts';
import { buildTeacherNet } from './teacher-net.ts';
import { chooseLearner, learnerFactory } from './parallel/learners.ts';
import { Rank, checkMinibatches, envShares, rankCollector, rankSeeds } from './parallel/rank.ts';
import { checkSameWeights, cpuSeconds, rankDetail, rankMetrics } from './parallel/rank-reports.ts';
import { SINGLE_RANK, startWorkerRanks, type Ranks } from './parallel/rank-group.ts';
import { rankOrder, type RankFault } from './parallel/rank-protocol.ts';
import { rankWorkerScript } from './parallel/bundle.ts';
import { CHECKPOINT_FILE, POLICY_FILE, checkShapeMatches, makeCheckpoint, readCheckpoint, saveCheckpoint, writePolicyFile, type Checkpoint } from './checkpoint.ts';
import { METRIC, type MetricLine } from './metrics-log.ts';
import { formatSeconds } from '../run/progress.ts';
import { RunLoop } from '../run/run-loop.ts';
import { prepareRunDir } from '../run/run-dir.ts';
import { continueRunConfig } from '../run/resume.ts';
import { evaluate } from '../eval/evaluate.ts';
import { policyFileAgents } from '../eval/policies.ts';
import { mean } from '../eval/metrics.ts';
import { natsExperience, type ExperienceSource, type NatsOptions } from './nats/learner.ts';

export { buildTeacherNet, scenarioShape } from './teacher-net.ts';

export type TrainOptions = {
  config: TrainConfig;
  runDir: string;
  /** Continue from `runDir/checkpoint.ckpt` (weights, optimizer, value norm, rng, step counter). */
  resume: boolean;
  /**
   * Start a new run from another run's weights and value normalisation (an imitation run, or a
   * teacher to fine-tune): a checkpoint file or a run dir. Optimizers and counters start fresh.
   */
  initFrom?: string;
  /** The command line, recorded in checkpoints and exported policies. */
  producedBy: string;
  /** Progress output: bar/lines on stderr unless false. */
  progress?: boolean;
  /** Names the run on progress lines (default 'train'). */
  progressLabel?: string;
  /** Stop after this many updates in this process (tests, benchmarks). */
  maxUpdates?: number;
  log?: (message: string) => void;
  /** Take each batch from rollout workers on NATS instead of collecting it here (docs/training.md, Many machines). */
  nats?: NatsOptions;
  /** The Learner to train with, by name (parallel/learners.ts); default 'tfjs'. */
  learner?: string;
  /** Tests: make one worker thread fail at an update. */
  fault?: RankFault;
};

export type TrainResult = {
  runDir: string;
  backend: BackendName;
  envSteps: number;
  updates: number;
  wallSeconds: number;
  /** Agent-samples (env steps x agents) per second over this process's updates, end to end. */
  agentSamplesPerSecond: number;
  lastEval: { meanReturn: number; winRate: number } | null;
  lastStats: PpoStats | null;
};

/** Seed list of the periodic greedy evaluation (fixed per run, distinct from training seeds). */
export const EVAL_SEED_OFFSET = 1_000_003;

/**
 * MAPPO training, top to bottom: build envs and nets (or restore them), then
 * collect -> compute targets -> PPO update -> log / checkpoint / evaluate, until `totalSteps`.
 */
export async function train(options: TrainOptions): Promise<TrainResult> {
  const { config, runDir } = options;
  checkConfig(config, 'config');
  const log = options.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const backend = await initBackend(config.backend === 'auto' ? undefined : config.backend);
  const denseMode = config.denseMode === 'stock' ? 'stock' : 'custom';
  log(`tfjs backend: ${backend} (dense gradient: ${denseMode})`);

  const scenario: LoadedScenario = resolveScenario(config.scenario);
  const scenarioName = scenario.file.name;
  const probe = createSimulation(scenario);
  const { net, shape, students } = buildTeacherNet(config, scenario, probe);
  const valueNorm = config.valueNorm ? new ValueNorm() : new IdentityValueNorm();
  const rng = new Rng(rankSeeds(config.seed, 0, 0).rng);
  const start = { steps: 0, updates: 0, wallSeconds: 0 };

  const checkpointPath = prepareRunDir(runDir, { file: CHECKPOINT_FILE, what: 'checkpoint', resume: options.resume });
  let initCheckpoint: Checkpoint | null = null;
  let resumed: Checkpoint | null = null;
  if (options.resume) {
    const ckpt = readCheckpoint(checkpointPath);
    resumed = ckpt;
    checkShapeMatches(ckpt, shape, checkpointPath);
    if (ckpt.config.recurrent !== config.recurrent) throw new Error(`${checkpointPath}: checkpoint has ${ckpt.config.recurrent ? 'recurrent (GRU)' : 'MLP'} actors, the config asks for ${config.recurrent ? 'recurrent' : 'MLP'} ones (recurrent: ${config.recurrent})`);
    if (ckpt.config.criticInput !== config.criticInput) throw new Error(`${checkpointPath}: checkpoint's critic input is '${ckpt.config.criticInput}', the config asks for '${config.criticInput}' (criticInput cannot change on --resume)`);
    // A resume continues the run as it was configured; only its budget may grow.
    continueRunConfig(ckpt.config, [{ source: 'config', values: config }], runDir);
    net.setWeights(ckpt.weights, checkpointPath);
    if (!ckpt.optimizer) throw new Error(`${checkpointPath}: saved without optimizer state; cannot resume training from it`);
    valueNorm.setState(ckpt.valueNorm);
    rng.setState(ckpt.progress.rng);
    Object.assign(start, { steps: ckpt.progress.envSteps, updates: ckpt.progress.updates, wallSeconds: ckpt.progress.wallSeconds });
  } else if (options.initFrom) {
    const from = existsSync(join(options.initFrom, CHECKPOINT_FILE)) ? join(options.initFrom, CHECKPOINT_FILE) : options.initFrom;
    const ckpt = readCheckpoint(from);
    initCheckpoint = ckpt;
    checkShapeMatches(ckpt, shape, from);
    const differs = (['actorHidden', 'criticHidden', 'layerNorm', 'shareActor', 'recurrent', 'criticInput', 'actorViews'] as const).filter((k) => JSON.stringify(ckpt.config[k]) !== JSON.stringify(config[k]));
    if (differs.length) throw new Error(`--init-from ${from}: its nets differ from this config's in ${differs.map((k) => `${k} (${JSON.stringify(ckpt.config[k])} there, ${JSON.stringify(config[k])} here)`).join(', ')}; pass a --config with the same architecture`);
    net.setWeights(ckpt.weights, from);
    valueNorm.setState(ckpt.valueNorm);
    log(`initialised from ${from} (${ckpt.producedBy})`);
  }
  const anchor = config.anchorKl > 0 ? loadAnchor(config, runDir, initCheckpoint, options.resume, () => buildTeacherNet(config, scenario, probe).net) : null;
  if (options.nats && config.workers > 0) throw new Error(`workers ${config.workers}: not with --nats (the batch comes from 'kdmarl worker' processes; the learner runs in one thread)`);
  const learnerKind = options.learner ?? chooseLearner(config, log);
  const learner = learnerFactory(learnerKind)(net, config, { anchor });
  if (learnerKind !== 'tfjs') log(`learner: ${learnerKind}`);
  if (resumed) {
    learner.setOptimizerState(resumed.optimizer!, checkpointPath);
    log(`resumed ${checkpointPath} at update ${start.updates}, ${start.steps} env steps`);
  }
  writeFileAtomic(join(runDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');

  // Ranks: this thread is rank 0; worker threads start from its weights, Adam and value-norm states.
  const places = envShares(config.numEnvs, config.workers + 1);
  checkMinibatches(config, places.map((p) => p.numEnvs), net);
  const startRanks = async (): Promise<Ranks> => {
    if (config.workers === 0) return SINGLE_RANK;
    const started = await startWorkerRanks({
      script: await rankWorkerScript(),
      capacity: Object.values(learner.getWeights()).flat().reduce((n, w) => n + w.length, 0) + 64,
      workers: places.slice(1).map((place) => ({
        place, config, learner: learnerKind, startUpdates: start.updates,
        weights: learner.getWeights(), optimizer: learner.getOptimizerState(), valueNorm: valueNorm.getState(),
        anchorWeights: anchor?.getWeights() ?? null,
        ...(options.fault?.rank === place.rank ? { fault: options.fault } : {}),
      })),
    });
    log(`ranks: ${started.count} (this thread and ${started.count - 1} worker threads), envs ${places.map((p) => p.numEnvs).join('+')}`);
    return started;
  };
  const rank0 = new Rank(0, { learner, valueNorm, rng, config, collector: rankCollector(config, scenario, students, net, learner, places[0].numEnvs, rankSeeds(config.seed, start.updates, 0).envs) });
  const stepsPerUpdate = config.rolloutLength * config.numEnvs;
  const hasWins = scenarioHasWins(scenario);
  // Set-up, like building the nets, is not part of the run's clock; the loop is.
  const ranks = await startRanks();
  let loop: RunLoop;
  try {
    loop = new RunLoop({
      label: options.progressLabel ?? 'train', runDir, totalSteps: config.totalSteps, stepsPerUpdate, start,
      maxUpdates: options.maxUpdates, progress: options.progress !== false, hasWins, log,
    });
  } catch (error) {
    await ranks.close();
    throw error;
  }

  let source: ExperienceSource | null = null;
  const recent: EpisodeSummary[] = [];
  let lastEval: TrainResult['lastEval'] = null;
  let lastStats: PpoStats | null = null;

  // A learner may keep its own copy of the weights: the net exported, evaluated and saved is brought up to date first.
  const syncNet = (): void => {
    if (learner.kind !== 'tfjs') net.setWeights(learner.getWeights(), `learner ${learner.kind}`);
  };
  const currentPolicy = () => {
    syncNet();
    return net.toPolicyFile(scenarioName, options.producedBy, students ? 'scratch' : 'teacher');
  };
  const snapshot = (): Checkpoint => {
    syncNet();
    return makeCheckpoint({
      scenarioName,
      shape,
      config,
      net,
      optimizer: learner.getOptimizerState(),
      valueNorm: valueNorm.getState(),
      progress: { envSteps: loop.steps, updates: loop.updates, wallSeconds: loop.wallSeconds, rng: rng.getState() },
      producedBy: options.producedBy,
      views: students?.map((p) => p.view),
    });
  };
  const save = () => {
    saveCheckpoint(checkpointPath, snapshot(), { includeOptimizer: true });
    writePolicyFile(join(runDir, POLICY_FILE), currentPolicy());
  };
  const runEval = (): { meanReturn: number; winRate: number; returnCi95: number; meanLength: number } => {
    const agents = policyFileAgents(currentPolicy(), probe, scenarioName, 'training policy');
    return evaluate(scenario, agents.agents, { episodes: config.evalEpisodes, seed: deriveSeed(config.seed, EVAL_SEED_OFFSET) });
  };

  const cpuStart = process.cpuUsage();
  try {
    if (options.nats) source = await natsExperience(options.nats, { config, scenario, buffer: rank0.collector.buffer, policy: currentPolicy, version: start.updates, log: (m) => loop.say(m), onStop: (l) => loop.onStop(l) });
    while (await loop.next()) {
      // 1. every rank collects its share of the rollout with the current actors, with GAE targets
      // (with rollout workers on NATS, the batch is their fragments instead);
      // 2. PPO epochs over the whole rollout, every minibatch's gradient summed over the ranks
      let fromWorkers: EpisodeSummary[] | null = null;
      if (source) {
        fromWorkers = [];
        if (!(await source.fill(fromWorkers))) break;
      }
      const order = rankOrder(config, start.updates, loop.updates, ranks.count);
      const actorTrains = order.updateActor;
      const round = await ranks.update(order, (allSum) => rank0.step(order.update, actorTrains, allSum, order.digest, fromWorkers));
      checkSameWeights(round.reports);
      lastStats = round.stats;
      const finished = round.reports.flatMap((r) => r.episodes);
      loop.advance(stepsPerUpdate);
      await source?.publish(loop.updates);

      // 3. log / evaluate / checkpoint on their intervals
      recent.push(...finished);
      if (recent.length > 200) recent.splice(0, recent.length - 200);
      const sps = loop.sps;
      const line: MetricLine = {
        ...loop.metricLine(),
        [METRIC.sps]: sps,
        [METRIC.agentSps]: sps * shape.agentNames.length,
        [METRIC.policyLoss]: lastStats.policyLoss,
        [METRIC.valueLoss]: lastStats.valueLoss,
        [METRIC.entropy]: lastStats.entropy,
        [METRIC.approxKl]: lastStats.approxKl,
        ...(anchor ? { [METRIC.anchorKl]: lastStats.anchorKl } : {}),
        [METRIC.clipFraction]: lastStats.clipFraction,
        [METRIC.actorGradNorm]: lastStats.actorGradNorm,
        [METRIC.criticGradNorm]: lastStats.criticGradNorm,
        ...rankMetrics(round.reports),
        // CPU time of every thread of this process (all ranks) since the loop started.
        cpu_seconds: cpuSeconds(cpuStart),
        ...source?.metrics(),
      };
      // A frozen actor has no policy loss, entropy or KL of its own this update: leave them out, not 0.
      if (!actorTrains) for (const key of [METRIC.policyLoss, METRIC.entropy, METRIC.approxKl, METRIC.anchorKl, METRIC.clipFraction, METRIC.actorGradNorm]) delete line[key];
      if (finished.length) {
        line[METRIC.episodeReturn] = mean(finished.map((e) => e.teamReturn));
        line[METRIC.episodeLength] = mean(finished.map((e) => e.length));
        line[METRIC.winRate] = finished.filter((e) => e.won).length / finished.length;
      }
      const evalDue = loop.every(config.evalEvery);
      if (evalDue || loop.finished) {
        const result = runEval();
        lastEval = { meanReturn: result.meanReturn, winRate: result.winRate };
        line[METRIC.evalReturn] = result.meanReturn;
        line[METRIC.evalReturnCi95] = result.returnCi95;
        line[METRIC.evalWinRate] = result.winRate;
        line[METRIC.evalLength] = result.meanLength;
        const win = hasWins ? `, win rate ${(100 * result.winRate).toFixed(1)}%` : '';
        loop.say(`eval @ ${loop.steps} steps: return ${result.meanReturn.toFixed(3)} ± ${result.returnCi95.toFixed(3)}${win}, length ${result.meanLength.toFixed(1)}`);
      }
      if (loop.every(config.logEvery) || evalDue || loop.finished) loop.metrics.write(line);
      if (loop.every(config.checkpointEvery)) save();
      loop.show({
        episodeReturn: recent.length ? mean(recent.map((e) => e.teamReturn)) : Number.NaN,
        winRate: recent.length ? recent.filter((e) => e.won).length / recent.length : Number.NaN,
        ...(source ? { detail: source.note() } : ranks.count > 1 ? { detail: rankDetail(round.reports) } : {}),
      });
    }
    save();
    await loop.writeCurve(`MAPPO on ${scenarioName} (seed ${config.seed})`);
  } finally {
    await source?.close();
    loop.close();
    await ranks.close();
    learner.dispose();
    // A learner with its own weights leaves the tfjs net (shapes, exports) to the trainer.
    if (learner.kind !== 'tfjs') net.dispose();
    anchor?.dispose();
  }
  const wallSeconds = loop.elapsedSeconds;
  const trained = loop.steps - loop.startSteps;
  if (loop.stopRequested) log(`stopped by signal at ${loop.steps} env steps; checkpoint saved (resume with --resume --out ${runDir})`);
  log(`trained ${trained} env steps in ${formatSeconds(wallSeconds)} (${(trained / wallSeconds).toFixed(0)} env steps/s); run dir ${runDir}`);
  return {
    runDir,
    backend,
    envSteps: loop.steps,
    updates: loop.updates,
    wallSeconds: loop.wallSeconds,
    agentSamplesPerSecond: (trained * shape.agentNames.length) / wallSeconds,
    lastEval,
    lastStats,
  };
}

/** Where a KL-anchored fine-tune keeps its anchor, so `--resume` anchors to the same actor. */
export const ANCHOR_FILE = 'anchor.ckpt';

/**
 * The frozen anchor of `anchorKl`: the actor --init-from gave, written to the run dir (weights
 * only) on a fresh start and read back from there on --resume.
 */
function loadAnchor(config: TrainConfig, runDir: string, initCheckpoint: Checkpoint | null, resume: boolean, build: () => ActorCritic): ActorCritic {
  const path = join(runDir, ANCHOR_FILE);
  if (!initCheckpoint && !resume) throw new Error(`anchorKl ${config.anchorKl}: needs --init-from (the anchor is the actor a fine-tune starts from)`);
  if (!initCheckpoint && !existsSync(path)) throw new Error(`--resume: anchorKl ${config.anchorKl} anchors to ${path}, which is missing`);
  if (initCheckpoint) saveCheckpoint(path, initCheckpoint, { includeOptimizer: false });
  const anchor = build();
  anchor.setWeights((initCheckpoint ?? readCheckpoint(path)).weights, path);
  return anchor;
}

