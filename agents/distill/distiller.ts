import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { decode, encode } from '../../shared/codec.ts';
import { writeFileAtomic } from '../../shared/atomic-write.ts';
import { Rng, deriveSeed } from '../../shared/rng.ts';
import { describeZodError } from '../../shared/zod-error.ts';
import type { EpisodeSummary } from '../../server/env/vec-env.ts';
import { createSimulation, resolveScenario, scenarioHasWins } from '../../server/scenarios/registry.ts';
import { initBackend } from '../learn/backend.ts';
import { Adam, linearDecay } from '../learn/adam.ts';
import { METRIC, type MetricLine } from '../learn/metrics-log.ts';
import { RunLoop } from '../run/run-loop.ts';
import { prepareRunDir } from '../run/run-dir.ts';
import { checkSameSource, continueRunConfig } from '../run/resume.ts';
import { writePolicyFile } from '../learn/checkpoint.ts';
import { evaluate, type EvaluationResult } from '../eval/evaluate.ts';
import { policyFileAgents } from '../eval/policies.ts';
import { distillConfigSchema, type DistillConfig } from './config.ts';
import { loadFrozenTeacher, teacherDigest } from './frozen-teacher.ts';
import { TeacherPair, type DistillTeacher } from './teacher-pair.ts';
import { StudentRollout, distillUpdate, type DistillContext } from './update.ts';
import { loadStudentProfile, planStudents, type StudentPlan } from './student-plan.ts';
import { StudentTeam } from './student-team.ts';
import { headsInUse } from './losses.ts';
import { natsLearner, type ExperienceSource, type NatsOptions } from '../learn/nats/learner.ts';
import { StudentCollector, studentEnvs } from './student-collector.ts';
import { studentColumns } from './student-fragments.ts';
import { STUDENT_POLICY_FILE } from '../../shared/model-format.ts';

export const DISTILL_CHECKPOINT = 'distill.ckpt';
export const STUDENT_POLICY = STUDENT_POLICY_FILE;

export type DistillOptions = {
  config: DistillConfig;
  teacher: string;
  /** A second teacher of the same scenario: the students learn from both (`TeacherPair`). */
  secondTeacher?: string;
  students: string;
  /** The loss preset the config came from, recorded in config.json so that --resume can hold to it. */
  variant?: string;
  runDir: string;
  resume: boolean;
  producedBy: string;
  progress?: boolean;
  /** Names the run on progress lines (default 'distill'). */
  progressLabel?: string;
  log?: (message: string) => void;
  /** Take each batch from rollout workers on NATS instead of collecting it here (docs/training.md, Many machines). */
  nats?: NatsOptions;
};

export type DistillResult = { runDir: string; policyPath: string; plans: StudentPlan[]; envSteps: number; updates: number; lastEval: EvaluationResult | null; stopped: boolean };

const f32 = z.custom<Float32Array>((v) => v instanceof Float32Array, 'expected a Float32Array');
const distillCheckpointSchema = z.strictObject({
  format: z.literal('kdmarl-distill-checkpoint'),
  version: z.literal(1),
  scenario: z.string(),
  teacher: z.string(),
  /** sha256 of the teacher's checkpoint file (absent in older checkpoints). */
  teacherDigest: z.string().optional(),
  secondTeacher: z.string().optional(),
  secondTeacherDigest: z.string().optional(),
  weights: z.record(z.string(), z.array(f32)),
  optimizer: z.strictObject({ step: z.number().int(), m: z.array(f32), v: z.array(f32) }),
  /** The run's profile and config, so that --resume continues the run as it was configured (absent in older checkpoints). */
  students: z.string().optional(),
  config: distillConfigSchema.optional(),
  centroids: f32.nullable(),
  progress: z.strictObject({ envSteps: z.number().int(), updates: z.number().int(), wallSeconds: z.number(), rng: z.tuple([z.number(), z.number(), z.number(), z.number()]) }),
});

