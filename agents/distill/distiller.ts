import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { decode, encode } from '../../shared/codec.ts';
import { writeFileAtomic } from '../../shared/atomic-write.ts';
import { Rng, deriveSeed } from '../../shared/rng.ts';
import { describeZodError } from '../../shared/zod-error.ts';
import { VecEnv, type EpisodeSummary } from '../../server/env/vec-env.ts';
import { createSimulation, resolveScenario } from '../../server/scenarios/registry.ts';
import { initBackend } from '../learn/backend.ts';
import { Adam } from '../learn/adam.ts';
import { computeGae } from '../learn/gae.ts';
import { sampleMasked } from '../learn/sampling.ts';
import { METRIC, MetricsLog } from '../learn/metrics-log.ts';
import { TrainProgress } from '../learn/progress.ts';
import { writeCurve } from '../learn/plot.ts';
import { writePolicyFile } from '../learn/checkpoint.ts';
import { evaluate, type EvaluationResult } from '../eval/evaluate.ts';
import { policyFileAgents } from '../eval/policies.ts';
import type { DistillConfig } from './config.ts';
import { loadFrozenTeacher } from './frozen-teacher.ts';
import { assignKMeans, fitKMeans } from './kmeans.ts';
import { compositeLoss, disposeTensors, readParts, relationMatricesPlain, toTensors, type AgentBatch, type DistillBatch, type LossParts } from './losses.ts';
import { loadStudentProfile, planStudents, type StudentPlan } from './student-plan.ts';
import { StudentTeam } from './student-team.ts';

export const DISTILL_CHECKPOINT = 'distill.ckpt';
export const STUDENT_POLICY = 'students.policy';

export type DistillOptions = {
  config: DistillConfig;
  teacher: string;
  students: string;
  runDir: string;
  resume: boolean;
  producedBy: string;
  progress?: boolean;
  log?: (message: string) => void;
};

export type DistillResult = { runDir: string; policyPath: string; plans: StudentPlan[]; envSteps: number; updates: number; lastEval: EvaluationResult | null; stopped: boolean };

const f32 = z.custom<Float32Array>((v) => v instanceof Float32Array, 'expected a Float32Array');
const distillCheckpointSchema = z.strictObject({
  format: z.literal('kdmarl-distill-checkpoint'),
  version: z.literal(1),
  scenario: z.string(),
  teacher: z.string(),
  weights: z.record(z.string(), z.array(f32)),
  optimizer: z.strictObject({ step: z.number().int(), m: z.array(f32), v: z.array(f32) }),
  centroids: f32.nullable(),
  progress: z.strictObject({ envSteps: z.number().int(), updates: z.number().int(), wallSeconds: z.number(), rng: z.tuple([z.number(), z.number(), z.number(), z.number()]) }),
});

/**
 * Stage 2 of METHOD.md: the frozen teacher supervises heterogeneous students that act in the
 * envs through their own limited views. collect (students act) -> teacher targets (logits, hidden
 * states, critic values) -> teacher-guided GAE -> composite loss for `epochs` passes -> log /
 * checkpoint / evaluate the exported students.
 */
