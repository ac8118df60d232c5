import { copyFileSync, existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKPOINT_FILE, POLICY_FILE, checkpointToPolicyFile, readCheckpoint, saveCheckpoint, writePolicyFile } from './checkpoint.ts';

/**
 * Copy a run's teacher into a models/<scenario> directory: the checkpoint without optimizer state
 * (actors, critic, value norm: what distillation loads), the exported `teacher.policy`, and the
 * run's config, metrics and curve for the record. TRAINED.md is written by hand with the eval figures.
 */
export function shipTeacher(runDir: string, modelDir: string): { checkpointBytes: number } {
  const ckpt = readCheckpoint(join(runDir, CHECKPOINT_FILE));
  mkdirSync(modelDir, { recursive: true });
  saveCheckpoint(join(modelDir, CHECKPOINT_FILE), ckpt, { includeOptimizer: false });
  writePolicyFile(join(modelDir, POLICY_FILE), checkpointToPolicyFile(ckpt, runDir));
  for (const f of ['config.json', 'metrics.jsonl', 'curve.svg']) if (existsSync(join(runDir, f))) copyFileSync(join(runDir, f), join(modelDir, f));
  return { checkpointBytes: statSync(join(modelDir, CHECKPOINT_FILE)).size };
}
