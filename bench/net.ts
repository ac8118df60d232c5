/**
 * Network figures (loopback): lockstep ticks/s and action round trips with one process per agent
 * and with a host process, realtime deadline misses, and an agent process's start-up and RSS.
 * Agents run the uniform-random policy so the figures measure the system, not a policy.
 * Needs the compiled agents (`npm run build`): `npm run bench -- --only net`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { AgentLauncher } from '../server/net/agent-launcher.ts';
import { runHarness, type HarnessOptions, type HarnessResult } from '../server/net/net-harness.ts';
import { startServer } from '../server/net/start-server.ts';

export type BenchNetOptions = {
  /** Seconds measured per case (at least 3). */
  seconds?: number;
  log?: (line: string) => void;
  /** Case names to run (default all). */
  only?: string[];
};

type Case = { name: string; target?: string; options: Omit<HarnessOptions, 'durationSec'> };

const CASES: Case[] = [
  { name: 'spread_3proc_lockstep', target: '>= 5000 ticks/s', options: { scenario: 'spread', mode: 'lockstep', processes: 'per-agent', model: 'random' } },
  { name: 'spread8_8proc_lockstep', target: '>= 3000 ticks/s, p99 <= 1 ms', options: { scenario: 'spread', agents: 8, mode: 'lockstep', processes: 'per-agent', model: 'random' } },
  { name: '3m_3proc_lockstep', options: { scenario: '3m', mode: 'lockstep', processes: 'per-agent', model: 'random' } },
  { name: '8m_8proc_lockstep', target: '>= 3000 ticks/s, p99 <= 1 ms', options: { scenario: '8m', mode: 'lockstep', processes: 'per-agent', model: 'random' } },
  { name: 'spread64_host_lockstep', target: '>= 500 ticks/s', options: { scenario: 'spread', agents: 64, mode: 'lockstep', processes: 'host', model: 'random' } },
  { name: 'spread64_host_realtime20', target: '< 0.1% deadline misses', options: { scenario: 'spread', agents: 64, mode: 'realtime', hz: 20, processes: 'host', model: 'random' } },
];

export async function benchNet(options: BenchNetOptions = {}): Promise<Record<string, unknown>> {
  const log = options.log ?? ((line: string) => console.log(line));
  const seconds = Math.max(3, options.seconds ?? 5);
  const result: Record<string, unknown> = {};
  for (const c of CASES) {
    if (options.only && !options.only.includes(c.name)) continue;
    let r: HarnessResult;
    try {
      r = await runHarness({ ...c.options, durationSec: seconds, warmupSec: 1 });
    } catch (error) {
      log(`net  ${c.name}: failed (${(error as Error).message})`);
      result[c.name] = { error: (error as Error).message };
      continue;
    }
    result[c.name] = { ...r, target: c.target ?? null };
    log(
      `net  ${c.name.padEnd(26)} ${String(r.ticksPerSec).padStart(8)} ticks/s  rt p50 ${r.roundTripMs.p50.toFixed(3)} ms  p99 ${r.roundTripMs.p99.toFixed(3)} ms  ` +
        `misses ${(100 * r.deadlineMissRate).toFixed(3)}%  agent RSS ${r.agentRssMb} MiB${c.target ? `  (target ${c.target})` : ''}`,
    );
  }
  if (!options.only || options.only.includes('agent_startup')) {
    const startup = await agentStartup(STARTUP_RUNS);
    result.agent_startup = startup;
    log(
      `net  agent start to first action: median ${startup.firstActionMs.median} ms (runs ${startup.firstActionMs.runs.join(', ')}); ` +
        `CPU by then median ${startup.cpuMs.median} ms (runs ${startup.cpuMs.runs.join(', ')}); RSS median ${startup.rssMb.median} MiB (runs ${startup.rssMb.runs.join(', ')}) (target <= 300 ms, <= 60 MiB)`,
    );
  }
  return result;
}

const STARTUP_RUNS = 7;
/** Linux reports process CPU time in clock ticks of 10 ms (CLK_TCK = 100). */
const CLOCK_TICK_MS = 10;

type Sampled = { median: number; runs: number[] };

/**
 * Spawn one agent process (as `kdmarl up` does, through the launcher) and time it from spawn() to
 * the server stepping on its first action. Wall time moves with the machine's load; the agent's
 * own CPU time by its first action (user + system, 10 ms resolution) moves much less.
 */
async function agentStartup(runs: number): Promise<{ firstActionMs: Sampled; cpuMs: Sampled; rssMb: Sampled }> {
  const log = pino({ level: 'silent' });
  const times: number[] = [];
  const cpu: number[] = [];
  const rss: number[] = [];
  for (let k = 0; k < runs; k++) {
    const { server } = await startServer({ scenario: 'spread', mode: 'lockstep', waitForAgents: false, logger: log, deadlineMs: 1000 });
    const launcher = new AgentLauncher({ url: server.url, log });
    try {
      const firstTick = new Promise<number>((resolve) => server.once('tick', () => resolve(performance.now())));
      const t0 = performance.now();
      launcher.start({ slot: 0, token: server.tokens[0], model: 'random', caps: {} });
      times.push(Math.round((await firstTick) - t0));
      const pid = launcher.pids()[0];
      const cpuMs = pid === undefined ? null : processCpuMs(pid);
      if (cpuMs !== null) cpu.push(cpuMs);
      // RSS once the agent has settled into answering ticks.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const rssMb = pid === undefined ? null : processRssMb(pid);
      if (rssMb !== null) rss.push(rssMb);
    } finally {
      await launcher.stopAll();
      await server.close();
    }
  }
  return { firstActionMs: sampled(times), cpuMs: sampled(cpu), rssMb: sampled(rss) };
}

function sampled(runs: number[]): Sampled {
  const sorted = [...runs].sort((a, b) => a - b);
  return { median: sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)] : Number.NaN, runs };
}

/** utime + stime from /proc/PID/stat (fields 14 and 15, counted after the parenthesised name). */
function processCpuMs(pid: number): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  } catch {
    return null;
  }
}

function processRssMb(pid: number): number | null {
  const status = `/proc/${pid}/status`;
  if (!existsSync(status)) return null;
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(status, 'utf8'));
  return match ? Math.round(Number(match[1]) / 102.4) / 10 : null;
}

// Run directly: node dist/bench/net.js [seconds] [case,case]   (agent_startup: start-up only)
if (import.meta.url === `file://${process.argv[1]}`) {
  const seconds = Number(process.argv[2] ?? 5);
  const only = process.argv[3]?.split(',');
  benchNet({ seconds, only }).then((r) => console.log(JSON.stringify(r)));
}
