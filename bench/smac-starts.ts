/**
 * Exact starts (jitter 0) against the shipped jitter (1.5) on SMAC maps: how many distinct starts
 * and distinct battles a deterministic policy meets, the scripted baseline's win rate, and how
 * often one memorised battle (the first won episode's actions, replayed by step index without
 * looking at an observation) wins. Episodes run through evaluate(), as `kdmarl eval` runs them,
 * on seed list 777.
 * Prints one JSON line per map and jitter and asserts nothing.
 */
import { createHash } from 'node:crypto';
import type { DecisionPolicy } from '../agents/baselines/decision-policy.ts';
import { scriptedPolicies } from '../agents/baselines/scripted.ts';
import { evaluate } from '../agents/eval/evaluate.ts';
import type { Simulation } from '../server/env/simulation.ts';
import { createSimulation, parseScenario, resolveScenario, type LoadedScenario } from '../server/scenarios/registry.ts';

export type StartsFigure = {
  scenario: string;
  jitter: number;
  episodes: number;
  seed: number;
  distinctStarts: number;
  scriptedWins: number;
  /** Distinct action sequences of the scripted policy: the different battles it played. */
  scriptedDistinctEpisodes: number;
  /** Null when the script won no episode, so there is nothing to replay. */
  memorisedReplayWins: number | null;
  cpuSeconds: number;
};

const SEED = 777;
const JITTERS = [0, 1.5] as const;

/** The action a lenient step applies past the end of a memorised battle. */
const STOP = 1;

/**
 * `policy` as evaluate() runs it, also recording what it decides (agent `a`'s actions, one row per
 * step of `played`) and hashing the start it meets (agent 0 hashes the positions at each reset).
 */
function recording(policy: DecisionPolicy, a: number, played: number[][][], starts: Set<string>): DecisionPolicy {
  let sim: Simulation | null = null;
  return {
    ...policy,
    attach(s) {
      sim = s;
      policy.attach?.(s);
    },
    reset() {
      policy.reset?.();
      if (a === 0) {
        played.push([]);
        starts.add(createHash('sha1').update(new Uint8Array(sim!.positions.buffer)).digest('hex'));
      }
    },
    decide(observation, mask, u) {
      const action = policy.decide(observation, mask, u);
      const episode = played[played.length - 1];
      if (a === 0) episode.push([]);
      episode[episode.length - 1].push(action);
      return action;
    },
  };
}

/** Agent `a` replaying one memorised battle by step index, blind to its observations. */
function replaying(battle: number[][], a: number, observationSize: number): DecisionPolicy {
  let t = 0;
  return {
    label: 'replay',
    flops: 0,
    observationSize,
    reset() {
      t = 0;
    },
    decide() {
      return t < battle.length ? battle[t++][a] : STOP;
    },
  };
}

export function measureStarts(scenario: string, jitter: number, episodes: number): StartsFigure {
  const cpuStart = process.cpuUsage();
  const shipped = resolveScenario(scenario).file;
  if (shipped.family !== 'smac') throw new Error(`scenario '${scenario}': a ${shipped.family} scenario has no armies to jitter (expected a smac map)`);
  const armies = shipped as unknown as { allies: object; enemies: object };
  const file = { ...shipped, allies: { ...armies.allies, jitter }, enemies: { ...armies.enemies, jitter } };
  const loaded: LoadedScenario = parseScenario(file, `${scenario} with jitter ${jitter}`);
  const sim = createSimulation(loaded);
  const played: number[][][] = [];
  const starts = new Set<string>();
  const scripted = scriptedPolicies(scenario, sim).map((policy, a) => ({ policy: recording(policy, a, played, starts) }));
  const outcomes = evaluate(loaded, scripted, { episodes, seed: SEED }).outcomes;
  const battles = new Set(played.map((battle) => createHash('sha1').update(JSON.stringify(battle)).digest('hex')));
  const firstWin = outcomes.findIndex((o) => o.won);
  let replayWins: number | null = null;
  if (firstWin >= 0) {
    const replay = sim.agentNames.map((_, a) => ({ policy: replaying(played[firstWin], a, scripted[a].policy.observationSize) }));
    replayWins = evaluate(loaded, replay, { episodes, seed: SEED }).outcomes.filter((o) => o.won).length;
  }
  const cpu = process.cpuUsage(cpuStart);
  return {
    scenario,
    jitter,
    episodes,
    seed: SEED,
    distinctStarts: starts.size,
    scriptedWins: outcomes.filter((o) => o.won).length / episodes,
    scriptedDistinctEpisodes: battles.size,
    memorisedReplayWins: replayWins === null ? null : replayWins / episodes,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

// Run directly: node dist/bench/smac-starts.js [map,map] [episodes]
if (import.meta.url === `file://${process.argv[1]}`) {
  const scenarios = (process.argv[2] ?? '3m,8m,2s3z,MMM').split(',');
  const episodes = Number(process.argv[3] ?? 1000);
  if (!Number.isInteger(episodes) || episodes < 1) {
    console.error(`episodes: expected a positive whole number, got '${process.argv[3]}'`);
    process.exit(1);
  }
  try {
    for (const scenario of scenarios) {
      for (const jitter of JITTERS) console.log(JSON.stringify(measureStarts(scenario, jitter, episodes)));
    }
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
