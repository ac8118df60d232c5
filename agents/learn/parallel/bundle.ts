import { existsSync, rmSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { projectRoot } from '../../../shared/paths.ts';

/**
 * Worker threads cannot load .ts under Node 20: the rank worker runs as one bundled ES module,
 * dist/rank-worker.js, written by `npm run build:code`. npm packages stay outside the bundle
 * (imported from node_modules at run time, as the rest of dist does).
 */
export const RANK_WORKER_ENTRY = 'agents/learn/parallel/rank-worker.ts';
export const RANK_WORKER_BUNDLE = join('dist', 'rank-worker.js');

export async function bundleRankWorker(options: { root?: string; file?: string } = {}): Promise<{ file: string; bytes: number }> {
  const root = options.root ?? projectRoot();
  // A build tool (devDependency): loaded only when bundling, never by a trainer running built code.
  const { rolldown } = await import('rolldown');
  const bundle = await rolldown({
    input: join(root, RANK_WORKER_ENTRY),
    platform: 'node',
    external: (id) => id.startsWith('node:') || !(id.startsWith('.') || isAbsolute(id)),
    logLevel: 'warn',
  });
  try {
    const file = options.file ?? join(root, RANK_WORKER_BUNDLE);
    await bundle.write({ file, format: 'esm', codeSplitting: false, minify: false });
    return { file, bytes: statSync(file).size };
  } finally {
    await bundle.close();
  }
}

let fromSources: Promise<string> | null = null;

/**
 * The rank worker's script. Built code uses dist/rank-worker.js; code run from its .ts sources
 * (tests, benchmarks under a TS loader) bundles those sources once per process into a file of its
 * own under dist/ (inside the project, so the bundle's npm imports resolve), removed at exit.
 */
export async function rankWorkerScript(): Promise<string> {
  if (!import.meta.url.endsWith('.ts')) {
    const file = join(projectRoot(), RANK_WORKER_BUNDLE);
    if (!existsSync(file)) throw new Error(`${file}: missing (the training worker threads run it): run 'npm run build:code', or train with --workers 0`);
    return file;
  }
  fromSources ??= (async () => {
    const file = join(projectRoot(), 'dist', `.rank-worker-${process.pid}-${threadId}.js`);
    process.on('exit', () => rmSync(file, { force: true }));
    await bundleRankWorker({ file });
    return file;
  })();
  return fromSources;
}