/**
 * Stage 2 of docs/method.md §3: the frozen teacher supervises heterogeneous students that act in the
 * envs through their own limited views. collect (students act) -> teacher targets (logits, hidden
 * states, critic values) -> teacher-guided GAE -> composite loss for `epochs` passes -> log /
 * checkpoint / evaluate the exported students.
 */
export async function distill(options: DistillOptions): Promise<DistillResult> {
  const { config, runDir } = options;
  const log = options.log ?? ((m: string) => process.stderr.write(m + '\n'));

  // Everything that can be wrong with the inputs is checked before any tfjs work.
  const scenario = resolveScenario(config.scenario);
  if (options.nats && config.greedyEnvs > 0) throw new Error(`config: greedyEnvs: greedy collection runs in the learner's own envs; with --nats the rollout workers sample (set greedyEnvs to 0)`);
  const scenarioName = scenario.file.name;
  const probe = createSimulation(scenario);
  const { profile, path: profilePath } = loadStudentProfile(options.students, scenarioName);
  const plans = planStudents(profile, scenario, probe, config.layerNorm, profilePath);
  const shape = { agentNames: probe.agentNames, observationSizes: probe.layouts.map((l) => l.size), actionCounts: probe.actionCounts, stateSize: probe.stateSize };
  const checkpointPath = prepareRunDir(runDir, { file: DISTILL_CHECKPOINT, what: 'distillation checkpoint', resume: options.resume });
  const ckpt = options.resume ? readDistillCheckpoint(checkpointPath) : null;
  if (ckpt) {
    if (ckpt.scenario !== scenarioName) throw new Error(`${checkpointPath}: students of scenario '${ckpt.scenario}', not '${scenarioName}'`);
    // A resume continues the run as it was configured: same teacher, students and config; only the budget may grow.
    checkSameSource('--teacher', options.teacher, ckpt.teacher, runDir);
    if ((options.secondTeacher === undefined) !== (ckpt.secondTeacher === undefined)) {
      throw new Error(`--second-teacher: the run in ${runDir} was started ${ckpt.secondTeacher === undefined ? 'with one teacher' : `with --second-teacher ${ckpt.secondTeacher}`}`);
    }
    if (ckpt.secondTeacher !== undefined) checkSameSource('--second-teacher', options.secondTeacher, ckpt.secondTeacher, runDir);
    if (ckpt.students !== undefined) checkSameSource('--students', profilePath, ckpt.students, runDir);
    if (ckpt.config) continueRunConfig(ckpt.config, [{ source: 'config', values: config }], runDir);
  }
  // The same path may hold another teacher by now (retrained there): a resume holds to the content too.
  const digest = teacherDigest(options.teacher);
  if (ckpt?.teacherDigest !== undefined && ckpt.teacherDigest !== digest) {
    throw new Error(`${checkpointPath}: teacherDigest: the run was distilled from a teacher with checkpoint sha256 ${ckpt.teacherDigest.slice(0, 16)}…, --teacher ${options.teacher} now has ${digest.slice(0, 16)}… (retrained or replaced at that path)`);
  }
  const secondDigest = options.secondTeacher === undefined ? undefined : teacherDigest(options.secondTeacher);
  if (ckpt?.secondTeacherDigest !== undefined && ckpt.secondTeacherDigest !== secondDigest) {
    throw new Error(`${checkpointPath}: secondTeacherDigest: the run was distilled from a second teacher with checkpoint sha256 ${ckpt.secondTeacherDigest.slice(0, 16)}…, --second-teacher ${options.secondTeacher} now has ${secondDigest?.slice(0, 16)}… (retrained or replaced at that path)`);
  }
  const second = options.secondTeacher === undefined ? {} : { secondTeacher: options.secondTeacher, secondTeacherDigest: secondDigest };

  const backend = await initBackend(config.backend === 'auto' ? undefined : config.backend);
  log(`tfjs backend: ${backend}`);
  const teachers = [options.teacher, ...(options.secondTeacher === undefined ? [] : [options.secondTeacher])].map((path) => loadFrozenTeacher(path, shape, scenarioName));
  for (const t of teachers) log(`teacher ${t.path}: actor ${t.checkpoint.config.actorHidden.join('x')}, frozen`);
  const teacher: DistillTeacher = teachers.length === 2 ? new TeacherPair(teachers[0], teachers[1]) : teachers[0];
  for (const p of plans) log(`student ${p.agent} (${p.type}): view ${p.observationSize} -> [${p.hidden.join(', ')}] -> ${p.actionCount}, ${p.flops} FLOPs/decision${p.caps.flops ? ` (cap ${p.caps.flops})` : ''}`);

  const N = probe.agentNames.length;
  const types = [...new Set(plans.map((p) => p.type))];
  if (config.roles === 'type' && types.length > config.numRoles) {
    throw new Error(`config: roles 'type' needs numRoles >= ${types.length} (types: ${types.join(', ')})`);
  }
  const team = new StudentTeam(plans, { layerNorm: config.layerNorm, projectionWidth: config.projectionWidth, numRoles: config.numRoles, seed: config.seed });
  const heads = headsInUse(config, N);
  const adam = new Adam(team.variables(heads), config.lr, config.adamEps);
  const rng = new Rng(deriveSeed(config.seed, 0xd157));
  let centroids: Float32Array | null = null;
  const start = { steps: 0, updates: 0, wallSeconds: 0 };
  if (ckpt) {
    team.setWeights(ckpt.weights, checkpointPath);
    adam.setState(ckpt.optimizer, `${checkpointPath}: optimizer`);
    centroids = ckpt.centroids;
    rng.setState(ckpt.progress.rng);
    Object.assign(start, { steps: ckpt.progress.envSteps, updates: ckpt.progress.updates, wallSeconds: ckpt.progress.wallSeconds });
    log(`resumed ${checkpointPath} at update ${start.updates}, ${start.steps} env steps`);
  }
  writeFileAtomic(join(runDir, 'config.json'), JSON.stringify({ ...config, teacher: options.teacher, teacherDigest: digest, ...second, students: profilePath, ...(options.variant ? { variant: options.variant } : {}), plans }, null, 2) + '\n');

  const E = config.numEnvs;
  const T = config.rolloutLength;
  const rows = T * E;
  const plannedUpdates = Math.ceil(config.totalSteps / rows);
  const rollout = new StudentRollout(plans, shape.observationSizes, shape.stateSize, T, E);
  // With NATS the batch comes from rollout workers: the learner steps no envs of its own.
  const collector = options.nats ? null : new StudentCollector(studentEnvs(scenario, plans, E, deriveSeed(config.seed, start.updates + 1)), rollout, plans, shape.observationSizes, (a, obs, rows) => team.logits(a, obs, rows), config.greedyEnvs);
  const ctx: DistillContext = { teacher, team, adam, plans, config, rng, centroids };
  const hasWins = scenarioHasWins(scenario);
  const loop = new RunLoop({
    label: options.progressLabel ?? 'distill', runDir, totalSteps: config.totalSteps, stepsPerUpdate: rows, start,
    progress: options.progress !== false, hasWins, log,
  });

  const recent: EpisodeSummary[] = [];
  let lastEval: EvaluationResult | null = null;
  let source: ExperienceSource | null = null;
  const policyPath = join(runDir, STUDENT_POLICY);

  const saveCheckpoint = () => {
    const data: DistillCheckpoint = {
      format: 'kdmarl-distill-checkpoint',
      version: 1,
      scenario: scenarioName,
      teacher: options.teacher,
      teacherDigest: digest,
      ...second,
      students: profilePath,
      config,
      weights: team.getWeights(),
      optimizer: adam.getState(),
      centroids: ctx.centroids,
      progress: { envSteps: loop.steps, updates: loop.updates, wallSeconds: loop.wallSeconds, rng: rng.getState() },
    };
    writeFileAtomic(checkpointPath, encode(data));
    writePolicyFile(policyPath, team.toPolicyFile(scenarioName, options.producedBy));
  };

  try {
    if (options.nats) {
      const work = { kind: 'distill' as const, config, students: plans };
      source = await natsLearner(options.nats, { work, scenario, columns: studentColumns(rollout), policy: () => team.toPolicyFile(scenarioName, options.producedBy), version: start.updates, log: (m) => loop.say(m), onStop: (l) => loop.onStop(l) });
    }
    while (await loop.next()) {
      // 1. collect: the students act through their own views (with NATS, rollout workers' students do)
      if (source) {
        if (!(await source.fill(recent))) break;
      } else collector!.collect(rng, recent);

      // 2-5. teacher targets, teacher-guided GAE, roles and relations, composite-loss epochs
      if (config.lrAnneal) adam.lr = linearDecay(config.lr, loop.updates, plannedUpdates);
      const last = distillUpdate(ctx, rollout);
      loop.advance(rows);
      await source?.publish(loop.updates);

      // 6. log, checkpoint, evaluate
      if (recent.length > 200) recent.splice(0, recent.length - 200);
      const meanReturn = recent.length ? recent.reduce((s, e) => s + e.teamReturn, 0) / recent.length : Number.NaN;
      const winRate = recent.length ? recent.filter((e) => e.won).length / recent.length : Number.NaN;
      const line: MetricLine = {
        ...loop.metricLine(),
        [METRIC.episodeReturn]: meanReturn,
        [METRIC.winRate]: winRate,
        [METRIC.sps]: loop.sps,
        'losses/total': last.total,
        'losses/pg': last.pg,
        'losses/kl': last.kl,
        'losses/ce': last.ce,
        'losses/sr': last.sr,
        'losses/ra': last.ra,
        [METRIC.entropy]: last.entropy,
        'charts/teacher_agreement': last.agreement,
        'losses/grad_norm': last.gradNorm,
        ...source?.metrics(),
      };
      if (loop.every(config.evalEvery) || loop.last) {
        lastEval = evaluateStudents(team, scenarioName, options.producedBy, config);
        line[METRIC.evalReturn] = lastEval.meanReturn;
        line[METRIC.evalReturnCi95] = lastEval.returnCi95;
        line[METRIC.evalWinRate] = lastEval.winRate;
        const win = hasWins ? `, win rate ${(100 * lastEval.winRate).toFixed(1)}%` : '';
        loop.say(`update ${loop.updates}: eval return ${lastEval.meanReturn.toFixed(3)} ± ${lastEval.returnCi95.toFixed(3)}${win}, teacher agreement ${(100 * last.agreement).toFixed(1)}%`);
      }
      loop.metrics.write(line);
      if (loop.every(config.checkpointEvery) || loop.last) saveCheckpoint();
      loop.show({ episodeReturn: meanReturn, winRate, ...(source ? { detail: source.note() } : {}) });
    }
    saveCheckpoint();
  } finally {
    await source?.close();
    loop.close();
    teacher.dispose();
  }
  await loop.writeCurve(`${scenarioName} distillation`);
  if (loop.stopRequested) log(`stopped by signal at ${loop.steps} env steps; checkpoint saved (continue with kdmarl distill --resume --out ${runDir})`);
  team.dispose();
  adam.dispose();
  return { runDir, policyPath, plans, envSteps: loop.steps, updates: loop.updates, lastEval, stopped: loop.stopRequested };
}

function evaluateStudents(team: StudentTeam, scenario: string, producedBy: string, config: DistillConfig): EvaluationResult {
  const file = team.toPolicyFile(scenario, producedBy);
  const sim = createSimulation(scenario);
  const loaded = policyFileAgents(file, sim, scenario, 'students');
  // Periodic evaluation uses its own seed list, apart from the one final reports use.
  return evaluate(scenario, loaded.agents, { episodes: config.evalEpisodes, seed: deriveSeed(config.seed, 0xe7a1) });
}

type DistillCheckpoint = z.infer<typeof distillCheckpointSchema>;

export function readDistillCheckpoint(path: string): DistillCheckpoint {
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
