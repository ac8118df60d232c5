import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** What a resume may change: its budget. Everything else is the run's own. */
export const RESUME_MAY_CHANGE = ['totalSteps'] as const;

/** Values asked for on the command line of a resume, by where they came from ('--seed', '--config small.json'). */
export type GivenValues<C> = { source: string; values: Partial<C> };

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * The config a resumed run continues with: the run's own (`saved`), with only what a resume may
 * change taken from `given`. A given value that contradicts the run is refused, naming both.
 */
export function continueRunConfig<C extends Record<string, unknown>>(saved: C, given: readonly GivenValues<C>[], runDir: string): C {
  const config = { ...saved };
  for (const { source, values } of given) {
    for (const [key, value] of Object.entries(values) as [keyof C & string, unknown][]) {
      if (value === undefined || same(value, saved[key])) continue;
      if ((RESUME_MAY_CHANGE as readonly string[]).includes(key)) {
        (config as Record<string, unknown>)[key] = value;
        continue;
      }
      throw new Error(`${source}: ${key} ${show(value)} contradicts the run in ${runDir}, which has ${key} ${show(saved[key])} (leave it out to continue the run as it was configured)`);
    }
  }
  return config;
}

/**
 * A run's config as its job saved it at the start (config.json), or null when the run dir has
 * none. Keys outside `fields` (a job's own records, such as distill's teacher) are returned apart.
 */
export function readRunConfig(runDir: string, fields: readonly string[]): { config: Record<string, unknown>; extra: Record<string, unknown> } | null {
  const path = join(runDir, 'config.json');
  if (!existsSync(path)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: cannot read the run's config (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error(`${path}: not a config object`);
  const config: Record<string, unknown> = {};
  const extra: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json)) (fields.includes(key) ? config : extra)[key] = value;
  return { config, extra };
}

/** Two spellings of one file or directory (relative to the working directory) are the same. */
export function samePath(a: string, b: string): boolean {
  return canonical(a) === canonical(b);
}

/** A directory holding a checkpoint stands for that checkpoint: `models/3m` and `models/3m/checkpoint.ckpt` are one teacher. */
function canonical(path: string): string {
  const full = resolve(path);
  const inside = join(full, 'checkpoint.ckpt');
  return existsSync(full) && statSync(full).isDirectory() && existsSync(inside) ? inside : full;
}

/** A resume naming another file than the run's own (teacher, students profile) is refused. */
export function checkSameSource(flag: string, given: string | undefined, saved: string, runDir: string): string {
  if (given !== undefined && !samePath(given, saved)) {
    throw new Error(`${flag} ${given}: the run in ${runDir} was started with ${flag} ${saved} (leave it out to continue the run as it was configured)`);
  }
  return saved;
}
