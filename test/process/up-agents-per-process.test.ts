import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { groupSlots } from '../../agents/process/agent-groups.ts';
import { slotSpec } from '../../shared/slot-spec.ts';
import { ensureNetDist } from '../net/helpers/build-dist.ts';

type Line = Record<string, unknown>;

/** `kdmarl up --json` with every stdout line parsed; `next(match)` waits for the next line that matches. */
function startUp(args: string[]): { child: ChildProcess; next: (match: (line: Line) => boolean) => Promise<Line>; exit: Promise<number | null>; stderr: () => string } {
  const cli = ensureNetDist();
  const child = spawn(process.execPath, [cli, 'up', '--json', '--mode', 'lockstep', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const seen: Line[] = [];
  const waiters: { match: (line: Line) => boolean; resolve: (line: Line) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (text) => {
    const line = JSON.parse(text) as Line;
    const waiter = waiters.find((w) => w.match(line));
    if (waiter) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(line);
    } else seen.push(line);
  });
  // 'close', not 'exit': stdout and stderr are read to their end by then.
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const next = (match: (line: Line) => boolean): Promise<Line> => {
    const k = seen.findIndex(match);
    if (k >= 0) return Promise.resolve(seen.splice(k, 1)[0]);
    return new Promise((resolve) => waiters.push({ match, resolve }));
  };
  return { child, next, exit, stderr: () => err };
}

const running: ChildProcess[] = [];
afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await gone;
  }
});

type Status = { tick: number; agents: { slot: number; connected: boolean; claims: number }[]; restarting: number[] };
const isStatus = (line: Line): boolean => typeof line.tick === 'number' && Array.isArray(line.agents);
const allConnected = (line: Line): boolean => isStatus(line) && (line as Status).agents.every((a) => a.connected);

describe('kdmarl up --agents-per-process', () => {
  it('groups slots of the same caps in slot order, at most N to a process', () => {
    expect(groupSlots([{}, {}, {}], 3)).toEqual([[0, 1, 2]]);
    expect(groupSlots([{}, {}, {}], 2)).toEqual([[0, 1], [2]]);
    expect(groupSlots([{}, {}, {}], 1)).toEqual([[0], [1], [2]]);
    expect(groupSlots([{}, {}, {}], 64)).toEqual([[0, 1, 2]]);
    // Caps are process flags: slots with other caps get processes of their own.
    expect(groupSlots([{ flops: 10 }, { flops: 20 }, { flops: 10 }, { flops: 20 }], 4)).toEqual([
      [0, 2],
      [1, 3],
    ]);
    expect(slotSpec([0, 1, 2, 5, 7, 8])).toBe('0-2,5,7-8');
  });

  it('runs 3 slots in one process, and restarts that process (all 3 slots) after it is killed', async () => {
    const up = startUp(['--scenario', 'spread', '--agents-per-process', '3', '--duration', '120']);
    expect(await up.next((l) => typeof l.processes === 'number')).toMatchObject({ agents: 3, processes: 1 });
    const spawned = await up.next((l) => Array.isArray(l.spawned));
    expect(spawned.spawned).toEqual([0, 1, 2]);
    const first = (await up.next(allConnected)) as Status;
    const later = (await up.next((l) => isStatus(l) && (l as Status).tick > first.tick)) as Status;
    expect(later.tick).toBeGreaterThan(first.tick);

    process.kill(spawned.pid as number, 'SIGKILL');
    const crashed = await up.next((l) => l.crashed !== undefined);
    expect(crashed).toMatchObject({ crashed: 0, slots: [0, 1, 2], signal: 'SIGKILL' });
    const respawned = await up.next((l) => Array.isArray(l.spawned));
    expect(respawned.spawned).toEqual([0, 1, 2]);
    expect(respawned.pid).not.toBe(spawned.pid);
    // Every slot claimed a second time, by the new process, and the world ticks on.
    const back = (await up.next((l) => allConnected(l) && (l as Status).agents.every((a) => a.claims >= 2))) as Status;
    expect(back.restarting).toEqual([]);
    const after = (await up.next((l) => isStatus(l) && (l as Status).tick > back.tick)) as Status;
    expect(after.tick).toBeGreaterThan(back.tick);

    up.child.kill('SIGTERM');
    expect(await up.exit).toBe(0);
    const final = await up.next((l) => l.final !== undefined);
    expect((final.final as Status).agents).toHaveLength(3);
    // up waits for its agent processes before it exits: the group process is gone.
    expect(() => process.kill(respawned.pid as number, 0)).toThrow(/ESRCH/);
  });

  it('runs 2 + 1 slots in two processes, every slot claimed', async () => {
    const up = startUp(['--scenario', 'spread', '--agents-per-process', '2', '--duration', '120']);
    expect(await up.next((l) => typeof l.processes === 'number')).toMatchObject({ agents: 3, processes: 2 });
    // Only the process with several slots is announced; the single slot runs as before.
    expect((await up.next((l) => Array.isArray(l.spawned))).spawned).toEqual([0, 1]);
    const first = (await up.next(allConnected)) as Status;
    expect(first.agents.map((a) => a.claims)).toEqual([1, 1, 1]);
    const later = (await up.next((l) => isStatus(l) && (l as Status).tick > first.tick)) as Status;
    expect(later.tick).toBeGreaterThan(first.tick);
    up.child.kill('SIGTERM');
    expect(await up.exit).toBe(0);
  });

  it('refuses a bad count with one line naming the flag', async () => {
    const up = startUp(['--agents-per-process', '0']);
    expect(await up.exit).toBe(1);
    expect(up.stderr().trim().split('\n')).toEqual(["kdmarl: --agents-per-process: expected 1 or more slots per process ('kdmarl up --help' lists the options)"]);
  });
});
