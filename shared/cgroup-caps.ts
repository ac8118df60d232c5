import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CapEnforcement, CapsEnforcement } from './session-messages.ts';

/**
 * Real cpu and memory caps: the agent process moves itself into a cgroup of its own (a child of
 * the cgroup it was started in), with a CPU quota (`cpu.max` on v2, `cpu.cfs_quota_us` on v1) and
 * a memory limit (`memory.max` / `memory.limit_in_bytes`). Where that cannot be done (not root, no
 * cgroup filesystem, a v2 parent that cannot delegate its controllers, KDMARL_NO_CGROUP set) the
 * caps stay emulated: the reply delay of slot-runner.ts and the heap cap and RSS watchdog of
 * agent-command.ts. The cgroup is named after the process (`kdmarl-agent-<pid>`) and removed when
 * it exits; a launcher removes one left by an agent that was killed (removeAgentCgroup).
 */
export type CgroupCaps = {
  enforcement: CapsEnforcement;
  /** Why the caps are emulated, when they are and a cgroup was wanted. */
  reason: string | null;
  /** Leave the cgroup and remove it (on exit; synchronous). */
  leave: () => void;
};

/** Where one controller's hierarchy is mounted and this process's place in it. */
type Hierarchy = { mount: string; own: string };

const CGROUP_ROOT = '/sys/fs/cgroup';
const PERIOD_US = 100_000;
/** The kernel's smallest CFS quota. */
const MIN_QUOTA_US = 1000;

/**
 * Put this process in a cgroup with `cpu` (share of one core) and `memoryMb`. The cpu quota is
 * taken only when `cpuInCgroup`: a host process runs many slots, each with the share as if alone,
 * which one quota on the whole process cannot express, so it keeps the per-slot emulation.
 */
export function enterCgroup(caps: { cpu?: number; memoryMb?: number }, cpuInCgroup: boolean, pid = process.pid): CgroupCaps {
  const wantCpu = caps.cpu !== undefined && cpuInCgroup;
  const wantMemory = caps.memoryMb !== undefined;
  const emulated = (reason: string | null): CgroupCaps => ({
    enforcement: { ...(caps.cpu !== undefined ? { cpu: 'emulated' } : {}), ...(wantMemory ? { memory: 'emulated' } : {}) },
    reason,
    leave: () => undefined,
  });
  if (!wantCpu && !wantMemory) return emulated(caps.cpu !== undefined ? 'several slots in one process: the cpu share is per slot' : null);
  if (process.env.KDMARL_NO_CGROUP) return emulated('KDMARL_NO_CGROUP is set');
  if (process.platform !== 'linux') return emulated(`no cgroups on ${process.platform}`);
  const created: { dir: string; parent: string }[] = [];
  const undo = (): void => {
    for (const { dir, parent } of created.splice(0).reverse()) {
      tryWrite(join(parent, 'cgroup.procs'), String(pid));
      tryRmdir(dir);
    }
  };
  try {
    const version = cgroupVersion();
    const controllers = [...(wantCpu ? ['cpu'] : []), ...(wantMemory ? ['memory'] : [])];
    const name = cgroupName(pid);
    if (version === 'cgroup-v2') {
      const h = hierarchyV2();
      const parent = join(h.mount, h.own);
      sweepStale(parent);
      // The parent must hand its controllers down; a non-root parent holding processes cannot (EBUSY).
      writeFileSync(join(parent, 'cgroup.subtree_control'), controllers.map((c) => `+${c}`).join(' '));
      const dir = join(parent, name);
      mkdirSync(dir);
      created.push({ dir, parent });
      if (wantCpu) writeFileSync(join(dir, 'cpu.max'), `${quotaUs(caps.cpu!)} ${PERIOD_US}`);
      if (wantMemory) writeFileSync(join(dir, 'memory.max'), String(cgroupMemoryBytes(caps.memoryMb!)));
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    } else {
      for (const controller of controllers) {
        const h = hierarchyV1(controller);
        const parent = join(h.mount, h.own);
        sweepStale(parent);
        const dir = join(parent, name);
        mkdirSync(dir);
        created.push({ dir, parent });
        if (controller === 'cpu') {
          writeFileSync(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
          writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quotaUs(caps.cpu!)));
        } else {
          writeFileSync(join(dir, 'memory.limit_in_bytes'), String(cgroupMemoryBytes(caps.memoryMb!)));
        }
        // v1: writing the pid to cgroup.procs moves every thread of the process.
        writeFileSync(join(dir, 'cgroup.procs'), String(pid));
      }
    }
    return {
      enforcement: { ...(caps.cpu !== undefined ? { cpu: wantCpu ? version : 'emulated' } : {}), ...(wantMemory ? { memory: version } : {}) },
      reason: null,
      leave: undo,
    };
  } catch (error) {
    undo();
    const code = (error as NodeJS.ErrnoException).code;
    const path = (error as NodeJS.ErrnoException).path;
    return emulated(`cannot use a cgroup${path ? ` (${path})` : ''}: ${code ?? (error as Error).message}`);
  }
}

