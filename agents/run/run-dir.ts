import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** The temporary sibling writeFileAtomic writes before its rename: `.<name>.<pid>.<time>.<n>.tmp`. */
const ATOMIC_TEMP = /^\..+\.\d+\.\d+\.\d+\.tmp$/;

/**
 * Make a run directory ready for a job that starts or resumes in it: create it, remove the
 * temporary files of writes a kill interrupted (only this run writes here), and on --resume make
 * sure the checkpoint to continue from is there. Returns the checkpoint's path.
 */
export function prepareRunDir(runDir: string, o: { resume: boolean; checkpointFile: string; what: string } = { resume: false, checkpointFile: '', what: '' }): string {
  mkdirSync(runDir, { recursive: true });
  removeStaleTemps(runDir);
  const checkpointPath = join(runDir, o.checkpointFile);
  if (o.resume && !existsSync(checkpointPath)) throw new Error(`--resume: no ${o.what} at ${checkpointPath}`);
  return checkpointPath;
}

/** Remove the temporary files interrupted atomic writes left in `dir`; returns their names. */
export function removeStaleTemps(dir: string): string[] {
  const stale = readdirSync(dir).filter((name) => ATOMIC_TEMP.test(name));
  for (const name of stale) rmSync(join(dir, name), { force: true });
  return stale;
}
