import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { netParams } from '../../shared/flops.ts';
import { writeFileAtomic } from '../../shared/atomic-write.ts';
import type { PolicyFile } from '../../shared/model-format.ts';
import { createSimulation, resolveScenario, scenarioHasWins, type LoadedScenario } from '../../server/scenarios/registry.ts';
import type { Simulation } from '../../server/env/simulation.ts';
import { evaluate, type EvaluationResult } from '../eval/evaluate.ts';
import { ci95HalfWidth, mean, returnRetention, winRateRetention } from '../eval/metrics.ts';
import { policyFileAgents, randomAgents, readPolicyPath } from '../eval/policies.ts';
import { DEFAULT_DISTILL_CONFIG, type DistillConfig, type DistillVariant } from '../distill/config.ts';
import { DISTILL_CHECKPOINT, distill, STUDENT_POLICY } from '../distill/distiller.ts';
import { loadPolicyFile } from '../runtime/policy-runtime.ts';
import { readRunConfig, samePath } from '../run/resume.ts';
import { loadStudentProfile } from '../distill/student-plan.ts';
import { teacherDigest } from '../distill/frozen-teacher.ts';
import { measureTfjs, measureTypedArray, type Latency } from './latency.ts';

type Stat = { mean: number; ci95: number; perSeed: number[] };

/** What one row of a report holds: a policy kind over seeds. */
export type ReportRow = {
  name: string;
  description: string;
  seeds: number[];
  winRate: Stat;
  /** Where the scenario measures success (robot worlds): the share of successful episodes. */
  successRate?: Stat;
  /** Spread: the share of landmarks covered at the last step. */
  landmarksCovered?: Stat;
  meanReturn: Stat;
  retention: { mean: number; ci95: number };
  flopsPerDecision: number;
  flopsRatio: number;
  params: number;
  latency: Latency[];
};

/** 'winRate' for SMAC-style scenarios; 'successRate' where the scenario measures success and the teacher reaches it; 'return' otherwise. */
export type RetentionBasis = 'winRate' | 'successRate' | 'return';

/** What every report row is measured against: random and the teacher on one fixed episode list. */
export type ReportBasis = {
  scenario: LoadedScenario;
  name: string;
  sim: Simulation;
  random: EvaluationResult;
  teacherFile: PolicyFile;
  teacherEval: EvaluationResult;
  hasWins: boolean;
  retentionOn: RetentionBasis;
  /** The teacher's FLOPs per decision, agent by agent (the sweep budgets each agent from its own). */
  teacherFlopsPerAgent: number[];
  evalOn(file: PolicyFile): EvaluationResult;
  teacherRow(): ReportRow;
  /** A row over seeds: means and 95% intervals of the per-seed evaluations. */
  summaryRow(rowName: string, description: string, evals: EvaluationResult[], file: PolicyFile): ReportRow;
};

/** What a report file and a FLOPs sweep file open with: the run's inputs and what it is measured against. */
export type ReportHeader = {
  scenario: string;
  teacher: string;
  students: string;
  stepsPerRun: number;
  evalEpisodes: number;
  evalSeed: number;
  /** 'winRate' for SMAC-style scenarios; 'successRate' for robot worlds the teacher succeeds in; 'return' otherwise (MPE). */
  retentionOn: RetentionBasis;
  random: { meanReturn: number; winRate: number };
};

export function reportHeader(basis: ReportBasis, o: { teacher: string; students: string; steps: number; evalEpisodes: number; evalSeed: number }): ReportHeader {
  return {
    scenario: basis.name,
    teacher: o.teacher,
    students: o.students,
    stepsPerRun: o.steps,
    evalEpisodes: o.evalEpisodes,
    evalSeed: o.evalSeed,
    retentionOn: basis.retentionOn,
    random: { meanReturn: basis.random.meanReturn, winRate: basis.random.winRate },
  };
}

