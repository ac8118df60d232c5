import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { cgroupMemoryBytes, cgroupName, cgroupProbe, cgroupVersion, enterCgroup } from '../../shared/cgroup-caps.ts';
import { SlotRunner } from '../../agents/process/slot-runner.ts';
import { encode } from '../../shared/codec.ts';
import { POLICY_FORMAT, POLICY_FORMAT_VERSION, type PolicyFile } from '../../shared/model-format.ts';
import type { SlotInfo } from '../../shared/handshake-protocol.ts';
import type { NetServer } from '../../server/net/net-server.ts';
import { statusLine } from '../../server/net/status-line.ts';
import { capText, parseInspectReply } from '../../viewer/src/ui/inspect-panel.ts';
import { ensureAgentDist } from '../net/helpers/build-dist.ts';
import { inProcessAgent, nextEvent, spawnNode, spectator, startServer, stopStarted, ticks, type SpawnedAgent } from '../net/helpers/net-helpers.ts';

afterEach(stopStarted);

/** Two-agent spread: the agent under test holds slot 0, a random agent in this process slot 1. */
async function server2(): Promise<NetServer> {
  const server = await startServer({ scenario: 'spread', agents: 2, deadlineMs: 5000 });
  await inProcessAgent(server, [1]);
  return server;
}

/** A student for spread's agent_0 whose every decision is a few million multiply-adds: an agent that keeps its core busy. */
function busyPolicy(server: NetServer): Uint8Array {
  const input = server.world.studentViews[0].size;
  const width = 512;
  const dense = (inputSize: number, outputSize: number, activation: 'relu' | 'linear') => ({
    kind: 'dense' as const,
    inputSize,
    outputSize,
    activation,
    weight: Float32Array.from({ length: inputSize * outputSize }, (_, k) => Math.sin(k) / Math.sqrt(inputSize)),
    bias: new Float32Array(outputSize),
  });
  const policy: PolicyFile = {
    format: POLICY_FORMAT,
    version: POLICY_FORMAT_VERSION,
    scenario: 'spread',
    role: 'student',
    producedBy: 'test',
    agents: { agent_0: { net: 'busy', view: server.world.defaultViews[0] } },
    nets: { busy: { inputSize: input, layers: [dense(input, width, 'relu'), ...Array.from({ length: 8 }, () => dense(width, width, 'relu')), dense(width, 5, 'linear')] } },
  };
  return encode(policy);
}

/** utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15). */
function cpuSeconds(pid: number, ticksPerSecond: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** Ticks until the agent's report has said how its caps hold. */
async function enforcementOf(server: NetServer): Promise<unknown> {
  while (server.status().agents[0].enforcement === null) await ticks(server, 2);
  return server.status().agents[0].enforcement;
}

/** `node --max-old-space-size=MB dist/cli.js agent ...` as the launcher starts it (the heap cap given, so no re-exec: the pid is the agent's). */
function spawnCapped(server: NetServer, model: string, caps: string[], env: NodeJS.ProcessEnv = {}): SpawnedAgent {
  return spawnNode(['--max-old-space-size=256', ensureAgentDist(), 'agent', '--server', server.url, '--slot', '0', '--model', model, '--log-level', 'warn', ...caps], {
    ...process.env,
    ...env,
    KDMARL_AGENT_TOKEN: server.tokens[0],
  });
}

/** The process's cgroup path in the v1 hierarchy of `controller`, or in the v2 one (controller ''). */
function cgroupPath(controller: string, pid: number): string {
  const line = readFileSync(`/proc/${pid}/cgroup`, 'utf8')
    .split('\n')
    .find((l) => (controller === '' ? l.startsWith('0::') : l.split(':')[1]?.split(',').includes(controller)))!;
  return line.split(':').slice(2).join(':');
}

const unavailable = cgroupProbe();

describe('cpu and memory caps', () => {
  it.skipIf(unavailable !== null)(`--cpu 0.25 holds a busy agent to a quarter of a core with a cgroup of its own, removed when it exits${unavailable ? ` (skipped: ${unavailable})` : ''}`, async () => {
    const server = await server2();
    const dir = mkdtempSync(join(tmpdir(), 'kdmarl-busy-'));
    const model = join(dir, 'busy.policy');
    writeFileSync(model, busyPolicy(server));
    const agent = spawnCapped(server, model, ['--cpu', '0.25', '--memory', '200']);
    await nextEvent(server, 'claim', (slot: number) => slot === 0);
    const pid = agent.child.pid!;
    const version = cgroupVersion();
    expect(await enforcementOf(server)).toEqual({ cpu: version, memory: version });
    expect(statusLine(server.status())).toContain(`cpu 0.25 ${version} mem 200M ${version}`);
    // The process sits in its own cgroup, with the quota and the limit asked for.
    const cpuDir = version === 'cgroup-v1' ? join('/sys/fs/cgroup/cpu', cgroupPath('cpu', pid)) : join('/sys/fs/cgroup', cgroupPath('', pid));
    const memoryDir = version === 'cgroup-v1' ? join('/sys/fs/cgroup/memory', cgroupPath('memory', pid)) : cpuDir;
    expect(cpuDir.endsWith(`/${cgroupName(pid)}`)).toBe(true);
    expect(memoryDir.endsWith(`/${cgroupName(pid)}`)).toBe(true);
    if (version === 'cgroup-v1') {
      expect(readFileSync(join(cpuDir, 'cpu.cfs_quota_us'), 'utf8').trim()).toBe('25000');
      expect(readFileSync(join(memoryDir, 'memory.limit_in_bytes'), 'utf8').trim()).toBe(String(cgroupMemoryBytes(200)));
    } else {
      expect(readFileSync(join(cpuDir, 'cpu.max'), 'utf8').trim()).toBe('25000 100000');
      expect(readFileSync(join(memoryDir, 'memory.max'), 'utf8').trim()).toBe(String(cgroupMemoryBytes(200)));
    }
    const throttledBefore = Number(/nr_throttled (\d+)/.exec(readFileSync(join(cpuDir, 'cpu.stat'), 'utf8'))![1]);
    // CPU time over a wall interval of at least 3 s, both measured at ticks.
    const hz = Number(execFileSync('getconf', ['CLK_TCK']).toString());
    const wall0 = performance.now();
    const cpu0 = cpuSeconds(pid, hz);
    while (performance.now() - wall0 < 3000) await ticks(server, 1);
    const share = (cpuSeconds(pid, hz) - cpu0) / ((performance.now() - wall0) / 1000);
    const throttled = Number(/nr_throttled (\d+)/.exec(readFileSync(join(cpuDir, 'cpu.stat'), 'utf8'))![1]) - throttledBefore;
    console.log(`busy agent under --cpu 0.25: ${share.toFixed(3)} of a core, throttled ${throttled} times`);
    // Uncapped, this agent used 0.49 of a core on this machine under a load of 11; throttling shows
    // only when the machine leaves it a quarter of a core to use, so it is logged, not asserted.
    expect(share).toBeLessThanOrEqual(0.3);
    agent.child.kill('SIGTERM');
    expect(await agent.exit).toBe(0);
    expect(existsSync(cpuDir)).toBe(false);
    expect(existsSync(memoryDir)).toBe(false);
  });

  it('without a cgroup the caps are emulated, and the report says so', async () => {
    const server = await server2();
    const agent = spawnCapped(server, 'random', ['--cpu', '0.5', '--memory', '200'], { KDMARL_NO_CGROUP: '1' });
    await nextEvent(server, 'claim', (slot: number) => slot === 0);
    expect(await enforcementOf(server)).toEqual({ cpu: 'emulated', memory: 'emulated' });
    expect(statusLine(server.status())).toContain('cpu 0.5 emulated mem 200M emulated');
    expect(readFileSync(`/proc/${agent.child.pid}/cgroup`, 'utf8')).not.toContain('kdmarl-agent-');
    // The viewer's inspector gets the caps and how they hold.
    const viewer = await spectator(server);
    await viewer.next('scene');
    viewer.send({ kind: 'inspect', agent: 0 });
    const reply = parseInspectReply(await viewer.next('inspect'))!;
    expect(reply).toMatchObject({ cpuCap: 0.5, memoryCapMb: 200, cpuEnforcement: 'emulated', memoryEnforcement: 'emulated' });
    expect(capText('0.5 of a core', reply.cpuEnforcement)).toBe('0.5 of a core · emulated by the agent');
    expect(capText('200 MB', 'cgroup-v1')).toBe('200 MB · cgroup-v1 (enforced by the OS)');
    agent.child.kill('SIGTERM');
    expect(await agent.exit).toBe(0);
  });

  it('a host of several slots keeps the per-slot cpu emulation; a cgroup-held share adds no reply delay', () => {
    const previous = process.env.KDMARL_NO_CGROUP;
    process.env.KDMARL_NO_CGROUP = '1';
    try {
      expect(enterCgroup({ cpu: 0.5 }, false).enforcement).toEqual({ cpu: 'emulated' });
      expect(enterCgroup({ cpu: 0.5, memoryMb: 64 }, true)).toMatchObject({ enforcement: { cpu: 'emulated', memory: 'emulated' }, reason: 'KDMARL_NO_CGROUP is set' });
      expect(enterCgroup({}, true).enforcement).toEqual({});
    } finally {
      if (previous === undefined) delete process.env.KDMARL_NO_CGROUP;
      else process.env.KDMARL_NO_CGROUP = previous;
    }
    const info = { slot: 0, observationSize: 1, actionCount: 2 } as SlotInfo;
    const spinning = { label: 'spin', flops: 0, observationSize: 1, decide: () => {
      const until = performance.now() + 2;
      while (performance.now() < until);
      return 0;
    } };
    const emulated = new SlotRunner(info, spinning, { cpu: 0.25 });
    emulated.decide(new Float32Array(1), 0, new Uint8Array(2), 0, 0);
    expect(emulated.replyDelayMs).toBeGreaterThanOrEqual(6);
    const enforced = new SlotRunner(info, spinning, { cpu: 0.25 }, false);
    enforced.decide(new Float32Array(1), 0, new Uint8Array(2), 0, 0);
    expect(enforced.replyDelayMs).toBe(0);
  });
});
