import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentLauncher, RESTART, restartDelay } from '../../server/net/agent-launcher.ts';
import { projectRoot } from '../../shared/paths.ts';
import { ensureNetDist } from '../net/helpers/build-dist.ts';
import { nextEvent, silent, startServer, stopStarted } from '../net/helpers/net-helpers.ts';

const launchers: AgentLauncher[] = [];
afterEach(async () => {
  for (const launcher of launchers.splice(0)) await launcher.stopAll();
  await stopStarted();
});

function launcher(url: string): AgentLauncher {
  ensureNetDist();
  const l = new AgentLauncher({ url, log: silent });
  launchers.push(l);
  return l;
}

/** Resolve once every slot in `slots` has emitted `ready`. */
function allReady(l: AgentLauncher, slots: number[]): Promise<void> {
  const waiting = new Set(slots);
  return new Promise((resolve) => {
    const onReady = (slot: number): void => {
      waiting.delete(slot);
      if (waiting.size > 0) return;
      l.off('ready', onReady);
      resolve();
    };
    l.on('ready', onReady);
  });
}

describe('agent launcher restarts', () => {
  it('restarts soon for the first quick crashes in a row, then backs off up to a ceiling', () => {
    expect([1, 2, 3].map(restartDelay)).toEqual([RESTART.soonMs, RESTART.soonMs, RESTART.soonMs]);
    expect([4, 5, 6].map(restartDelay)).toEqual([250, 500, 1000]);
    expect(restartDelay(40)).toBe(RESTART.backoffMaxMs);
    expect(RESTART.soonMs).toBeLessThan(1000);
  });

  it('brings a killed agent back at once and names its slot as restarting until it holds it again', async () => {
    const server = await startServer({ scenario: 'spread' });
    const l = launcher(server.url);
    const ready = allReady(l, [0, 1, 2]);
    server.tokens.forEach((token, slot) => l.start({ slot, token, model: 'random', caps: {} }));
    await ready;
    expect(l.restarting()).toEqual([]);

    const restarting = nextEvent<[number, number]>(l, 'restarting');
    const back = nextEvent<[number]>(l, 'ready', (slot) => slot === 1);
    const reclaimed = nextEvent<[number, boolean]>(server, 'claim', (slot, reconnect) => slot === 1 && reconnect);
    expect(l.crash(1)).toBe(true);
    const [slot, delayMs] = await restarting;
    expect(slot).toBe(1);
    expect(delayMs).toBe(RESTART.soonMs);
    expect(l.restarting()).toEqual([1]);
    await Promise.all([back, reclaimed]);
    expect(l.restarting()).toEqual([]);
    expect(server.status().agents.every((a) => a.connected)).toBe(true);
    expect(l.restarts(1)).toBe(1);
  });

  it('hands a crashed slot to the warm spare, then starts a new spare', async () => {
    const server = await startServer({ scenario: 'spread' });
    ensureNetDist();
    const l = new AgentLauncher({ url: server.url, log: silent, spares: true });
    launchers.push(l);
    const ready = allReady(l, [0, 1, 2]);
    server.tokens.forEach((token, slot) => l.start({ slot, token, model: 'random', caps: {} }));
    await ready;
    const [sparePid] = l.sparePids();
    expect(sparePid).toBeGreaterThan(0);
    const takenOver = nextEvent<[number, number]>(l, 'spawned', (slot) => slot === 2);
    const back = nextEvent<[number, number]>(l, 'ready', (slot) => slot === 2);
    const nextSpare = nextEvent<[number]>(l, 'spare');
    l.crash(2);
    expect((await takenOver)[1]).toBe(sparePid);
    expect((await back)[1]).toBe(sparePid);
    const [newSparePid] = await nextSpare;
    expect(newSparePid).not.toBe(sparePid);
    expect(server.status().agents.every((a) => a.connected)).toBe(true);
  });

  it('hands the slot to a spare taken while it is still starting, once it listens', async () => {
    const server = await startServer({ scenario: 'spread' });
    ensureNetDist();
    const l = new AgentLauncher({ url: server.url, log: silent, spares: true });
    launchers.push(l);
    server.tokens.forEach((token, slot) => l.start({ slot, token, model: 'random', caps: {} }));
    // Each start hands its slot to the spare the one before started: the spare left has just been spawned and is still loading.
    const [sparePid] = l.sparePids();
    const takenOver = nextEvent<[number, number]>(l, 'spawned', (slot, pid) => slot === 0 && pid === sparePid);
    const ready = allReady(l, [0, 1, 2]);
    l.crash(0);
    await takenOver;
    await ready;
    expect(server.status().agents.every((a) => a.connected)).toBe(true);
  });

  it('backs off an agent that keeps failing on its own before it holds its slot', async () => {
    const server = await startServer({ scenario: 'spread' });
    const url = server.url;
    await server.close();
    // Nothing listens there any more: each agent gives up after its first try and exits 1 by itself.
    const l = new AgentLauncher({ url, log: silent, quietChildren: true });
    ensureNetDist();
    launchers.push(l);
    const delays: number[] = [];
    const fourth = new Promise<void>((resolve) => {
      l.on('restarting', (_slot, delay) => {
        delays.push(delay);
        if (delays.length === RESTART.freeQuickCrashes + 1) resolve();
      });
    });
    l.start({ slot: 0, token: 'x', model: 'random', caps: {}, args: ['--give-up-after', '0.001'] });
    await fourth;
    await l.stopAll();
    expect(delays).toEqual([100, 100, 100, 250]);
  });
});

describe('agents without their launcher', () => {
  it('exit when the launcher is killed with SIGKILL', async () => {
    const server = await startServer({ scenario: 'spread' });
    const cli = ensureNetDist();
    const moduleUrl = pathToFileURL(join(projectRoot(), 'dist', 'server', 'net', 'agent-launcher.js')).href;
    const fixture = join(projectRoot(), 'test', 'process', 'fixtures', 'launch-agents.mjs');
    expect(cli).toMatch(/cli\.js$/);
    const parent = spawn(process.execPath, [fixture, moduleUrl, server.url, JSON.stringify(server.tokens)], { stdio: ['ignore', 'pipe', 'pipe'] });
    // The agents inherit the launcher's stderr: this pipe ends only once the launcher and every agent have exited.
    parent.stderr.resume();
    const everyoneGone = once(parent.stderr, 'end');
    const pids: number[] = [];
    await new Promise<void>((resolve) => {
      let buffered = '';
      parent.stdout.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        for (const line of buffered.split('\n').slice(0, -1)) pids.push((JSON.parse(line) as { pid: number }).pid);
        buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
        if (pids.length === server.tokens.length) resolve();
      });
    });
    const released = Promise.all(server.tokens.map((_, slot) => nextEvent<[number]>(server, 'release', (s) => s === slot)));
    parent.kill('SIGKILL');
    await once(parent, 'exit');
    await Promise.all([released, everyoneGone]);
    expect(server.status().agents.some((a) => a.connected)).toBe(false);
    for (const pid of pids) expect(exited(pid), `agent ${pid}`).toBe(true);
  });
});

/** Gone, or a zombie waiting for the reaper it was handed to (it has exited either way). */
function exited(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}
