import { z } from 'zod';
import { intArg, numArg, parseCommand } from '../../shared/cli-args.ts';
import { createSimulation } from '../scenarios/registry.ts';
import { loadVariant } from './world-session.ts';
import { runHarness, type HarnessOptions, type HarnessResult } from './net-harness.ts';

const options = {
  scenario: { type: 'string', help: 'scenario (default spread)' },
  agents: { type: 'string', help: "agent count: a variant with params.numAgents = N (spread); fixed-size scenarios need N = their own count" },
  host: { type: 'boolean', help: 'run every agent in one host process (one connection) instead of one process each' },
  model: { type: 'string', help: 'policy for every agent (default random: measures the system, not the policy)' },
  mode: { type: 'string', help: 'lockstep (default) or realtime' },
  hz: { type: 'string', help: 'realtime rate (default 20)' },
  deadline: { type: 'string', help: 'per-agent deadline in ms (default 50)' },
  latency: { type: 'string', help: 'added delay on every agent reply (ms)' },
  jitter: { type: 'string', help: 'uniform extra delay in [0, jitter) ms' },
  drop: { type: 'string', help: 'probability that a reply is lost' },
  'kill-every': { type: 'string', help: 'SIGKILL a random agent process every S seconds (it is restarted)' },
  slow: { type: 'string', help: 'K agents answer after twice their deadline' },
  duration: { type: 'string', help: 'seconds per run (default 10); a clean run of the same length goes first' },
  'no-clean': { type: 'boolean', help: 'skip the clean comparison run' },
  seed: { type: 'string', help: 'seed (default 0)' },
  json: { type: 'boolean', help: 'print one JSON object' },
} as const;

const schema = z.object({
  scenario: z.string().default('spread'),
  agents: intArg().min(1).max(1024).optional(),
  host: z.boolean().default(false),
  model: z.string().default('random'),
  mode: z.enum(['lockstep', 'realtime']).default('lockstep'),
  hz: numArg().positive().max(1000).default(20),
  deadline: numArg().positive().max(60_000).default(50),
  latency: numArg().min(0).default(0),
  jitter: numArg().min(0).default(0),
  drop: numArg().min(0).max(1).default(0),
  killEvery: numArg().positive().optional(),
  slow: intArg().min(0).default(0),
  duration: numArg().positive().max(3600).default(10),
  noClean: z.boolean().default(false),
  seed: intArg().default(0),
  json: z.boolean().default(false),
});

/**
 * `kdmarl stress`: the decentralized system under added latency, lost replies, killed agents and
 * deliberately slow agents, beside a clean run of the same configuration. `--agents N` above the
 * scenario's own count uses the scenario's `params.numAgents` variant (spread_N); scenarios with a
 * fixed roster (SMAC maps) only run at their own size.
 */
export async function main(argv: string[]): Promise<number> {
  const args = parseCommand('stress', argv, options, schema);
  if (args === 'help') return 0;
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
