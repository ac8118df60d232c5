import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedRoot: string | undefined;

/**
 * The repository root (the folder holding package.json), found from this module's location so the
 * same code works from sources (tests) and from the compiled `dist/`.
 */
export function projectRoot(): string {
  if (cachedRoot) return cachedRoot;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'server'))) {
      cachedRoot = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the kdmarl project root above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

export function fromRoot(...parts: string[]): string {
  return join(projectRoot(), ...parts);
}

/** A fresh run dir under runs/: `<scenario>__<kind>__<seed>__<UTC time>` (sorts by time within a scenario and seed). */
export function newRunDir(scenarioLabel: string, kind: string, seed: number): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
  return fromRoot('runs', `${scenarioLabel}__${kind}__${seed}__${stamp}`);
}
