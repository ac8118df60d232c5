import { z } from 'zod';
import { bool, common, defineCommand, intArg, numArg, str } from '../../shared/cli-args.ts';
import { createSimulation } from '../scenarios/registry.ts';
import { loadVariant } from './world-session.ts';
import { runHarness, type HarnessOptions, type HarnessResult } from './net-harness.ts';

const command = defineCommand('stress', {
  scenario: common.scenario('spread'),
  agents: str('agent count: a variant with params.numAgents = N (spread), or the shipped N-robot variant <scenario>_N of a robot world; fixed-size scenarios need N = their own count', intArg().min(1).max(1024).optional()),
  host: bool('run every agent in one host process (one connection) instead of one process each'),
  model: str('policy for every agent (random measures the system, not the policy)', z.string().default('random')),
  mode: str('lockstep or realtime', z.enum(['lockstep', 'realtime']).default('lockstep')),
  hz: str('realtime rate', numArg().positive().max(1000).default(20)),
  deadline: str('per-agent deadline in ms', numArg().positive().max(60_000).default(50)),
  latency: str('added delay on every agent reply (ms)', numArg().min(0).default(0)),
  jitter: str('uniform extra delay in [0, jitter) ms', numArg().min(0).default(0)),
  drop: str('probability that a reply is lost', numArg().min(0).max(1).default(0)),
  killEvery: str('SIGKILL a random agent process every S seconds (it is restarted)', numArg().positive().optional()),
  slow: str('K agents answer after twice their deadline', intArg().min(0).default(0)),
  duration: str('seconds per run; a clean run of the same length goes first', numArg().positive().max(3600).default(10)),
  noClean: bool('skip the clean comparison run'),
  seed: common.seed(0),
  json: common.json(),
});

/**
 * `kdmarl stress`: the decentralized system under added latency, lost replies, killed agents and
 * deliberately slow agents, beside a clean run of the same configuration. `--agents N` above the
 * scenario's own count uses the scenario's `params.numAgents` variant (spread_N); scenarios with a
 * fixed roster (SMAC maps) only run at their own size.
 */
export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  if (args.slow > 0 && args.host) throw new Error('--slow: needs one process per agent (drop --host): a host shares one reply stream');
  const own = createSimulation(loadVariant(args.scenario, undefined)).agentNames.length;
  const agents = args.agents === undefined || args.agents === own ? undefined : args.agents;
  if (agents !== undefined) loadVariant(args.scenario, agents);
  const base: HarnessOptions = {
    scenario: args.scenario,
    agents,
    mode: args.mode,
    hz: args.hz,
    deadlineMs: args.deadline,
    processes: args.host ? 'host' : 'per-agent',
    model: args.model,
    durationSec: args.duration,
    seed: args.seed,
  };
  const faults = { latencyMs: args.latency, jitterMs: args.jitter, drop: args.drop, killEverySec: args.killEvery, slow: args.slow };
  const say = (text: string): void => {
    if (!args.json) console.log(text);
  };
  let clean: HarnessResult | null = null;
  if (!args.noClean) {
    say(`clean run: ${args.scenario}${agents ? ` x${agents}` : ''}, ${base.processes}, ${args.mode}, ${args.duration} s ...`);
    clean = await runHarness(base);
    say(describe(clean));
  }
  say(`faults run: latency ${faults.latencyMs} ms, jitter ${faults.jitterMs} ms, drop ${faults.drop}, kill every ${faults.killEverySec ?? '-'} s, slow ${faults.slow} ...`);
  const faulted = await runHarness({ ...base, faults });
  say(describe(faulted));
  if (args.json) console.log(JSON.stringify({ config: { ...base, faults }, clean, faults: faulted }));
  return 0;
}

function describe(r: HarnessResult): string {
  const score = r.winRate !== null ? `win rate ${(100 * r.winRate).toFixed(1)}%` : `mean return ${r.meanReturn === null ? '-' : r.meanReturn.toFixed(2)}`;
  return (
    `  ${r.ticksPerSec} ticks/s, round trip p50 ${r.roundTripMs.p50} ms p99 ${r.roundTripMs.p99} ms, ` +
    `misses ${(100 * r.deadlineMissRate).toFixed(2)}%, reconnects ${r.reconnects} (kills ${r.kills}), ${r.episodes} episodes, ${score}, agent RSS ${r.agentRssMb} MiB`
  );
}
