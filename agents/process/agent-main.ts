import { isMainModule } from '../../shared/main-module.ts';
import { main } from './agent-command.ts';

/**
 * Entry of the agent bundle (dist/agent.js, see bundle-agent.ts): `node dist/agent.js --server ...
 * --slot 0` takes the same flags as `kdmarl agent`, which loads this bundle too when it is built.
 */
export { main };

if (isMainModule(import.meta.url)) {
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
