import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * What `kdmarl agent` runs: the agent bundle (dist/agent.js, built by `npm run build`) when this is
 * the compiled CLI and the bundle exists, else the modules themselves (sources under vitest, or a
 * dist without the bundle). One file to load instead of a few hundred is most of an agent's start-up.
 */
type AgentModule = { main: (argv: string[]) => Promise<number> };

export function agentBundlePath(): string | null {
  // dist/agents/process/agent-loader.js -> dist/agent.js
  if (!import.meta.url.endsWith('.js')) return null;
  const bundle = fileURLToPath(new URL('../../agent.js', import.meta.url));
  return existsSync(bundle) ? bundle : null;
}

export async function main(argv: string[]): Promise<number> {
  const bundle = agentBundlePath();
  const mod = (bundle ? await import(new URL('../../agent.js', import.meta.url).href) : await import('./agent-command.ts')) as AgentModule;
  return mod.main(argv);
}
