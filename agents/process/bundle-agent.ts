import { statSync } from 'node:fs';
import { join } from 'node:path';
import { rolldown } from 'rolldown';
import { isMainModule } from '../../shared/main-module.ts';
import { projectRoot } from '../../shared/paths.ts';
import { bundleRankWorker } from '../learn/parallel/bundle.ts';

/**
 * Bundles the agent process (agents/process/agent-main.ts and everything it reaches, npm packages
 * included) into one ES module, dist/agent.js. An agent process then reads and compiles one file
 * instead of resolving a few hundred (ws, zod, msgpackr): start-up is mostly module loading.
 * Run by `npm run build` after tsc (node dist/agents/process/bundle-agent.js) and by the tests.
 */
export const AGENT_ENTRY = 'agents/process/agent-main.ts';
export const AGENT_BUNDLE = join('dist', 'agent.js');

/** Optional native add-ons that ws loads inside try/catch when installed; left to run time. */
const OPTIONAL_NATIVE = ['bufferutil', 'utf-8-validate'];
/**
 * msgpackr's native add-on only speeds up string-heavy data, and loading it costs an agent ~5 MiB
 * and ~10 ms: the bundle gets an empty module in its place (msgpackr then uses its JS decoder).
 */
const NO_MSGPACKR_EXTRACT = '\0kdmarl:no-msgpackr-extract';

/** `file`: where to write it (default dist/agent.js under `root`). `modules`: every module the bundle holds. */
export async function bundleAgent(options: { root?: string; file?: string } = {}): Promise<{ file: string; bytes: number; modules: string[] }> {
  const root = options.root ?? projectRoot();
  const bundle = await rolldown({
    input: join(root, AGENT_ENTRY),
    platform: 'node',
    external: (id) => id.startsWith('node:') || OPTIONAL_NATIVE.includes(id),
    logLevel: 'warn',
    plugins: [
      {
        name: 'kdmarl-no-msgpackr-extract',
        resolveId: (id) => (id === 'msgpackr-extract' ? NO_MSGPACKR_EXTRACT : null),
        load: (id) => (id === NO_MSGPACKR_EXTRACT ? 'module.exports = null;' : null),
      },
    ],
  });
  try {
    const file = options.file ?? join(root, AGENT_BUNDLE);
    const { output } = await bundle.write({
      file,
      format: 'esm',
      // One file: the scripted baselines (a dynamic import) are small.
      codeSplitting: false,
      minify: false,
    });
    const chunk = output[0];
    return { file, bytes: statSync(file).size, modules: chunk.type === 'chunk' ? chunk.moduleIds : [] };
  } finally {
    await bundle.close();
  }
}

if (isMainModule(import.meta.url)) {
  bundleAgent().then(
    (r) => console.log(`agent bundle: ${r.file} (${Math.round(r.bytes / 1024)} KiB, ${r.modules.length} modules)`),
    (error: unknown) => {
      console.error(`agent bundle failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
  // `npm run build:code` runs this file: it also writes the training worker threads' bundle.
  bundleRankWorker().then(
    (r) => console.log(`rank worker bundle: ${r.file} (${Math.round(r.bytes / 1024)} KiB)`),
    (error: unknown) => {
      console.error(`rank worker bundle failed: ${error instanceof Error ? error.message : String(error)}`);
      process.exitCode = 1;
    },
  );
}
