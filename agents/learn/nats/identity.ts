import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fromRoot } from '../../../shared/paths.ts';
import type { LoadedScenario } from '../../../server/scenarios/registry.ts';
import type { TrainConfig } from '../config.ts';
import type { DistillConfig } from '../../distill/config.ts';
import type { StudentPlan } from '../../distill/student-plan.ts';

/** Bumped whenever a fragment's fields or layout change: a worker on another format is refused. */
export const FRAGMENT_FORMAT = 2;

/**
 * What a run's workers collect for: a trainer's actors (`kdmarl train`), or a distiller's students
 * (`kdmarl distill`), whose resolved plans travel with it so a worker needs no profile file.
 */
export type RunWork = { kind: 'train'; config: TrainConfig } | { kind: 'distill'; config: DistillConfig; students: StudentPlan[] };
export type RunKind = RunWork['kind'];

/**
 * What a learner publishes about its run and every fragment must match: its kind, the scenario
 * (its file, so a worker on another machine needs no copy of a custom one), the resolved config
 * (and students), the kdmarl version and the fragment format, plus how many envs a fragment holds.
 */
export type RunIdentity = RunWork & {
  run: string;
  scenario: string;
  scenarioFile: unknown;
  configHash: string;
  version: string;
  format: number;
  fragmentEnvs: number;
};

/** The fields a fragment carries to say which kind of run, config and code made it. */
export type FragmentOrigin = Pick<RunIdentity, 'kind' | 'scenario' | 'configHash' | 'version' | 'format'>;

export function kdmarlVersion(): string {
  return (JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The hash of everything a worker collects with: config, students (distillation) and scenario file.
 * Not the step budget, which a resume may raise and no worker reads: its workers keep serving.
 */
export function hashWork(work: RunWork, scenarioFile: unknown): string {
  const students = work.kind === 'distill' ? work.students : undefined;
  const config = { ...work.config, totalSteps: undefined };
  return createHash('sha256').update(JSON.stringify({ config, students, scenarioFile })).digest('hex').slice(0, 16);
}

export function makeIdentity(run: string, work: RunWork, scenario: LoadedScenario, fragmentEnvs: number): RunIdentity {
  return {
    ...work,
    run,
    scenario: scenario.file.name,
    scenarioFile: scenario.file,
    configHash: hashWork(work, scenario.file),
    version: kdmarlVersion(),
    format: FRAGMENT_FORMAT,
    fragmentEnvs,
  };
}

/** What fragments collected for `work` on `scenarioFile` say they are, with this code. */
export function workOrigin(work: RunWork, scenario: string, scenarioFile: unknown): FragmentOrigin {
  return { kind: work.kind, scenario, configHash: hashWork(work, scenarioFile), version: kdmarlVersion(), format: FRAGMENT_FORMAT };
}

export function originOf(identity: RunIdentity): FragmentOrigin {
  return { kind: identity.kind, scenario: identity.scenario, configHash: identity.configHash, version: identity.version, format: identity.format };
}

/** The run's work (kind, config, students) out of its identity. */
export function workOf(identity: RunIdentity): RunWork {
  return identity.kind === 'distill' ? { kind: 'distill', config: identity.config, students: identity.students } : { kind: 'train', config: identity.config };
}

/** The command whose learner runs a run of this kind. */
export const learnerCommand = (kind: RunKind): string => `kdmarl ${kind}`;

/** Why a fragment of `origin` cannot join the run of `identity` (null: it can). */
export function originMismatch(identity: RunIdentity, origin: FragmentOrigin): string | null {
  const diffs: string[] = [];
  // A fragment of an older format may name no kind: its format is what refuses it.
  if (origin.kind !== undefined && origin.kind !== identity.kind) diffs.push(`kind ${origin.kind} (the run's is ${identity.kind}, learner '${learnerCommand(identity.kind)}')`);
  else if (origin.scenario !== identity.scenario) diffs.push(`scenario ${origin.scenario} (the run's is ${identity.scenario})`);
  else if (origin.configHash !== identity.configHash) diffs.push(`config ${origin.configHash} (the run's is ${identity.configHash})`);
  if (origin.version !== identity.version) diffs.push(`kdmarl ${origin.version} (the learner runs ${identity.version})`);
  if (origin.format !== identity.format) diffs.push(`fragment format ${origin.format} (the learner reads ${identity.format})`);
  return diffs.length ? diffs.join(', ') : null;
}

/** NATS names of a run: bucket and subjects take [A-Za-z0-9_-] only. */
export function checkRunName(run: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(run)) throw new Error(`--run ${run}: use letters, digits, '-' and '_' only (it names a NATS bucket and subjects)`);
  return run;
}

export const natsNames = (run: string) => ({
  bucket: `kdmarl-${run}`,
  fragments: `kdmarl.${run}.fragment`,
  bye: `kdmarl.${run}.bye`,
});

export const IDENTITY_KEY = 'identity';
export const WEIGHTS_KEY = 'weights';
