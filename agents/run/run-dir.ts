import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** The temporary sibling writeFileAtomic writes before its rename: `.<name>.<pid>.<time>.<n>.tmp`. */
const ATOMIC_TEMP = /^\..+\.\d+\.\d+\.\d+\.tmp$/;

/**
 * Make a run directory ready for a job that starts or resumes in it: create it, remove the
 * temporary files of writes a kill interrupted (only this run writes here), and on --resume make
 * sure the checkpoint to continue from is there. Returns the checkpoint's path ('' without one).
 */
export function prepareRunDir(runDir: string, checkpoint?: { file: string; what: string; resume: boolean }): string {
  mkdirSync(runDir, { recursive: true });
  removeStaleTemps(runDir);
  if (!checkpoint) return '';
  const path = join(runDir, checkpoint.file);
  if (checkpoint.resume && !existsSync(path)) throw new Error(`--resume: no ${checkpoint.what} at ${path}`);
  return path;
}

/** Remove the temporary files interrupted atomic writes left in `dir`; returns their names. */
export function removeStaleTemps(dir: string): string[] {
  const stale = readdirSync(dir).filter((name) => ATOMIC_TEMP.test(name));
  for (const name of stale) rmSync(join(dir, name), { force: true });
  return stale;
}
