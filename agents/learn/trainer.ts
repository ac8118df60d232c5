import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Rng, deriveSeed } from '../../shared/rng.ts';
import { writeFileAtomic } from '../../shared/atomic-write.ts';
import { VecEnv, type EpisodeSummary } from '../../server/env/vec-env.ts';
import { createSimulation, type LoadedScenario, resolveScenario, scenarioHasWins } from '../../server/scenarios/registry.ts';
import type { Simulation } from '../../server/env/simulation.ts';
import { initBackend, type BackendName } from './backend.ts';
import { checkConfig, type TrainConfig } from './config.ts';
import { ActorCritic, type ScenarioShape } from './actor-critic.ts';
import { Adam } from './adam.ts';
import { ValueNorm, IdentityValueNorm } from './value-norm.ts';
import { Collector, FULL_VIEW_SET } from './rollout.ts';
import { ppoUpdate, type PpoStats } from './ppo.ts';
import { CHECKPOINT_FILE, POLICY_FILE, checkShapeMatches, makeCheckpoint, readCheckpoint, saveCheckpoint, writePolicyFile, type Checkpoint } from './checkpoint.ts';
import { METRIC, type MetricLine } from './metrics-log.ts';
import { formatSeconds } from '../run/progress.ts';
import { RunLoop } from '../run/run-loop.ts';
import { prepareRunDir } from '../run/run-dir.ts';
import { continueRunConfig } from '../run/resume.ts';
import { evaluate } from '../eval/evaluate.ts';
import { policyFileAgents } from '../eval/policies.ts';
import { mean } from '../eval/metrics.ts';
import { loadStudentProfile, planStudents, type StudentPlan } from '../distill/student-plan.ts';
import { natsExperience, type ExperienceSource, type NatsOptions } from './nats/learner.ts';

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

export function scenarioShape(sim: Simulation): ScenarioShape {
  return { agentNames: [...sim.agentNames], observationSizes: sim.layouts.map((l) => l.size), actionCounts: [...sim.actionCounts], stateSize: sim.stateSize };
}

/**
 * The actor-critic a config asks for on a scenario: full-view actors (MAPPO), or with actorViews
 * 'student' each agent's own actor on its student view and size (the method's (docs/method.md §5) from-scratch baseline).
 */
