import { pino, type Logger } from 'pino';
import { Rng } from '../../shared/rng.ts';
import type { Caps } from '../../shared/student-profile.ts';
import type { TickMode } from '../../shared/handshake-protocol.ts';
import { AgentLauncher, type AgentSpec } from './agent-launcher.ts';
import type { NetServer } from './net-server.ts';
import { startServer } from './start-server.ts';

export type HarnessFaults = {
  /** Added delay on every reply (ms) and uniform jitter. */
  latencyMs?: number;
  jitterMs?: number;
  /** Probability that a reply is lost. */
  drop?: number;
  /** Kill a random agent process (SIGKILL) every this many seconds; the launcher restarts it. */
  killEverySec?: number;
  /** This many agents answer later than their deadline (extra delay of twice the deadline). */
  slow?: number;
};

export type HarnessOptions = {
  scenario: string;
  /** `params.numAgents` override (spread-like scenarios). */
  agents?: number;
  mode: TickMode;
  hz?: number;
  deadlineMs?: number;
  /** One process per agent, or one host process holding every slot on one connection. */
  processes: 'per-agent' | 'host';
  model: string;
  caps?: Caps;
  durationSec: number;
  warmupSec?: number;
  faults?: HarnessFaults;
  seed?: number;
  log?: Logger;
};

export type HarnessResult = {
  scenario: string;
  agents: number;
  processes: number;
  mode: TickMode;
  durationSec: number;
  ticks: number;
  ticksPerSec: number;
  agentStepsPerSec: number;
  roundTripMs: { p50: number; p99: number; mean: number; samples: number };
  /** Missed (late, lost, offline) decisions over live agent-ticks (dead SMAC units owe no decision). */
  deadlineMissRate: number;
  misses: number;
  invalid: number;
  reconnects: number;
  kills: number;
  episodes: number;
  winRate: number | null;
  meanReturn: number | null;
  /** Largest RSS an agent process reported during the run (MiB); sampled, since a killed agent's report is gone. */
  agentRssMb: number;
};

/**
 * Runs the decentralized system for a while: an in-process server, real agent processes (one per
 * agent or one host), optional faults. Measures after a warm-up: ticks/s, action round trips,
 * misses, reconnects, episodes and score. Shared by `kdmarl stress` and `bench/net.ts`.
 */
export async function runHarness(options: HarnessOptions): Promise<HarnessResult> {
  // Checked before anything starts: a refusal later would leave the server and its claim timer behind.
  if (options.faults?.slow && options.processes === 'host') throw new Error('--slow needs one process per agent (a host shares one reply stream)');
  const log = options.log ?? pino({ level: 'silent' });
  const { server, tokensFile } = await startServer({
    scenario: options.scenario,
    agents: options.agents,
    mode: options.mode,
    hz: options.hz,
    deadlineMs: options.deadlineMs ?? 50,
    logger: log,
    seed: options.seed,
  });
  const faults = options.faults ?? {};
  const launcher = new AgentLauncher({ url: server.url, log, restart: true, restartDelayMs: 100 });
  const n = server.world.agentCount;
  const deadline = options.caps?.deadlineMs ?? options.deadlineMs ?? 50;
  const faultArgs = (slot: number): string[] => {
    const args: string[] = [];
    if (faults.latencyMs) args.push('--latency', String(faults.latencyMs));
    if (faults.jitterMs) args.push('--jitter', String(faults.jitterMs));
    if (faults.drop) args.push('--drop', String(faults.drop));
    if (faults.slow && slot < faults.slow) args.push('--extra-delay', String(2 * deadline));
    args.push('--seed', String((options.seed ?? 0) * 1000 + slot));
    return args;
  };
  let processes: number;
  const claimed = waitForClaims(server, n);
  if (options.processes === 'host') {
    const spec: AgentSpec = { slot: 0, token: '', model: options.model, caps: options.caps ?? {}, hostSlots: `0-${n - 1}`, tokensFile, args: faultArgs(n) };
    launcher.start(spec);
    processes = 1;
  } else {
    server.tokens.forEach((token, slot) => launcher.start({ slot, token, model: options.model, caps: options.caps ?? {}, args: faultArgs(slot) }));
    processes = n;
  }
  try {
    await claimed;
    await sleep((options.warmupSec ?? 1) * 1000);
    const start = snapshot(server);
    const returns: number[] = [];
    let wins = 0;
    const onEpisode = (end: { won: boolean; return: number }): void => {
      returns.push(end.return);
      if (end.won) wins++;
    };
    server.on('episode', onEpisode);
    server.roundTrips.clear();
    let kills = 0;
    const rng = new Rng(options.seed ?? 0);
    const killer = faults.killEverySec
      ? setInterval(() => {
          const slot = options.processes === 'host' ? 0 : Math.floor(rng.uniform() * n);
          if (launcher.crash(slot)) kills++;
        }, faults.killEverySec * 1000)
      : null;
    let peakRss = 0;
    const sampleRss = (): void => {
      for (const agent of server.status().agents) peakRss = Math.max(peakRss, agent.rssMb);
    };
    const rssSampler = setInterval(sampleRss, 500);
    const t0 = performance.now();
    await sleep(options.durationSec * 1000);
    const elapsed = (performance.now() - t0) / 1000;
    clearInterval(rssSampler);
    sampleRss();
    if (killer) clearInterval(killer);
    server.off('episode', onEpisode);
    const end = snapshot(server);
    const ticks = end.tick - start.tick;
    const misses = end.misses - start.misses;
    const liveAgentTicks = end.due - start.due;
    return {
      scenario: server.world.name,
      agents: n,
      processes,
      mode: options.mode,
      durationSec: round(elapsed, 2),
      ticks,
      ticksPerSec: round(ticks / elapsed, 1),
      agentStepsPerSec: round((ticks * n) / elapsed, 0),
      roundTripMs: { p50: round(server.roundTrips.quantile(0.5), 3), p99: round(server.roundTrips.quantile(0.99), 3), mean: round(server.roundTrips.meanMs, 3), samples: server.roundTrips.count },
      deadlineMissRate: liveAgentTicks === 0 ? 0 : round(misses / liveAgentTicks, 5),
      misses,
      invalid: end.invalid - start.invalid,
      reconnects: end.reconnects - start.reconnects,
      kills,
      episodes: returns.length,
      winRate: server.world.winRate === null ? null : returns.length === 0 ? 0 : round(wins / returns.length, 3),
      meanReturn: returns.length === 0 ? null : round(returns.reduce((a, b) => a + b, 0) / returns.length, 3),
      agentRssMb: round(peakRss, 1),
    };
  } finally {
    await launcher.stopAll();
    await server.close();
  }
}

function snapshot(server: NetServer): { tick: number; due: number; misses: number; invalid: number; reconnects: number } {
  const status = server.status();
  return {
    tick: status.tick,
    due: status.due,
    misses: status.misses,
    invalid: status.agents.reduce((sum, a) => sum + a.invalid, 0),
    reconnects: status.agents.reduce((sum, a) => sum + a.reconnects, 0),
  };
}

function waitForClaims(server: NetServer, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const seen = new Set<number>();
    const timer = setTimeout(() => reject(new Error(`only ${seen.size} of ${count} agents connected within 60 s`)), 60_000);
    server.on('claim', (slot) => {
      seen.add(slot);
      if (seen.size === count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
