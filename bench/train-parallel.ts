import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultWorkers, resolveConfig, type TrainConfig } from '../agents/learn/config.ts';
import { train } from '../agents/learn/trainer.ts';
import { isMainModule } from '../shared/main-module.ts';

export type BenchTrainParallelOptions = {
  scenario?: string;
  /** Updates timed per run, after one warm-up update of the same run that is not counted. */
  updates?: number;
  /** Runs of each worker count, interleaved (0, N, 0, N ...). */
  rounds?: number;
  /** The parallel figure's worker count (default: every core but one, as `kdmarl train`). */
  workers?: number;
  /** Config overrides (default: the bench's 2 x 64 nets on the scenario's defaults). */
  config?: Partial<TrainConfig>;
  log?: (line: string) => void;
};

/**
 * End-to-end training throughput with `--workers 0` and with `--workers N`, run for run in turn
 * so that both see the same machine load: agent-samples (env steps x agents) per second over the
 * updates after each run's first (worker threads warm their kernels in it), and the ratio.
 */
export async function benchTrainParallel(options: BenchTrainParallelOptions = {}): Promise<Record<string, unknown>> {
  const scenario = options.scenario ?? 'spread';
  const updates = options.updates ?? 5;
  const rounds = options.rounds ?? 2;
  const workers = options.workers ?? defaultWorkers();
  const base = resolveConfig(scenario, {}, { actorHidden: [64, 64], criticHidden: [64, 64], ...options.config });
  const config: TrainConfig = { ...base, totalSteps: Number.MAX_SAFE_INTEGER, evalEvery: 0, checkpointEvery: 1_000_000, logEvery: 1 };
  const dir = mkdtempSync(join(tmpdir(), 'kdmarl-bench-parallel-'));
  const single: number[] = [];
  const parallel: number[] = [];
  /** CPU seconds (all threads) per 1,000 agent-samples over the same updates. */
  const cpu: Record<'single' | 'parallel', number[]> = { single: [], parallel: [] };
  try {
    for (let round = 0; round < rounds; round++) {
      for (const w of [0, workers]) {
        const runDir = join(dir, `r${round}-w${w}`);
        await train({ config: { ...config, workers: w }, runDir, resume: false, producedBy: 'bench', progress: false, maxUpdates: updates + 1, log: () => {} });
        const steady = steadyWindow(runDir, config);
        (w === 0 ? single : parallel).push(steady.agentSamplesPerSecond);
        cpu[w === 0 ? 'single' : 'parallel'].push(steady.cpuPerThousand);
        options.log?.(`train ${scenario} [${String(config.actorHidden)}] workers ${w} (round ${round + 1}/${rounds}): ${Math.round(steady.agentSamplesPerSecond)} agent-samples/s end to end, ${steady.cpuPerThousand.toFixed(3)} CPU s per 1k agent-samples`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const ratios = single.map((s, i) => parallel[i] / s);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  options.log?.(`train ${scenario} workers ${workers} over workers 0: ${ratios.map((r) => r.toFixed(2)).join(', ')} (mean ${mean(ratios).toFixed(2)}x)`);
  return {
    name: 'train-parallel',
    scenario,
    actorHidden: config.actorHidden,
    numEnvs: config.numEnvs,
    rolloutLength: config.rolloutLength,
    epochs: config.epochs,
    workers,
    updates,
    singleAgentSamplesPerSecond: single.map(Math.round),
    parallelAgentSamplesPerSecond: parallel.map(Math.round),
    parallelOverSingle: ratios.map((r) => Number(r.toFixed(2))),
    meanParallelOverSingle: Number(mean(ratios).toFixed(2)),
    singleCpuSecondsPer1k: cpu.single.map((c) => Number(c.toFixed(3))),
    parallelCpuSecondsPer1k: cpu.parallel.map((c) => Number(c.toFixed(3))),
  };
}

/**
 * Agent-samples/s, and CPU seconds (every thread) per 1,000 agent-samples, from metrics.jsonl
 * between the end of the first update and the end of the last.
 */
function steadyWindow(runDir: string, config: TrainConfig): { agentSamplesPerSecond: number; cpuPerThousand: number } {
  const lines = readFileSync(join(runDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { global_step: number; wall_seconds: number; cpu_seconds: number; 'charts/agent_SPS': number; 'charts/SPS': number });
  const first = lines[0];
  const last = lines[lines.length - 1];
  const agents = first['charts/agent_SPS'] / first['charts/SPS'];
  if (lines.length < 2) throw new Error(`${runDir}: ${lines.length} metrics line(s); the bench needs two or more updates (numEnvs ${config.numEnvs})`);
  const samples = (last.global_step - first.global_step) * agents;
  return { agentSamplesPerSecond: samples / (last.wall_seconds - first.wall_seconds), cpuPerThousand: (1000 * (last.cpu_seconds - first.cpu_seconds)) / samples };
}

if (isMainModule(import.meta.url)) {
  const rounds = Number(process.argv[2] ?? 2);
  const workers = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  const updates = process.argv[4] === undefined ? undefined : Number(process.argv[4]);
  benchTrainParallel({ rounds, workers, updates, log: (line) => console.log(line) }).then(
    (r) => console.log(JSON.stringify(r)),
    (error: unknown) => {
      console.error(`bench train-parallel: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
