import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { writeFileAtomic } from '../../../shared/atomic-write.ts';
import { projectRoot } from '../../../shared/paths.ts';

/**
 * Worker threads cannot load .ts under Node 20: the rank worker runs as one bundled ES module,
 * dist/rank-worker.js, written by `npm run build:code`. npm packages stay outside the bundle
 * (imported from node_modules at run time, as the rest of dist does).
 */
export const RANK_WORKER_ENTRY = 'agents/learn/parallel/rank-worker.ts';
export const RANK_WORKER_BUNDLE = join('dist', 'rank-worker.js');

/** The rank worker bundled from its sources under `root`, as one ES module's code. */
async function generateRankWorker(root: string): Promise<string> {
  // A build tool (devDependency): loaded only when bundling, never by a trainer running built code.
  const { rolldown } = await import('rolldown');
  const bundle = await rolldown({
    input: join(root, RANK_WORKER_ENTRY),
    platform: 'node',
    external: (id) => id.startsWith('node:') || !(id.startsWith('.') || isAbsolute(id)),
    logLevel: 'warn',
  });
  try {
    const { output } = await bundle.generate({ format: 'esm', codeSplitting: false, minify: false });
    return output[0].code;
  } finally {
    await bundle.close();
  }
}

export async function bundleRankWorker(options: { root?: string; file?: string } = {}): Promise<{ file: string; bytes: number }> {
  const root = options.root ?? projectRoot();
  const code = await generateRankWorker(root);
  const file = options.file ?? join(root, RANK_WORKER_BUNDLE);
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomic(file, code);
  return { file, bytes: Buffer.byteLength(code) };
}

let fromSources: Promise<string> | null = null;

/**
 * The rank worker's script. Built code uses dist/rank-worker.js; code run from its .ts sources
 * (tests, benchmarks under a TS loader) bundles those sources once per process into
 * dist/.rank-worker-<hash of the code>.js (inside the project, so the bundle's npm imports
 * resolve): processes running the same sources share one file, and sources that change get a new one.
 */
export async function rankWorkerScript(): Promise<string> {
  const root = projectRoot();
  if (!import.meta.url.endsWith('.ts')) {
    const file = join(root, RANK_WORKER_BUNDLE);
    if (!existsSync(file)) throw new Error(`${file}: missing (the training worker threads run it): run 'npm run build:code', or train with --workers 0`);
    return file;
  }
  fromSources ??= (async () => {
    const code = await generateRankWorker(root);
    const file = join(root, 'dist', `.rank-worker-${createHash('sha256').update(code).digest('hex').slice(0, 16)}.js`);
    if (!existsSync(file)) {
      mkdirSync(dirname(file), { recursive: true });
      writeFileAtomic(file, code);
    }
    return file;
  })();
  return fromSources;
}
