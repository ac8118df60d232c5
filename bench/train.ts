import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, type TrainConfig } from '../agents/learn/config.ts';
import { scenarioShape, train } from '../agents/learn/trainer.ts';
import { ActorCritic } from '../agents/learn/actor-critic.ts';
import { Adam } from '../agents/learn/adam.ts';
import { LOCAL_SUM } from '../agents/learn/all-sum.ts';
import { initBackend } from '../agents/learn/backend.ts';
import { FastLearner } from '../agents/learn/fast/fast-learner.ts';
import { fastLearnerAvailable, nativeKernels } from '../agents/learn/fast/native.ts';
import { ppoUpdate } from '../agents/learn/ppo.ts';
import { Collector } from '../agents/learn/rollout.ts';
import { ValueNorm } from '../agents/learn/value-norm.ts';
import { VecEnv } from '../server/env/vec-env.ts';
import { createSimulation } from '../server/scenarios/registry.ts';
import { fromRoot } from '../shared/paths.ts';
import { Rng } from '../shared/rng.ts';
import { benchTrainParallel } from './train-parallel.ts';

export type BenchTrainOptions = {
  scenario?: string;
  /** Updates to time (after one warm-up update that is not counted). */
  updates?: number;
  /** Config overrides (hidden sizes, envs, epochs, denseMode ...). */
  config?: Partial<TrainConfig>;
  /** Also time the stock tfjs dense gradient and report the ratio (default false). */
  compareStock?: boolean;
  log?: (line: string) => void;
};

/**
 * End-to-end training throughput, then the learner alone against PyTorch (benchLearner).
 */
export async function benchTrain(options: BenchTrainOptions = {}): Promise<Record<string, unknown>> {
  const endToEnd = await benchEndToEnd(options);
  const learner = await benchLearner({ log: options.log });
  return { ...endToEnd, learner };
}

/**
 * End-to-end training throughput: agent-samples (env steps x agents) per second of collect +
 * PPO update, the way `kdmarl train` runs, without evaluation or checkpoints in the timed part:
 * in one thread with the tfjs learner and with the native one, then every core (`--workers`
 * default) against one thread, interleaved (bench/train-parallel.ts).
 */
export async function benchEndToEnd(options: BenchTrainOptions = {}): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const line = (r: Record<string, unknown>) => options.log?.(`train ${r.scenario} [${String(r.actorHidden)}] ${r.learner === 'native' ? 'native learner' : `tfjs learner (${r.backend}/${r.denseMode})`}, one thread: ${r.agentSamplesPerSecond} agent-samples/s end to end`);
  const tfjs = await timeTraining({ ...options, config: { denseMode: 'custom', ...options.config, learner: 'tfjs', workers: 0 } });
  line(tfjs);
  out.tfjs = tfjs;
  if (options.compareStock) {
    const stock = await timeTraining({ ...options, config: { ...options.config, denseMode: 'stock', learner: 'tfjs', workers: 0 } });
    const speedup = Number(tfjs.agentSamplesPerSecond) / Number(stock.agentSamplesPerSecond);
    options.log?.(`train ${stock.scenario} [${String(stock.actorHidden)}] ${stock.backend}/stock: ${stock.agentSamplesPerSecond} agent-samples/s; custom dense gradient ${speedup.toFixed(1)}x faster`);
    out.stock = stock;
  }
  const unavailable = fastLearnerAvailable();
  if (unavailable) {
    options.log?.(`train native learner: ${unavailable}`);
  } else {
    const native = await timeTraining({ ...options, config: { ...options.config, learner: 'native', workers: 0 } });
    line(native);
    options.log?.(`train native over tfjs, one thread: ${(Number(native.agentSamplesPerSecond) / Number(tfjs.agentSamplesPerSecond)).toFixed(2)}x`);
    out.native = native;
  }
  out.parallel = await benchTrainParallel({ scenario: options.scenario, config: { ...options.config, learner: unavailable ? 'tfjs' : 'native' }, log: options.log });
  return out;
}

