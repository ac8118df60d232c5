#!/usr/bin/env node
// Builds the optional native learner kernels (native/: N-API addon over OpenBLAS) with node-gyp.
// Never fails the build: without a compiler or node headers it prints one line and exits 0, and
// `kdmarl train` keeps the tfjs learner. OpenBLAS itself is opened at run time, not linked.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const nativeDir = join(root, 'native');
const addon = join(nativeDir, 'build', 'Release', 'kdmarl_native.node');

/** npm's bundled node-gyp, else one on the PATH (through npx, offline). */
function nodeGyp() {
  const npmDir = process.env.npm_execpath ? dirname(dirname(process.env.npm_execpath)) : null;
  const candidates = [
    npmDir && join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ].filter(Boolean);
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {}
  const found = candidates.find((path) => existsSync(path));
  return found ? [process.execPath, found] : ['npx', '--no-install', 'node-gyp'];
}

/** Headers of the running Node where a distribution installs them, so node-gyp need not download them. */
function nodeDir() {
  const prefix = join(dirname(process.execPath), '..');
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? ['--nodedir=' + prefix] : [];
}

const [command, ...args] = nodeGyp();
const result = spawnSync(command, [...args, 'rebuild', ...nodeDir()], { cwd: nativeDir, encoding: 'utf8' });
if (result.status === 0 && existsSync(addon)) {
  const probe = spawnSync(process.execPath, ['-e', `const m = require(${JSON.stringify(addon)}); console.log(m.blasError ?? 'OpenBLAS ' + m.blasCore)`], { encoding: 'utf8' });
  console.log(`native learner kernels built (${(probe.stdout || probe.stderr).trim().split('\n')[0]}): ${addon}`);
} else {
  const output = `${result.stderr ?? ''}\n${result.stdout ?? ''}\n${result.error?.message ?? ''}`;
  const reason = output.split('\n').map((l) => l.trim()).find((l) => /error|not found|no such|ENOENT/i.test(l)) ?? 'node-gyp failed';
  console.log(`native learner kernels not built (training uses the tfjs learner): ${reason.slice(0, 200)}`);
}
process.exit(0);
