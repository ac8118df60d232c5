import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from 'simple-statistics';
import { fromRoot } from '../shared/paths.ts';
import { STUDENT_POLICY_FILE } from '../shared/model-format.ts';
import { loadPolicyFile, AgentPolicyRuntime } from '../agents/runtime/policy-runtime.ts';
import { exportAgents, type ExportAgent } from '../agents/export/export-agent.ts';
import { exportPolicy } from '../agents/export/export-policy.ts';
import { compileHarness, harnessInput } from '../agents/export/c-harness.ts';
import { sampleObservations, type ObservationSample } from '../agents/export/sample-observations.ts';
import { benchRoundTrip, type RoundTripFigure } from './deploy-round-trip.ts';

export type BenchDeployOptions = {
  /** Seconds per timed run of one runtime (three interleaved rounds each). */
  seconds?: number;
  /** Students to time, as models/<name> folders; every one with a student.policy when absent. */
  models?: string[];
  log?: (line: string) => void;
};

export type DeployFigure = {
  model: string;
  agent: string;
  flops: number;
  /** Nanoseconds per greedy decision (median of three rounds); null where that runtime is not available here. */
  cNs: number | null;
  /** The same C built with -DKDMARL_SINGLE_PRECISION (float sums: for FPUs without double). */
  cSingleNs: number | null;
  typedArrayNs: number;
  onnxruntimeWebNs: number | null;
  typedArrayOverC: number | null;
  onnxOverC: number | null;
  notes: string[];
};

/**
 * One decision of each shipped student (its first agent) in three runtimes, on the same 1,000
 * observations from its own greedy episodes: the C export (gcc -O2, timed inside C over many
 * decisions; as exported, and float-only with -DKDMARL_SINGLE_PRECISION), the typed-array runtime (what kdmarl's agent process runs) and onnxruntime-web
 * (wasm, one thread, batch 1, one session.run per decision). Rounds are interleaved so that load
 * on the machine falls on all three alike; compare the ratios. Then `roundTrip`: the Python agent's
 * round trip on loopback beside the Node agent's (bench/deploy-round-trip.ts).
 */
export async function benchDeploy(options: BenchDeployOptions = {}): Promise<{ load: number[]; figures: DeployFigure[]; roundTrip: RoundTripFigure | { skipped: string } }> {
  const seconds = options.seconds ?? 1;
  const log = options.log ?? (() => {});
  const models = options.models ?? readdirSync(fromRoot('models')).filter((m) => existsSync(fromRoot('models', m, STUDENT_POLICY_FILE))).sort();
  const gcc = spawnSync('gcc', ['--version']).status === 0;
  const ort = await loadOrt();
  const figures: DeployFigure[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'kdmarl-bench-deploy-'));
  try {
    for (const model of models) {
      const policy = fromRoot('models', model, STUDENT_POLICY_FILE);
      const file = loadPolicyFile(policy);
      const [agent] = exportAgents(file, policy);
      const sample = sampleObservations(file, agent, 1000, 1);
      const notes: string[] = [];
      const c = gcc ? cTimer(dir, model, policy, agent, sample, false) : null;
      const cSingle = gcc ? cTimer(dir, model, policy, agent, sample, true) : null;
      if (!gcc) notes.push('gcc not found: no C figure');
      const onnx = ort && !agent.recurrent ? await onnxTimer(ort, dir, model, policy, agent, sample) : null;
      if (!ort) notes.push('onnxruntime-web not installed: no ONNX figure');
      if (agent.recurrent) notes.push('recurrent: no ONNX figure (the state would travel through session.run)');
      const typed = typedTimer(file, agent, sample);
      const rounds = { c: [] as number[], cSingle: [] as number[], typed: [] as number[], onnx: [] as number[] };
      for (let round = 0; round < 3; round++) {
        if (c) rounds.c.push(c(seconds / 3));
        if (cSingle) rounds.cSingle.push(cSingle(seconds / 3));
        rounds.typed.push(typed(seconds / 3));
        if (onnx) rounds.onnx.push(await onnx(seconds / 3));
      }
      const cNs = c ? median(rounds.c) : null;
      const cSingleNs = cSingle ? median(rounds.cSingle) : null;
      const typedNs = median(rounds.typed);
      const onnxNs = onnx ? median(rounds.onnx) : null;
      const figure: DeployFigure = {
        model,
        agent: agent.agent,
        flops: agent.flops,
        cNs: cNs === null ? null : round3(cNs),
        cSingleNs: cSingleNs === null ? null : round3(cSingleNs),
        typedArrayNs: round3(typedNs),
        onnxruntimeWebNs: onnxNs === null ? null : round3(onnxNs),
        typedArrayOverC: cNs ? round3(typedNs / cNs) : null,
        onnxOverC: cNs && onnxNs ? round3(onnxNs / cNs) : null,
        notes,
      };
      figures.push(figure);
      log(`deploy ${model} ${agent.agent} (${agent.flops} FLOPs): C -O2 ${fmt(cNs)} (float-only ${fmt(cSingleNs)}), typed-array ${fmt(typedNs)}, onnxruntime-web ${fmt(onnxNs)} per decision${figure.typedArrayOverC ? `; typed-array ${figure.typedArrayOverC}x C, onnxruntime-web ${figure.onnxOverC}x C` : ''}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const roundTrip = await benchRoundTrip(Math.max(seconds * 3, 2), log);
  return { load: loadavg().map((x) => Number(x.toFixed(2))), figures, roundTrip };
}

const round3 = (x: number): number => Number(x.toPrecision(3));
const fmt = (ns: number | null): string => (ns === null ? 'n/a' : ns >= 1000 ? `${(ns / 1000).toPrecision(3)} us` : `${ns.toPrecision(3)} ns`);

/** Compiles the C export once; each call times as many decisions as fill `budget` seconds, inside C. */
function cTimer(dir: string, model: string, policy: string, agent: ExportAgent, sample: ObservationSample, singlePrecision: boolean): (budget: number) => number {
  const out = join(dir, `${model}-c`);
  if (!existsSync(out)) exportPolicy({ policy, format: 'c', out, agent: agent.agent });
  const program = compileHarness(out, agent, 'time', singlePrecision);
  const input = harnessInput(agent, sample.observations, sample.masks, sample.episodeStarts);
  const run = (reps: number): number => {
    const r = spawnSync(program, [String(sample.count), String(reps)], { input, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${program} exited ${r.status}: ${r.stderr}`);
    return Number(r.stdout.split(' ')[0]);
  };
  const probe = run(10_000);
  return (budget) => run(Math.max(10_000, Math.round((budget * 1e9) / Math.max(probe, 1))));
}