export function buildTeacherNet(config: TrainConfig, scenario: LoadedScenario, probe: Simulation): { net: ActorCritic; shape: ScenarioShape; students: StudentPlan[] | null } {
  // actorViews 'student': the method's (docs/method.md §5) from-scratch baseline, each agent's own actor on its student
  // view with its student's size; the centralized critic still sees the state.
  const students = config.actorViews === 'student' ? planStudents(loadStudentProfile(config.studentProfile, scenario.file.name).profile, scenario, probe, config.layerNorm, config.studentProfile) : null;
  const shape = students ? { ...scenarioShape(probe), observationSizes: students.map((p) => p.observationSize) } : scenarioShape(probe);
  const net = new ActorCritic(shape, {
    actorHidden: config.actorHidden,
    criticHidden: config.criticHidden,
    layerNorm: config.layerNorm,
    shareActor: students ? false : config.shareActor,
    denseMode: config.denseMode === 'stock' ? 'stock' : 'custom',
    seed: config.seed,
    recurrent: config.recurrent,
    // An 'agent_state' critic reads full views even beside student-view actors.
    criticInput: config.criticInput,
    criticObservationSizes: probe.layouts.map((l) => l.size),
    ...(students ? { perAgentHidden: students.map((p) => p.hidden), views: students.map((p) => p.view) } : {}),
  });
  return { net, shape, students };
}

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
  const actorOpts = net.actors.map((a) => new Adam(a.variables(), config.lr, config.adamEps));
  const criticOpt = new Adam(net.critic.variables(), config.criticLr, config.adamEps);
  const valueNorm = config.valueNorm ? new ValueNorm() : new IdentityValueNorm();
  const rng = new Rng(deriveSeed(config.seed, 0xac7));
  const start = { steps: 0, updates: 0, wallSeconds: 0 };

  const checkpointPath = prepareRunDir(runDir, { file: CHECKPOINT_FILE, what: 'checkpoint', resume: options.resume });
  let initCheckpoint: Checkpoint | null = null;
  if (options.resume) {
    const ckpt = readCheckpoint(checkpointPath);
    checkShapeMatches(ckpt, shape, checkpointPath);
    if (ckpt.config.recurrent !== config.recurrent) throw new Error(`${checkpointPath}: checkpoint has ${ckpt.config.recurrent ? 'recurrent (GRU)' : 'MLP'} actors, the config asks for ${config.recurrent ? 'recurrent' : 'MLP'} ones (recurrent: ${config.recurrent})`);
    if (ckpt.config.criticInput !== config.criticInput) throw new Error(`${checkpointPath}: checkpoint's critic input is '${ckpt.config.criticInput}', the config asks for '${config.criticInput}' (criticInput cannot change on --resume)`);
    // A resume continues the run as it was configured; only its budget may grow.
    continueRunConfig(ckpt.config, [{ source: 'config', values: config }], runDir);
    net.setWeights(ckpt.weights, checkpointPath);
    if (!ckpt.optimizer) throw new Error(`${checkpointPath}: saved without optimizer state; cannot resume training from it`);
    net.groups.forEach((g, gi) => actorOpts[gi].setState(ckpt.optimizer![`actor/${g.name}`], `${checkpointPath}: optimizer actor/${g.name}`));
    criticOpt.setState(ckpt.optimizer.critic, `${checkpointPath}: optimizer critic`);
    valueNorm.setState(ckpt.valueNorm);
    rng.setState(ckpt.progress.rng);
    Object.assign(start, { steps: ckpt.progress.envSteps, updates: ckpt.progress.updates, wallSeconds: ckpt.progress.wallSeconds });
    log(`resumed ${checkpointPath} at update ${start.updates}, ${start.steps} env steps`);
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
  writeFileAtomic(join(runDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');

  // Env seeds move on with the update counter so a resumed run does not replay the same episodes.
  const vec = new VecEnv(() => createSimulation(scenario), {
    numEnvs: config.numEnvs,
    seed: deriveSeed(config.seed, start.updates + 1),
    // Student actors read the first set; an 'agent_state' critic also needs the full views.
    ...(students ? { viewSets: { student: students.map((p) => p.view), ...(config.criticInput === 'agent_state' ? { [FULL_VIEW_SET]: [] } : {}) } } : {}),
  });
  vec.reset();
  const collector = new Collector(net, vec, config.rolloutLength, config.recurrent ? config.recurrentChunk : 0);
  const stepsPerUpdate = config.rolloutLength * config.numEnvs;
  const hasWins = scenarioHasWins(scenario);
  const loop = new RunLoop({
    label: options.progressLabel ?? 'train', runDir, totalSteps: config.totalSteps, stepsPerUpdate, start,
    maxUpdates: options.maxUpdates, progress: options.progress !== false, hasWins, log,
  });

  let source: ExperienceSource | null = null;
  const recent: EpisodeSummary[] = [];
  let lastEval: TrainResult['lastEval'] = null;
  let lastStats: PpoStats | null = null;

  const snapshot = (): Checkpoint =>
    makeCheckpoint({
      scenarioName,
      shape,
      config,
      net,
      optimizer: Object.fromEntries([...net.groups.map((g, gi) => [`actor/${g.name}`, actorOpts[gi].getState()] as const), ['critic', criticOpt.getState()] as const]),
      valueNorm: valueNorm.getState(),
      progress: { envSteps: loop.steps, updates: loop.updates, wallSeconds: loop.wallSeconds, rng: rng.getState() },
      producedBy: options.producedBy,
      views: students?.map((p) => p.view),
    });
  const save = () => {
    saveCheckpoint(checkpointPath, snapshot(), { includeOptimizer: true });
    writePolicyFile(join(runDir, POLICY_FILE), net.toPolicyFile(scenarioName, options.producedBy, students ? 'scratch' : 'teacher'));
  };
  const runEval = (): { meanReturn: number; winRate: number; returnCi95: number; meanLength: number } => {
    const file = net.toPolicyFile(scenarioName, options.producedBy, students ? 'scratch' : 'teacher');
    const agents = policyFileAgents(file, probe, scenarioName, 'training policy');
    return evaluate(scenario, agents.agents, { episodes: config.evalEpisodes, seed: deriveSeed(config.seed, EVAL_SEED_OFFSET) });
  };

  try {
    if (options.nats) source = await natsExperience(options.nats, { config, scenario, buffer: collector.buffer, policy: () => net.toPolicyFile(scenarioName, options.producedBy, students ? 'scratch' : 'teacher'), version: start.updates, log: (m) => loop.say(m), onStop: (l) => loop.onStop(l) });
    while (await loop.next()) {
      // 1. collect a rollout with the current actors, with GAE targets
      const t0 = performance.now();
      const finished: EpisodeSummary[] = [];
      if (!source) collector.collect(rng, valueNorm, config.gamma, config.gaeLambda, finished);
      else if (await source.fill(finished)) collector.computeTargets(valueNorm, config.gamma, config.gaeLambda);
      else break;
      const t1 = performance.now();
      // 2. PPO epochs over it
      const actorTrains = loop.updates >= config.freezeActorUpdates;
      lastStats = ppoUpdate(net, collector.buffer, valueNorm, actorOpts, criticOpt, config, rng, actorTrains, anchor);
      const t2 = performance.now();
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
        collect_seconds: (t1 - t0) / 1000,
        update_seconds: (t2 - t1) / 1000,
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
        ...(source ? { note: source.note() } : {}),
      });
    }
    save();
    await loop.writeCurve(`MAPPO on ${scenarioName} (seed ${config.seed})`);
  } finally {
    await source?.close();
    loop.close();
    for (const o of actorOpts) o.dispose();
    criticOpt.dispose();
    net.dispose();
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
