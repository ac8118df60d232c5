import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, type TrainConfig } from '../agents/learn/config.ts';
import { train } from '../agents/learn/trainer.ts';

export type BenchTrainOptions = {
  scenario?: string;
  /** Updates to time (after one warm-up update that is not counted). */
  updates?: number;
  /** Config overrides (hidden sizes, envs, epochs, denseMode ...). */
  config?: Partial<TrainConfig>;
  /** Also time the stock tfjs dense gradient and report the ratio (default true). */
  compareStock?: boolean;
  log?: (line: string) => void;
};

/**
 * End-to-end training throughput: agent-samples (env steps x agents) per second of collect +
 * PPO update, the way `kdmarl train` runs, on the backend it picks. No evaluation, no checkpoints
 * inside the timed part.
 */
export async function benchTrain(options: BenchTrainOptions = {}): Promise<Record<string, unknown>> {
  const custom = await timeTraining({ ...options, config: { denseMode: 'custom', ...options.config } });
  options.log?.(`train ${custom.scenario} [${String(custom.actorHidden)}] ${custom.backend}/${custom.denseMode}: ${custom.agentSamplesPerSecond} agent-samples/s end to end`);
  if (options.compareStock === false) return custom;
  const stock = await timeTraining({ ...options, config: { ...options.config, denseMode: 'stock' } });
  const speedup = Number(custom.agentSamplesPerSecond) / Number(stock.agentSamplesPerSecond);
  options.log?.(`train ${stock.scenario} [${String(stock.actorHidden)}] ${stock.backend}/stock: ${stock.agentSamplesPerSecond} agent-samples/s; custom dense gradient ${speedup.toFixed(1)}x faster`);
  return { ...custom, stockAgentSamplesPerSecond: stock.agentSamplesPerSecond, customOverStock: Number(speedup.toFixed(2)) };
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
