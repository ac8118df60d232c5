// What every measurement here starts from: the built code of the checkout named by the first
// argument (default: the current directory), the count the second argument gives, and a transport
// simulation in its file's `vmas` mode.
import { resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const { createSimulation } = await import(`${root}/dist/server/scenarios/registry.js`);
export const { Rng, deriveSeed } = await import(`${root}/dist/shared/rng.js`);
export const sim = createSimulation('transport', {});

/** The second argument as a number (episodes or resets), else `fallback`. */
export function countArg(fallback) {
  return Number(process.argv[3] ?? fallback);
}
