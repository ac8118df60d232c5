#!/usr/bin/env node
// `npm start` on a built tree: run `npm run build` only when a source is newer than what it builds.
// Two parts, each rebuilt only when stale: dist/ (tsc and the agent bundle) from the TypeScript
// sources, and viewer/dist from viewer/ and shared/ (what the viewer imports). dist/ is judged by
// the stamp `npm run build:code` writes last (`--stamp`), not by its files: the tests transpile
// single files into dist/, which must not make a half-built dist/ look current.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (...parts) => join(root, ...parts);

/** Newest mtime under these paths (files with these endings), skipping build output and dependencies. */
function newest(paths, endings) {
  let latest = 0;
  const walk = (path) => {
    if (!existsSync(path)) return;
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) if (entry !== 'node_modules' && entry !== 'dist') walk(join(path, entry));
    } else if (endings.some((ending) => path.endsWith(ending))) {
      latest = Math.max(latest, stat.mtimeMs);
    }
  };
  for (const path of paths) walk(path);
  return latest;
}

/** Oldest of the outputs, or 0 when one is missing. */
function oldest(outputs) {
  let earliest = Infinity;
  for (const output of outputs) {
    if (!existsSync(output)) return 0;
    earliest = Math.min(earliest, statSync(output).mtimeMs);
  }
  return earliest;
}

const stamp = at('dist', '.built');
if (process.argv.includes('--stamp')) {
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
  process.exit(0);
}

const config = [at('package.json'), at('tsconfig.json'), at('tsconfig.build.json')];
// build:code also builds the native learner, so its C sources count as code.
const codeStale = newest([at('cli.ts'), at('server'), at('agents'), at('shared'), at('bench'), at('native', 'src'), at('native', 'binding.gyp'), ...config], ['.ts', '.json', '.c', '.h', '.gyp']) > oldest([stamp, at('dist', 'cli.js'), at('dist', 'agent.js')]);
const viewerStale = newest([at('viewer'), at('shared'), ...config], ['.ts', '.js', '.html', '.css', '.json']) > oldest([at('viewer', 'dist', 'index.html')]);

const run = (script) => {
  const result = spawnSync('npm', ['run', script, '--silent'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};
if (codeStale) run('build:code');
if (viewerStale) run('build:viewer');
