#!/usr/bin/env node
// Slots' time offline under `kdmarl up` while one of its agent processes is killed (SIGKILL) every
// second: starts `node dist/cli.js up` on the built tree, kills a random agent child on a fixed
// cadence, polls the server's /status every 50 ms and sums the time each slot spent disconnected.
//   node scripts/up-kill-soak.mjs [--seconds 60] [--every 1] [--scenario 3m]
import { execFileSync, spawn } from 'node:child_process';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { seconds: { type: 'string', default: '60' }, every: { type: 'string', default: '1' }, scenario: { type: 'string' } },
});
const seconds = Number(values.seconds);
const everyMs = Number(values.every) * 1000;
const pollMs = 50;

const upArgs = ['dist/cli.js', 'up', '--json', '--log-level', 'error', ...(values.scenario ? ['--scenario', values.scenario] : [])];
const up = spawn(process.execPath, upArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
let statusUrl = null;
let statusLines = 0;
let statusLinesWithOffline = 0;
let buffered = '';
const viewerSeen = new Promise((resolve) => {
  up.stdout.on('data', (chunk) => {
    buffered += chunk.toString();
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const viewer = /viewer: (http:\/\/[^/]+\/)/.exec(line);
      if (viewer) {
        statusUrl = `${viewer[1]}status`;
        resolve();
      }
      if (line.startsWith('{"scenario"') && soaking) {
        statusLines++;
        if (JSON.parse(line).agents.some((a) => !a.connected)) statusLinesWithOffline++;
      }
    }
  });
});
let soaking = false;

const status = async () => (await fetch(statusUrl)).json();
const agentPids = () => {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(up.pid)], { encoding: 'utf8' }).split('\n').map(Number).filter((p) => p > 0);
  } catch {
    return [];
  }
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

await viewerSeen;
for (;;) {
  const s = await status();
  if (s.agents.every((a) => a.connected)) break;
  await sleep(pollMs);
}
const slots = (await status()).agents.length;
const offlineMs = new Array(slots).fill(0);
const longestMs = new Array(slots).fill(0);
const stretch = new Array(slots).fill(0);
let kills = 0;
soaking = true;
const start = performance.now();
let nextKill = start;
let last = start;
while (performance.now() - start < seconds * 1000) {
  const now = performance.now();
  if (now >= nextKill) {
    const pids = agentPids();
    if (pids.length > 0) {
      process.kill(pids[Math.floor(Math.random() * pids.length)], 'SIGKILL');
      kills++;
    }
    nextKill += everyMs;
  }
  const s = await status();
  const t = performance.now();
  s.agents.forEach((a, i) => {
    if (a.connected) {
      stretch[i] = 0;
      return;
    }
    offlineMs[i] += t - last;
    stretch[i] += t - last;
    longestMs[i] = Math.max(longestMs[i], stretch[i]);
  });
  last = t;
  await sleep(pollMs);
}
soaking = false;
const elapsed = (performance.now() - start) / 1000;
up.kill('SIGINT');
await new Promise((resolve) => up.on('exit', resolve));
const total = offlineMs.reduce((a, b) => a + b, 0) / 1000;
console.log(
  JSON.stringify({
    seconds: Number(elapsed.toFixed(1)),
    slots,
    kills,
    offlineSecondsPerSlot: offlineMs.map((ms) => Number((ms / 1000).toFixed(2))),
    offlineSlotSeconds: Number(total.toFixed(2)),
    offlineShare: Number((total / (slots * elapsed)).toFixed(3)),
    meanOfflinePerKillMs: kills > 0 ? Math.round((1000 * total) / kills) : 0,
    longestOfflineMs: Math.round(Math.max(...longestMs)),
    statusLinesWithASlotOffline: `${statusLinesWithOffline}/${statusLines}`,
  }),
);