export async function distill(options: DistillOptions): Promise<DistillResult> {
  const { config, runDir } = options;
  const log = options.log ?? ((m: string) => process.stderr.write(m + '\n'));

  // Everything that can be wrong with the inputs is checked before any tfjs work.
  const scenario = resolveScenario(config.scenario);
  const scenarioName = scenario.file.name;
  const probe = createSimulation(scenario);
  const { profile, path: profilePath } = loadStudentProfile(options.students, scenarioName);
  const plans = planStudents(profile, scenario, probe, config.layerNorm, profilePath);
  const shape = { agentNames: probe.agentNames, observationSizes: probe.layouts.map((l) => l.size), actionCounts: probe.actionCounts, stateSize: probe.stateSize };

  const backend = await initBackend(config.backend === 'auto' ? undefined : config.backend);
  log(`tfjs backend: ${backend}`);
  const teacher = loadFrozenTeacher(options.teacher, shape, scenarioName);
  log(`teacher ${teacher.path}: actor ${teacher.checkpoint.config.actorHidden.join('x')}, frozen`);
  for (const p of plans) log(`student ${p.agent} (${p.type}): view ${p.observationSize} -> [${p.hidden.join(', ')}] -> ${p.actionCount}, ${p.flops} FLOPs/decision${p.caps.flops ? ` (cap ${p.caps.flops})` : ''}`);

  const N = probe.agentNames.length;
  const types = [...new Set(plans.map((p) => p.type))];
  if (config.roles === 'type' && types.length > config.numRoles) {
    throw new Error(`config: roles 'type' needs numRoles >= ${types.length} (types: ${types.join(', ')})`);
  }
  const team = new StudentTeam(plans, { layerNorm: config.layerNorm, projectionWidth: config.projectionWidth, numRoles: config.numRoles, seed: config.seed });
  const heads = { projections: config.wSr > 0 && config.srEmbedding === 'projection' && N >= 3, roles: config.wRa > 0 };
  const adam = new Adam(team.variables(heads), config.lr, config.adamEps);
  const rng = new Rng(deriveSeed(config.seed, 0xd157));
  let centroids: Float32Array | null = null;
  let envSteps = 0;
  let updates = 0;
  let wallBefore = 0;

  mkdirSync(runDir, { recursive: true });
  const checkpointPath = join(runDir, DISTILL_CHECKPOINT);
  const metrics = new MetricsLog(join(runDir, 'metrics.jsonl'));
  if (options.resume) {
    if (!existsSync(checkpointPath)) throw new Error(`--resume: no distillation checkpoint at ${checkpointPath}`);
    const ckpt = readDistillCheckpoint(checkpointPath);
    if (ckpt.scenario !== scenarioName) throw new Error(`${checkpointPath}: students of scenario '${ckpt.scenario}', not '${scenarioName}'`);
    team.setWeights(ckpt.weights, checkpointPath);
    adam.setState(ckpt.optimizer, `${checkpointPath}: optimizer`);
    centroids = ckpt.centroids;
    rng.setState(ckpt.progress.rng);
    ({ envSteps, updates, wallSeconds: wallBefore } = ckpt.progress);
    metrics.truncateAfter(updates);
    log(`resumed ${checkpointPath} at update ${updates}, ${envSteps} env steps`);
  }
  writeFileAtomic(join(runDir, 'config.json'), JSON.stringify({ ...config, teacher: options.teacher, students: profilePath, plans }, null, 2) + '\n');

  const E = config.numEnvs;
  const T = config.rolloutLength;
  const rows = T * E;
  const vec = new VecEnv(() => createSimulation(scenario), {
    numEnvs: E,
    seed: deriveSeed(config.seed, updates + 1),
    viewSets: { teacher: [], student: plans.map((p) => p.view) },
  });
  vec.reset();

  // Rollout storage, row = t * E + e.
  const studentObs = plans.map((p) => new Float32Array(rows * p.observationSize));
  const teacherObs = shape.observationSizes.map((size) => new Float32Array(rows * size));
  const masks = plans.map((p) => new Uint8Array(rows * p.actionCount));
  const actions = plans.map(() => new Int32Array(rows));
  const logp = plans.map(() => new Float32Array(rows));
  const active = plans.map(() => new Uint8Array(rows));
  const states = new Float32Array(rows * shape.stateSize);
  const finalStates = new Float32Array(rows * shape.stateSize);
  const rewards = new Float32Array(rows * N);
  const terminated = new Uint8Array(rows * N);
  const episodeEnd = new Uint8Array(rows * N);
  const truncatedRows = new Uint8Array(rows);
  const stepActions = new Int32Array(E * N);
  const stepLogp = new Float32Array(E);

  const progress = options.progress === false ? null : new TrainProgress(config.totalSteps, envSteps);
  const say = (m: string) => (progress ? progress.log(m) : log(m));
  let stopRequested = false;
  const onSignal = () => {
    stopRequested = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const recent: EpisodeSummary[] = [];
  let lastEval: EvaluationResult | null = null;
  const started = performance.now();
  const startSteps = envSteps;
  const policyPath = join(runDir, STUDENT_POLICY);

  const saveCheckpoint = () => {
    const data = {
      format: 'kdmarl-distill-checkpoint',
      version: 1,
      scenario: scenarioName,
      teacher: options.teacher,
      weights: team.getWeights(),
      optimizer: adam.getState(),
      centroids,
      progress: { envSteps, updates, wallSeconds: wallBefore + (performance.now() - started) / 1000, rng: rng.getState() },
    };
    writeFileAtomic(checkpointPath, encode(data));
    writePolicyFile(policyPath, team.toPolicyFile(scenarioName, options.producedBy));
  };

  try {
    while (envSteps < config.totalSteps && !stopRequested) {
      // 1. collect: the students act through their own views
      for (let t = 0; t < T; t++) {
        states.set(vec.states, t * E * shape.stateSize);
        for (let a = 0; a < N; a++) {
          const p = plans[a];
          const obs = vec.obs.student[a];
          const logits = team.logits(a, obs, E);
          for (let e = 0; e < E; e++) {
            const row = t * E + e;
            const action = sampleMasked(logits, vec.masks[a], e, p.actionCount, rng.uniform(), stepLogp, e);
            stepActions[e * N + a] = action;
            actions[a][row] = action;
            logp[a][row] = stepLogp[e];
            active[a][row] = vec.alive[e * N + a];
          }
          studentObs[a].set(obs, t * E * p.observationSize);
          teacherObs[a].set(vec.obs.teacher[a], t * E * shape.observationSizes[a]);
          masks[a].set(vec.masks[a], t * E * p.actionCount);
        }
        vec.step(stepActions);
        for (let e = 0; e < E; e++) {
          const row = t * E + e;
          const ended = vec.terminated[e] === 1 || vec.truncated[e] === 1 ? 1 : 0;
          truncatedRows[row] = vec.truncated[e];
          if (vec.truncated[e] === 1) finalStates.set(vec.finalStates.subarray(e * shape.stateSize, (e + 1) * shape.stateSize), row * shape.stateSize);
          for (let a = 0; a < N; a++) {
            rewards[row * N + a] = vec.rewards[e * N + a];
            terminated[row * N + a] = vec.terminated[e];
            episodeEnd[row * N + a] = ended;
          }
        }
        recent.push(...vec.finished);
      }
      envSteps += rows;

      // 2. the frozen teacher's targets on the same steps
      const teacherLogits: Float32Array[] = [];
      const teacherHidden: Float32Array[] = [];
      for (let a = 0; a < N; a++) {
        teacherLogits.push(teacher.logits(a, teacherObs[a], rows));
        if (config.wSr > 0 || (config.wRa > 0 && config.roles === 'kmeans')) teacherHidden.push(teacher.hidden(a, teacherObs[a], rows));
      }

      // 3. teacher-guided GAE: delta = r + gamma V_T(s') (1 - terminated) - V_T(s), no student critic
      const advantages = plans.map(() => new Float32Array(rows));
      if (config.teacherGae && config.wPg > 0) {
        const values = new Float32Array(rows * N);
        const nextValues = new Float32Array(rows * N);
        const bootstrap = Float32Array.from(vec.states);
        for (let a = 0; a < N; a++) {
          const v = teacher.values(a, states, rows);
          const vFinal = teacher.values(a, finalStates, rows);
          const vBoot = teacher.values(a, bootstrap, E);
          for (let row = 0; row < rows; row++) {
            values[row * N + a] = v[row];
            const e = row % E;
            const t = (row - e) / E;
            if (truncatedRows[row] === 1) nextValues[row * N + a] = vFinal[row];
            else if (t + 1 < T) nextValues[row * N + a] = v[row + E];
            else nextValues[row * N + a] = vBoot[e];
          }
        }
        const adv = new Float32Array(rows * N);
        const returns = new Float32Array(rows * N);
        computeGae({ steps: T, columns: E * N, rewards, values, nextValues, terminated, episodeEnd, gamma: config.gamma, lambda: config.gaeLambda }, adv, returns);
        let sum = 0;
        let sumSq = 0;
        let count = 0;
        for (let row = 0; row < rows; row++) {
          for (let a = 0; a < N; a++) {
            if (active[a][row] === 0) continue;
            const x = adv[row * N + a];
            sum += x;
            sumSq += x * x;
            count++;
          }
        }
        const mean = count ? sum / count : 0;
        const std = Math.sqrt(Math.max(count ? sumSq / count - mean * mean : 1, 0)) + 1e-8;
        for (let row = 0; row < rows; row++) for (let a = 0; a < N; a++) advantages[a][row] = (adv[row * N + a] - mean) / std;
      }

      // 4. roles and relation targets from the teacher's hidden states
      const roles = plans.map(() => new Int32Array(rows));
      if (config.wRa > 0) {
        if (config.roles === 'type') {
          plans.forEach((p, a) => roles[a].fill(types.indexOf(p.type)));
        } else {
          if (!centroids) centroids = fitKMeans(sampleRows(teacherHidden, active, teacher.hiddenSize, 4096, rng), teacher.hiddenSize, config.numRoles, rng);
          for (let a = 0; a < N; a++) assignKMeans(teacherHidden[a], teacher.hiddenSize, centroids, config.numRoles, roles[a]);
        }
      }
      const relationTarget = new Float32Array(rows * N * N);
      const pairMask = new Float32Array(rows * N * N);
      if (config.wSr > 0) {
        relationMatricesPlain(teacherHidden, teacher.hiddenSize, rows, (row, a) => active[a][row] === 1, relationTarget, pairMask);
      }

      const batch: DistillBatch = {
        rows,
        agents: plans.map(
          (_, a): AgentBatch => ({
            observations: studentObs[a],
            masks: masks[a],
            actions: actions[a],
            oldLogp: logp[a],
            advantages: advantages[a],
            active: active[a],
            teacherLogits: teacherLogits[a],
            roles: roles[a],
          }),
        ),
        relationTarget,
        pairMask,
      };

      // 5. the composite loss, `epochs` passes over minibatches of time steps
      const settings = { ...config, wPg: config.teacherGae ? config.wPg : 0 };
      let last: LossParts | null = null;
      let gradNorm = 0;
      for (let epoch = 0; epoch < config.epochs; epoch++) {
        const order = shuffled(rows, rng);
        const size = Math.ceil(rows / config.minibatches);
        for (let m = 0; m < config.minibatches; m++) {
          const index = order.subarray(m * size, Math.min(rows, (m + 1) * size));
          if (index.length === 0) continue;
          const tensors = toTensors(batch, team, settings, index);
          const parts: tf.Scalar[] = [];
          const result = adam.minimize(() => compositeLoss(team, tensors, settings, parts), config.maxGradNorm);
          gradNorm = result.gradNorm;
          last = readParts(parts, result.loss);
          disposeTensors(tensors);
        }
      }
      updates++;

      // 6. log, checkpoint, evaluate
      if (recent.length > 200) recent.splice(0, recent.length - 200);
      const window = recent;
      const meanReturn = window.length ? window.reduce((s, e) => s + e.teamReturn, 0) / window.length : Number.NaN;
      const winRate = window.length ? window.filter((e) => e.won).length / window.length : Number.NaN;
      const sps = (envSteps - startSteps) / ((performance.now() - started) / 1000);
      const line: Record<string, number> = {
        global_step: envSteps,
        update: updates,
        wall_seconds: wallBefore + (performance.now() - started) / 1000,
        [METRIC.episodeReturn]: meanReturn,
        [METRIC.winRate]: winRate,
        [METRIC.sps]: sps,
        'losses/total': last?.total ?? Number.NaN,
        'losses/pg': last?.pg ?? Number.NaN,
        'losses/kl': last?.kl ?? Number.NaN,
        'losses/ce': last?.ce ?? Number.NaN,
        'losses/sr': last?.sr ?? Number.NaN,
        'losses/ra': last?.ra ?? Number.NaN,
        [METRIC.entropy]: last?.entropy ?? Number.NaN,
        'charts/teacher_agreement': last?.agreement ?? Number.NaN,
        'losses/grad_norm': gradNorm,
      };
      const isLast = envSteps >= config.totalSteps || stopRequested;
      if ((config.evalEvery > 0 && updates % config.evalEvery === 0) || isLast) {
        lastEval = evaluateStudents(team, scenarioName, options.producedBy, config);
        line[METRIC.evalReturn] = lastEval.meanReturn;
        line[METRIC.evalReturnCi95] = lastEval.returnCi95;
        line[METRIC.evalWinRate] = lastEval.winRate;
        say(`update ${updates}: eval return ${lastEval.meanReturn.toFixed(3)} ± ${lastEval.returnCi95.toFixed(3)}, win rate ${(100 * lastEval.winRate).toFixed(1)}%, teacher agreement ${(100 * (last?.agreement ?? 0)).toFixed(1)}%`);
      }
      metrics.write(line as never);
      if (updates % config.checkpointEvery === 0 || isLast) saveCheckpoint();
      progress?.update({ steps: envSteps, sps, episodeReturn: meanReturn, winRate });
    }
    saveCheckpoint();
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress?.stop();
    teacher.dispose();
  }
  try {
    await writeCurve(join(runDir, 'metrics.jsonl'), join(runDir, 'curve.svg'), `${scenarioName} distillation`);
  } catch (error) {
    log(`learning curve not drawn: ${(error as Error).message}`);
  }
  team.dispose();
  adam.dispose();
  return { runDir, policyPath, plans, envSteps, updates, lastEval, stopped: stopRequested };
}

function evaluateStudents(team: StudentTeam, scenario: string, producedBy: string, config: DistillConfig): EvaluationResult {
  const file = team.toPolicyFile(scenario, producedBy);
  const sim = createSimulation(scenario);
  const loaded = policyFileAgents(file, sim, scenario, 'students');
  // Periodic evaluation uses its own seed list, apart from the one final reports use.
  return evaluate(scenario, loaded.agents, { episodes: config.evalEpisodes, seed: deriveSeed(config.seed, 0xe7a1) });
}

/** Up to `max` rows of live samples pooled over agents (the k-means fitting set). */
function sampleRows(hidden: Float32Array[], active: Uint8Array[], width: number, max: number, rng: Rng): Float32Array {
  const picks: [number, number][] = [];
  hidden.forEach((h, a) => {
    const rows = h.length / width;
    for (let r = 0; r < rows; r++) if (active[a][r] === 1) picks.push([a, r]);
  });
  const count = Math.min(max, picks.length);
  const out = new Float32Array(count * width);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(picks.length - i);
    [picks[i], picks[j]] = [picks[j], picks[i]];
    const [a, r] = picks[i];
    out.set(hidden[a].subarray(r * width, (r + 1) * width), i * width);
  }
  return out;
}

function shuffled(n: number, rng: Rng): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const x = order[i];
    order[i] = order[j];
    order[j] = x;
  }
  return order;
}

export function readDistillCheckpoint(path: string): z.infer<typeof distillCheckpointSchema> {
  let raw: unknown;
  try {
    raw = decode(readFileSync(path));
  } catch (error) {
    throw new Error(`${path}: not a kdmarl distillation checkpoint (${(error as Error).message})`);
  }
  const parsed = distillCheckpointSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${path}: invalid distillation checkpoint: ${describeZodError(parsed.error)}`);
  return parsed.data;
}
