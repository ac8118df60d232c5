#!/usr/bin/env node
// Before `npm test`: the viewer's browser tests need Chromium. Where it is missing and this process
// may install it (root, apt-get present), install Debian's package; otherwise say in one line what to
// install and how to point CHROMIUM_PATH at it (those tests then skip, saying the same).
// Same places as test/viewer/harness.ts: CHROMIUM_PATH when set, else /usr/bin/chromium(-browser).
// KDMARL_NO_INSTALL=1: never install, only say.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chosen = process.env.CHROMIUM_PATH;
const debian = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];
const say = (line) => console.error(`pretest: ${line}`);
const howTo = 'install it (Debian: apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium binary; the browser tests are skipped until then';

if (chosen) {
  if (!existsSync(chosen)) say(`CHROMIUM_PATH=${chosen} does not exist: ${howTo}`);
  process.exit(0);
}
if (debian.some((path) => existsSync(path))) process.exit(0);

const hasAptGet = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
const isRoot = process.getuid?.() === 0;
if (process.platform !== 'linux' || !hasAptGet || !isRoot || process.env.KDMARL_NO_INSTALL === '1') {
  const why = process.env.KDMARL_NO_INSTALL === '1' ? 'KDMARL_NO_INSTALL=1' : !hasAptGet ? 'no apt-get here' : !isRoot ? 'not root' : process.platform;
  say(`no Chromium for the browser tests (${why}): ${howTo}`);
  process.exit(0);
}

say('no Chromium found: installing Debian\'s chromium for the browser tests (apt-get install -y chromium)...');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['update', '-qq'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  execFileSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: ['ignore', 'ignore', 'inherit'], env });
} catch {
  say(`apt-get install -y chromium failed: ${howTo}`);
  process.exit(0);
}
say(debian.some((path) => existsSync(path)) ? 'chromium installed' : `apt-get installed chromium but it is not at ${debian.join(' or ')}: set CHROMIUM_PATH`);