/** Where the timed decisions' actions go, so that no engine can drop the work. */
let typedSink = 0;

function typedTimer(file: ReturnType<typeof loadPolicyFile>, agent: ExportAgent, sample: ObservationSample): (budget: number) => number {
  const runtime = new AgentPolicyRuntime(file, agent.agent);
  const obs = agent.observationSize;
  const A = agent.actionCount;
  const views = Array.from({ length: sample.count }, (_, k) => ({ o: sample.observations.subarray(k * obs, (k + 1) * obs), m: sample.masks.subarray(k * A, (k + 1) * A) }));
  const run = (reps: number): number => {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < reps; k++) {
      const v = views[k % views.length];
      typedSink += runtime.actGreedy(v.o, v.m);
    }
    return Number(process.hrtime.bigint() - t0) / reps;
  };
  run(20_000);
  const probe = run(20_000);
  return (budget) => run(Math.max(20_000, Math.round((budget * 1e9) / probe)));
}

type Ort = typeof import('onnxruntime-web');

async function loadOrt(): Promise<Ort | null> {
  try {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.numThreads = 1;
    return ort;
  } catch {
    return null;
  }
}

async function onnxTimer(ort: Ort, dir: string, model: string, policy: string, agent: ExportAgent, sample: ObservationSample): Promise<(budget: number) => Promise<number>> {
  const out = join(dir, `${model}-onnx`);
  exportPolicy({ policy, format: 'onnx', out, agent: agent.agent });
  const session = await ort.InferenceSession.create(join(out, `${agent.ident}.onnx`));
  const obs = agent.observationSize;
  const A = agent.actionCount;
  const feeds = Array.from({ length: sample.count }, (_, k) => ({
    observation: new ort.Tensor('float32', sample.observations.slice(k * obs, (k + 1) * obs), [1, obs]),
    mask: new ort.Tensor('float32', Float32Array.from(sample.masks.subarray(k * A, (k + 1) * A)), [1, A]),
  }));
  const run = async (reps: number): Promise<number> => {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < reps; k++) await session.run(feeds[k % feeds.length]);
    return Number(process.hrtime.bigint() - t0) / reps;
  };
  await run(500);
  const probe = await run(500);
  return (budget) => run(Math.max(500, Math.round((budget * 1e9) / probe)));
}
