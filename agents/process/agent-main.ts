import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from './agent-command.ts';

/**
 * Entry of the agent bundle (dist/agent.js, see bundle-agent.ts): `node dist/agent.js --server ...
 * --slot 0` takes the same flags as `kdmarl agent`, which loads this bundle too when it is built.
 */
export { main };

if (isMainModule()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(`kdmarl agent: ${error instanceof Error ? error.message : String(error)}`);
      if (process.env.KDMARL_DEBUG) console.error(error);
      process.exitCode = 1;
    },
  );
}

/** Run as `node this-file.js` (paths compared after resolving symlinks; a URL would escape spaces). */
function isMainModule(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