/** Evaluate random and the teacher greedily on `episodes` episodes of the list `seed`; the basis of every row. */
export function createReportBasis(o: { scenario: string; teacher: string; evalEpisodes: number; evalSeed: number }): ReportBasis {
  const scenario = resolveScenario(o.scenario);
  const name = scenario.file.name;
  const sim = createSimulation(scenario);
  const run = (file: PolicyFile | null): EvaluationResult => {
    const agents = file ? policyFileAgents(file, sim, name, file.role).agents : randomAgents(sim).agents;
    return evaluate(scenario, agents, { episodes: o.evalEpisodes, seed: o.evalSeed });
  };
  const random = run(null);
  const teacherFile = readPolicyPath(o.teacher);
  const teacherEval = run(teacherFile);
  const hasWins = teacherEval.winRate > 0 || scenarioHasWins(scenario);
  const retentionOn = retentionBasis(hasWins, teacherEval);
  const retentionOf = (e: EvaluationResult) =>
    retentionOn === 'winRate'
      ? winRateRetention(e.winRate, teacherEval.winRate)
      : retentionOn === 'successRate'
        ? winRateRetention(e.successRate ?? 0, teacherEval.successRate!)
        : returnRetention(e.meanReturn, teacherEval.meanReturn, random.meanReturn);
  const flopsPerAgentOf = (file: PolicyFile) => policyFileAgents(file, sim, name, 'flops').flopsPerAgent;
  const flopsOf = (file: PolicyFile) => mean(flopsPerAgentOf(file));
  const paramsOf = (file: PolicyFile) => Object.values(file.nets).reduce((n, net) => n + netParams(net), 0);
  const latencyOf = (file: PolicyFile) => [measureTypedArray(file, sim.agentNames[0]), measureTfjs(file, sim.agentNames[0])];
  const teacherFlops = flopsOf(teacherFile);
  const stat = (values: number[]): Stat => ({ mean: mean(values), ci95: ci95HalfWidth(values), perSeed: values });
  const optionalStat = <K extends 'successRate' | 'landmarksCovered'>(key: K, evals: EvaluationResult[]) =>
    evals.every((e) => e[key] !== undefined) ? { [key]: stat(evals.map((e) => e[key]!)) } : {};

  return {
    scenario,
    name,
    sim,
    random,
    teacherFile,
    teacherEval,
    hasWins,
    retentionOn,
    teacherFlopsPerAgent: flopsPerAgentOf(teacherFile),
    evalOn: run,
    teacherRow: () => ({
      name: 'teacher',
      description: `MAPPO teacher (${o.teacher})`,
      seeds: [],
      winRate: { mean: teacherEval.winRate, ci95: 0, perSeed: [teacherEval.winRate] },
      ...optionalStat('successRate', [teacherEval]),
      ...optionalStat('landmarksCovered', [teacherEval]),
      meanReturn: { mean: teacherEval.meanReturn, ci95: teacherEval.returnCi95, perSeed: [teacherEval.meanReturn] },
      retention: { mean: 1, ci95: 0 },
      flopsPerDecision: teacherFlops,
      flopsRatio: 1,
      params: paramsOf(teacherFile),
      latency: latencyOf(teacherFile),
    }),
    summaryRow: (rowName, description, evals, file) => {
      const retention = evals.map(retentionOf);
      const flops = flopsOf(file);
      return {
        name: rowName,
        description,
        seeds: evals.map((_, i) => i + 1),
        winRate: stat(evals.map((e) => e.winRate)),
        ...optionalStat('successRate', evals),
        ...optionalStat('landmarksCovered', evals),
        meanReturn: stat(evals.map((e) => e.meanReturn)),
        retention: { mean: mean(retention), ci95: ci95HalfWidth(retention) },
        flopsPerDecision: flops,
        flopsRatio: teacherFlops / flops,
        params: paramsOf(file),
        latency: latencyOf(file),
      };
    },
  };
}

/** Wins where the scenario has them; else success where it is measured and the teacher reaches it; else return. */
export function retentionBasis(hasWins: boolean, teacher: { successRate?: number }): RetentionBasis {
  if (hasWins) return 'winRate';
  return teacher.successRate !== undefined && teacher.successRate > 0 ? 'successRate' : 'return';
}

export type DistilledRunOptions = {
  runDir: string;
  config: DistillConfig;
  teacher: string;
  students: string;
  variant: DistillVariant;
  producedBy: string;
  progress: boolean;
  progressLabel: string;
  say: (message: string) => void;
  /** Names the run in its log lines, e.g. "'full' seed 2". */
  what: string;
};