async function timeTraining(options: BenchTrainOptions): Promise<Record<string, unknown>> {
  const scenario = options.scenario ?? 'spread';
  const updates = options.updates ?? 5;
  const base = resolveConfig(scenario, {}, { actorHidden: [64, 64], criticHidden: [64, 64], ...options.config });
  const config: TrainConfig = { ...base, totalSteps: Number.MAX_SAFE_INTEGER, evalEvery: 0, checkpointEvery: 1_000_000, logEvery: 1_000_000 };
  const dir = mkdtempSync(join(tmpdir(), 'kdmarl-bench-train-'));
  try {
    const quiet = () => {};
    await train({ config, runDir: join(dir, 'warmup'), resume: false, producedBy: 'bench', progress: false, maxUpdates: 1, log: quiet });
    const result = await train({ config, runDir: join(dir, 'timed'), resume: false, producedBy: 'bench', progress: false, maxUpdates: updates, log: quiet });
    return {
      name: 'train',
      scenario,
      backend: result.backend,
      learner: config.learner,
      denseMode: config.denseMode,
      actorHidden: config.actorHidden,
      criticHidden: config.criticHidden,
      numEnvs: config.numEnvs,
      rolloutLength: config.rolloutLength,
      epochs: config.epochs,
      updates,
      envSteps: result.envSteps,
      seconds: Number(result.wallSeconds.toFixed(2)),
      agentSamplesPerSecond: Math.round(result.agentSamplesPerSecond),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export type BenchLearnerOptions = {
  /** Hidden widths to measure (both nets, two layers each); default 64 and 256. */
  hidden?: readonly number[];
  /** Interleaved rounds of (tfjs, native, torch) per width; default 2. */
  rounds?: number;
  /** Updates timed per learner per round (after one untimed warm-up); default 2. */
  updates?: number;
  log?: (line: string) => void;
};

/** Agent-samples per second of wall time and per CPU second of the process that ran them. */
type Rate = { wall: number; cpu: number };
type LearnerFigure = { round: number; tfjs: Rate; native: Rate | null; torch: Rate | null; torchSameCore: Rate | null };

/**
 * The PPO learner alone on the PyTorch reference's work (spread, 64 envs x 25 steps x 3 agents,
 * 10 epochs of one full-batch minibatch, both nets [H, H] with LayerNorm): tfjs ppoUpdate, the
 * native FastLearner and, when /usr/bin/python3 has torch, bench/torch_learner_reference.py on
 * one thread, run interleaved so a shared machine's load falls on all of them alike; per CPU
 * second as well as per wall second, since CPU time is what a loaded machine distorts least.
 * Torch runs twice: with OpenBLAS' own core detection (the reference's setting) and on the core
 * the native learner uses.
 */
export async function benchLearner(options: BenchLearnerOptions = {}): Promise<Record<string, unknown>> {
  const log = options.log ?? (() => {});
  const backend = await initBackend();
  const unavailable = fastLearnerAvailable();
  if (unavailable) log(`learner native: ${unavailable}`);
  const torch = torchAvailable();
  if (!torch) log(`learner torch reference: skipped (${TORCH_PYTHON} cannot import torch; Debian: apt-get install python3-torch libopenblas0-openmp)`);
  const core = unavailable ? null : nativeKernels().blasCore;
  const rounds = options.rounds ?? 2;
  const updates = options.updates ?? 2;
  const out: Record<string, unknown> = { backend, blasCore: core };
  for (const hidden of options.hidden ?? [64, 256]) {
    const work = learnerWork(hidden);
    const samples = work.collector.buffer.steps * work.collector.buffer.columns;
    const figures: LearnerFigure[] = [];
    for (let round = 0; round < rounds; round++) {
      const tfjs = timeUpdates(updates, samples, () => ppoUpdate(work.net, work.collector.buffer, work.tfjsNorm, work.actorOpts, work.criticOpt, work.config, work.rng));
      const native = work.fast ? timeUpdates(updates, samples, () => work.fast!.update(work.collector.buffer, work.nativeNorm, work.config, work.rng, { updateActor: true, allSum: LOCAL_SUM })) : null;
      const torchDefault = torch ? runTorch(hidden, updates, null) : null;
      const torchSameCore = torch && core ? runTorch(hidden, updates, core) : null;
      const figure: LearnerFigure = { round, tfjs, native, torch: torchDefault?.rate ?? null, torchSameCore: torchSameCore?.rate ?? null };
      figures.push(figure);
      const parts = [`tfjs/${backend} ${rate(tfjs)}`];
      if (native) parts.push(`native (OpenBLAS ${core}) ${rate(native)}`);
      if (torchDefault) parts.push(`torch ${torchDefault.version} (OpenBLAS ${torchDefault.blasCore}) ${rate(torchDefault.rate)}`);
      if (torchSameCore) parts.push(`torch (OpenBLAS ${torchSameCore.blasCore}) ${rate(torchSameCore.rate)}`);
      const ratios: string[] = [];
      if (native) ratios.push(`native/tfjs ${ratio(native, tfjs)}`);
      if (native && torchDefault) ratios.push(`native/torch ${ratio(native, torchDefault.rate)}`);
      if (native && torchSameCore) ratios.push(`native/torch on ${torchSameCore.blasCore} ${ratio(native, torchSameCore.rate)}`);
      log(`learner spread [${hidden}, ${hidden}] ${samples} agent-samples x ${work.config.epochs} epochs, round ${round + 1}, agent-samples/s (wall | per CPU second): ${parts.join(', ')}; ${ratios.join(', ')}`);
    }
    out[`hidden${hidden}`] = figures;
    work.dispose();
  }
  return out;
}

function rate(r: Rate): string {
  return `${(r.wall / 1000).toFixed(1)}k | ${(r.cpu / 1000).toFixed(1)}k`;
}

function ratio(a: Rate, b: Rate): string {
  return `${(a.wall / b.wall).toFixed(2)}x | ${(a.cpu / b.cpu).toFixed(2)}x`;
}

function timeUpdates(updates: number, samples: number, update: () => unknown): Rate {
  update();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < updates; i++) update();
  const wall = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu0);
  const cpu = (used.user + used.system) / 1e6;
  return { wall: Math.round((updates * samples) / wall), cpu: Math.round((updates * samples) / cpu) };
}

/** The reference's shapes on the real spread env: one collected rollout that every timed update reuses. */
function learnerWork(hidden: number) {
  const config = resolveConfig('spread', {}, { actorHidden: [hidden, hidden], criticHidden: [hidden, hidden], numEnvs: 64, rolloutLength: 25, epochs: 10, minibatches: 1, layerNorm: true, shareActor: true });
  const probe = createSimulation('spread');
  const vec = new VecEnv(() => createSimulation('spread'), { numEnvs: config.numEnvs, seed: 1 });
  vec.reset();
  const net = new ActorCritic(scenarioShape(probe), { ...config, denseMode: 'custom' });
  const collector = new Collector(net, vec, config.rolloutLength);
  const rng = new Rng(1);
  collector.collect(rng, new ValueNorm(), config.gamma, config.gaeLambda, []);
  const actorOpts = net.actors.map((a) => new Adam(a.variables(), config.lr, config.adamEps));
  const criticOpt = new Adam(net.critic.variables(), config.criticLr, config.adamEps);
  const fast = fastLearnerAvailable() === null ? new FastLearner(net, config) : null;
  return {
    config, net, collector, rng, actorOpts, criticOpt, fast, tfjsNorm: new ValueNorm(), nativeNorm: new ValueNorm(),
    dispose: () => {
      for (const o of actorOpts) o.dispose();
      criticOpt.dispose();
      net.dispose();
      fast?.dispose();
    },
  };
}

const TORCH_PYTHON = '/usr/bin/python3';

function torchAvailable(): boolean {
  return existsSync(TORCH_PYTHON) && spawnSync(TORCH_PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

type TorchFigure = { version: string; blasCore: string; rate: Rate };

/** The torch reference on one thread; `core` null leaves OpenBLAS' core detection alone, as the reference's header runs it. */
function runTorch(hidden: number, updates: number, core: string | null): TorchFigure | null {
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_NUM_THREADS: '1' };
  delete env.OPENBLAS_L2_SIZE;
  delete env.OPENBLAS_CORETYPE;
  if (core) env.OPENBLAS_CORETYPE = core;
  const run = spawnSync(TORCH_PYTHON, [fromRoot('bench', 'torch_learner_reference.py'), String(hidden), String(updates)], { env, encoding: 'utf8' });
  if (run.status !== 0) return null;
  const line = JSON.parse(run.stdout.trim().split('\n').pop()!) as { torch: string; blasCore: string; learnerSamplesPerSecond: number; learnerSamplesPerCpuSecond: number };
  return { version: line.torch, blasCore: line.blasCore, rate: { wall: line.learnerSamplesPerSecond, cpu: line.learnerSamplesPerCpuSecond } };
}
