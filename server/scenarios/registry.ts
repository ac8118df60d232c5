import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { fromRoot } from '../../shared/paths.ts';
import type { Simulation } from '../env/simulation.ts';
import { describeScenarioError } from './scenario-error.ts';
import type { ScenarioFamily } from './family.ts';
import { mpeFamily } from '../mpe/family.ts';
import { smacFamily } from '../smac/family.ts';
import { robotsFamily } from '../robots/family.ts';


// eslint-disable-next-line @typescript-eslint/no-explicit-any
const FAMILIES: readonly ScenarioFamily<any>[] = [mpeFamily, smacFamily, robotsFamily];

/** A validated scenario file plus where it came from. */
export type ScenarioFile = { name: string; family: string; physics: string; maxSteps: number; [key: string]: unknown };
export type LoadedScenario = { file: ScenarioFile; path: string; family: ScenarioFamily<ScenarioFile> };

export const BUILTIN_SCENARIO_DIR = (): string => fromRoot('server', 'scenarios', 'data');

/** Parse and validate a scenario file's JSON; errors name the file, the first bad field and why. */
export function parseScenario(json: unknown, path: string): LoadedScenario {
  const familyName = z.object({ family: z.string() }).safeParse(json);
  if (!familyName.success) {
    throw new Error(`${path}: family: required, one of ${FAMILIES.map((f) => f.name).join(', ')}`);
  }
  const family = FAMILIES.find((f) => f.name === familyName.data.family);
  if (!family) {
    throw new Error(`${path}: family: unknown family '${familyName.data.family}' (known: ${FAMILIES.map((f) => f.name).join(', ')})`);
  }
  const parsed = family.schema.safeParse(json);
  if (!parsed.success) throw new Error(`${path}: ${describeScenarioError(parsed.error, family.schema)}`);
  return { file: parsed.data as ScenarioFile, path, family };
}

export function loadScenarioFile(path: string): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${path}: cannot read scenario file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
  return parseScenario(json, path);
}

let builtins: Map<string, LoadedScenario> | undefined;

/** Built-in scenarios by name, read once from server/scenarios/data. */
export function builtinScenarios(): ReadonlyMap<string, LoadedScenario> {
  if (builtins) return builtins;
  const dir = BUILTIN_SCENARIO_DIR();
  const map = new Map<string, LoadedScenario>();
  for (const entry of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const loaded = loadScenarioFile(join(dir, entry));
    if (map.has(loaded.file.name)) throw new Error(`${loaded.path}: duplicate scenario name '${loaded.file.name}'`);
    map.set(loaded.file.name, loaded);
  }
  builtins = map;
  return map;
}

/** A built-in scenario by name, or a scenario file by path (anything ending in .json). */
export function resolveScenario(nameOrPath: string): LoadedScenario {
  if (nameOrPath.endsWith('.json') || nameOrPath.includes('/')) {
    if (!existsSync(nameOrPath)) throw new Error(`scenario file not found: ${nameOrPath}`);
    return loadScenarioFile(nameOrPath);
  }
  const found = builtinScenarios().get(nameOrPath);
  if (!found) {
    throw new Error(`unknown scenario '${nameOrPath}' (available: ${[...builtinScenarios().keys()].join(', ')}; or pass a path to a .json file)`);
  }
  return found;
}

export type CreateOptions = { physics?: string };

/** Build a fresh simulation for a scenario (name or file path). */
export function createSimulation(nameOrPath: string | LoadedScenario, options: CreateOptions = {}): Simulation {
  const loaded = typeof nameOrPath === 'string' ? resolveScenario(nameOrPath) : nameOrPath;
  const physics = options.physics ?? loaded.file.physics;
  if (!loaded.family.physicsModes.includes(physics)) {
    throw new Error(
      `scenario '${loaded.file.name}': physics '${physics}' not supported (supported: ${loaded.family.physicsModes.join(', ')})`,
    );
  }
  return loaded.family.create(loaded.file, physics);
}

/** Whether episodes of a scenario can be won (SMAC battles); the others are scored by return. */
export function scenarioHasWins(scenario: { file: { family: string } }): boolean {
  return scenario.file.family === 'smac';
}