/** Distil one student team into runDir, or reuse it when a finished run made with the same config is there; returns its students. */
export async function distilledRun(o: DistilledRunOptions): Promise<PolicyFile> {
  const done = join(o.runDir, 'done.json');
  if (existsSync(done)) {
    checkReusable(o.runDir, o.config, DEFAULT_DISTILL_CONFIG);
    const matched = checkSameInputs(o);
    const caveat = { content: '', path: ' (the run predates teacherDigest: its teacher matched by path only)', unrecorded: ' (the run did not record its teacher: not checked)' }[matched];
    o.say(`${o.what}: finished earlier, reused${caveat}`);
  } else {
    o.say(`distilling ${o.what} (${o.config.totalSteps} env steps)`);
    const result = await distill({ config: o.config, teacher: o.teacher, students: o.students, variant: o.variant, runDir: o.runDir, resume: existsSync(join(o.runDir, DISTILL_CHECKPOINT)), producedBy: o.producedBy, progress: o.progress, progressLabel: o.progressLabel, log: () => {} });
    if (result.stopped) throw new Error('report interrupted: run it again to continue');
    writeFileAtomic(done, JSON.stringify({ envSteps: result.envSteps }) + '\n');
  }
  return loadPolicyFile(studentPolicyOf(o.runDir));
}

/**
 * A finished run is reused only when it was distilled from this teacher (its path and, where the
 * run recorded it, its checkpoint's sha256) into students of this profile: the config alone does
 * not say which nets were trained, nor from whom. Says how the teacher was matched.
 */
function checkSameInputs(o: DistilledRunOptions): 'content' | 'path' | 'unrecorded' {
  const extra = readRunConfig(o.runDir, Object.keys(o.config))?.extra;
  if (!extra || typeof extra.teacher !== 'string') return 'unrecorded';
  if (typeof extra.secondTeacher === 'string') throw new Error(`${o.runDir} was distilled from two teachers (--second-teacher ${extra.secondTeacher}); a report distils from one: give another --out`);
  const students = loadStudentProfile(o.students, resolveScenario(o.config.scenario).file.name).path;
  const inputs = [
    { flag: 'teacher', given: o.teacher, saved: extra.teacher },
    { flag: 'students', given: students, saved: extra.students },
  ];
  for (const { flag, given, saved } of inputs) {
    // Runs written before config.json recorded the input cannot be checked.
    if (typeof saved !== 'string') continue;
    if (saved === given || samePath(saved, given)) continue;
    throw new Error(`${o.runDir} was distilled with --${flag} ${saved}, this report asks for ${given}: give another --out, or remove that run to redo it`);
  }
  // The same path may hold another teacher (retrained there): its checkpoint's content decides.
  if (typeof extra.teacherDigest !== 'string') return 'path';
  const now = teacherDigest(o.teacher);
  if (now !== extra.teacherDigest) {
    throw new Error(`${o.runDir} was distilled from a teacher with teacherDigest ${extra.teacherDigest.slice(0, 16)}…, --teacher ${o.teacher} now has ${now.slice(0, 16)}… (retrained or replaced at that path): give another --out, or remove that run to redo it`);
  }
  return 'content';
}

/** Students of a finished distillation run; runs written before the file was named student.policy kept students.policy. */
function studentPolicyOf(runDir: string): string {
  const path = join(runDir, STUDENT_POLICY);
  const older = join(runDir, 'students.policy');
  return !existsSync(path) && existsSync(older) ? older : path;
}

/**
 * A finished run in the report's folder is reused only when it was made with the config this
 * report asks for: a report run again with other settings must not relabel old runs as new.
 */
export function checkReusable(runDir: string, config: object, defaults: object = {}): void {
  const saved = readRunConfig(runDir, Object.keys(config))?.config;
  if (!saved) return;
  const defaultOf = defaults as Record<string, unknown>;
  for (const [key, value] of Object.entries(config)) {
    // A field added after the run was made is absent there: the run had the field's default.
    if (saved[key] === undefined) {
      if (key in defaultOf && JSON.stringify(defaultOf[key]) !== JSON.stringify(value)) {
        throw new Error(`${runDir} was made before ${key} existed (so with its default ${JSON.stringify(defaultOf[key])}), this report asks for ${JSON.stringify(value)}: give another --out, or remove that run to redo it`);
      }
      continue;
    }
    if (JSON.stringify(saved[key]) !== JSON.stringify(value)) {
      throw new Error(`${runDir} was made with ${key} ${JSON.stringify(saved[key])}, this report asks for ${JSON.stringify(value)}: give another --out, or remove that run to redo it`);
    }
  }
}

export function scoreText(e: EvaluationResult, hasWins: boolean): string {
  const success = e.successRate !== undefined ? `, success rate ${(100 * e.successRate).toFixed(1)}%` : '';
  const covered = e.landmarksCovered !== undefined ? `, landmarks covered ${(100 * e.landmarksCovered).toFixed(1)}%` : '';
  return `return ${e.meanReturn.toFixed(3)}${hasWins ? `, win rate ${(100 * e.winRate).toFixed(1)}%` : success}${covered}`;
}