/** Remove the cgroups of an agent process that has exited (killed before it could remove them itself). */
export function removeAgentCgroup(pid: number): void {
  if (process.platform !== 'linux') return;
  const name = cgroupName(pid);
  try {
    if (cgroupVersion() === 'cgroup-v2') {
      const h = hierarchyV2();
      tryRmdir(join(h.mount, h.own, name));
      return;
    }
    for (const controller of ['cpu', 'memory']) {
      const h = hierarchyV1(controller);
      tryRmdir(join(h.mount, h.own, name));
    }
  } catch {
    // No cgroup filesystem: nothing was created.
  }
}

/**
 * Why this process could not give an agent a cgroup (not Linux, not root, no writable cpu or
 * memory hierarchy), or null: a probe cgroup is made and removed again.
 */
export function cgroupProbe(): string | null {
  if (process.platform !== 'linux') return `no cgroups on ${process.platform}`;
  const name = `kdmarl-probe-${process.pid}`;
  try {
    let parents: string[];
    if (cgroupVersion() === 'cgroup-v2') {
      const h = hierarchyV2();
      const available = readFileSync(join(h.mount, h.own, 'cgroup.controllers'), 'utf8').split(/\s+/);
      if (!available.includes('cpu') || !available.includes('memory')) return `cgroup v2: cpu and memory are not delegated to ${h.own}`;
      parents = [join(h.mount, h.own)];
    } else {
      parents = ['cpu', 'memory'].map((c) => join(hierarchyV1(c).mount, hierarchyV1(c).own));
    }
    for (const parent of parents) {
      mkdirSync(join(parent, name));
      rmdirSync(join(parent, name));
    }
    return null;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    return `cannot make a cgroup${e.path ? ` (${e.path})` : ''}: ${e.code ?? e.message}`;
  }
}

/** Pure v2 when the root has `cgroup.controllers` with cpu and memory; else v1's cpu and memory hierarchies (hybrid hosts too). */
export function cgroupVersion(root = CGROUP_ROOT): Exclude<CapEnforcement, 'emulated'> {
  const controllers = join(root, 'cgroup.controllers');
  if (existsSync(controllers)) return 'cgroup-v2';
  return 'cgroup-v1';
}

export function cgroupName(pid: number): string {
  return `kdmarl-agent-${pid}`;
}

function quotaUs(cpu: number): number {
  return Math.max(MIN_QUOTA_US, Math.round(cpu * PERIOD_US));
}

function hierarchyV2(): Hierarchy {
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('0::'));
  if (!line) throw new Error('no cgroup v2 entry in /proc/self/cgroup');
  return { mount: CGROUP_ROOT, own: line.slice(3) };
}

/** The mount point of the v1 hierarchy holding `controller` (from mountinfo) and this process's path in it. */
function hierarchyV1(controller: string): Hierarchy {
  let mount: string | null = null;
  let mountRoot = '/';
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!right?.startsWith('cgroup ')) continue;
    const options = right.split(' ')[2]?.split(',') ?? [];
    if (!options.includes(controller)) continue;
    const fields = left.split(' ');
    mountRoot = fields[3];
    mount = fields[4];
    break;
  }
  if (!mount) throw new Error(`no cgroup v1 '${controller}' hierarchy is mounted`);
  const line = readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[1]?.split(',').includes(controller));
  if (!line) throw new Error(`this process has no '${controller}' cgroup`);
  const path = line.split(':').slice(2).join(':');
  const own = mountRoot !== '/' && path.startsWith(mountRoot) ? path.slice(mountRoot.length) || '/' : path;
  return { mount, own };
}

/** Agent cgroups whose process is gone (killed with nobody to clean up): removed if empty. */
function sweepStale(parent: string): void {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    const match = /^kdmarl-agent-(\d+)$/.exec(name);
    if (match && !alive(Number(match[1]))) tryRmdir(join(parent, name));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryWrite(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch {
    // Best effort while undoing.
  }
}

function tryRmdir(path: string): void {
  try {
    rmdirSync(path);
  } catch {
    // Not there, or still holds a process (it is removed once that exits).
  }
}

/**
 * The cgroup's hard limit for a memory cap: a margin above the cap, so that the agent's own RSS
 * check (which exits with a line saying so) fires before the kernel's OOM killer ends it silently.
 */
export function cgroupMemoryBytes(memoryMb: number): number {
  return Math.ceil(memoryMb * 1.1 + 16) * 2 ** 20;
}
