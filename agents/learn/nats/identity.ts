import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fromRoot } from '../../../shared/paths.ts';
import type { LoadedScenario } from '../../../server/scenarios/registry.ts';
import type { TrainConfig } from '../config.ts';

/** Bumped whenever a fragment's fields or layout change: a worker on another format is refused. */
export const FRAGMENT_FORMAT = 1;

/**
 * What a learner publishes about its run and every fragment must match: the scenario (its file,
 * so a worker on another machine needs no copy of a custom one), the resolved config, the kdmarl
 * version and the fragment format, plus how many envs a fragment holds.
 */
export type RunIdentity = {
  run: string;
  scenario: string;
  scenarioFile: unknown;
  config: TrainConfig;
  configHash: string;
  version: string;
  format: number;
  fragmentEnvs: number;
};

/** The fields a fragment carries to say which run, config and code made it. */
export type FragmentOrigin = Pick<RunIdentity, 'scenario' | 'configHash' | 'version' | 'format'>;

export function kdmarlVersion(): string {
  return (JSON.parse(readFileSync(fromRoot('package.json'), 'utf8')) as { version: string }).version;
}

export function hashConfig(config: TrainConfig, scenarioFile: unknown): string {
  return createHash('sha256').update(JSON.stringify({ config, scenarioFile })).digest('hex').slice(0, 16);
}

export function makeIdentity(run: string, config: TrainConfig, scenario: LoadedScenario, fragmentEnvs: number): RunIdentity {
  return {
    run,
    scenario: scenario.file.name,
    scenarioFile: scenario.file,
    config,
    configHash: hashConfig(config, scenario.file),
    version: kdmarlVersion(),
    format: FRAGMENT_FORMAT,
    fragmentEnvs,
  };
}

export function originOf(identity: RunIdentity): FragmentOrigin {
  return { scenario: identity.scenario, configHash: identity.configHash, version: identity.version, format: identity.format };
}

/** Why a fragment of `origin` cannot join the run of `identity` (null: it can). */
export function originMismatch(identity: RunIdentity, origin: FragmentOrigin): string | null {
  const diffs: string[] = [];
  if (origin.scenario !== identity.scenario) diffs.push(`scenario ${origin.scenario} (the run's is ${identity.scenario})`);
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
