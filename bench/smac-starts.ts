/**
 * Exact starts (jitter 0) against the shipped jitter (1.5) on SMAC maps: how many distinct starts
 * and distinct battles a deterministic policy meets, the scripted baseline's win rate, and how
 * often one memorised battle (the first won episode's actions, replayed by step index without
 * looking at an observation) wins. Episodes follow `kdmarl eval`: episode i is reset from
 * deriveSeed(777, i), decisions draw from deriveSeed(episodeSeed, 0x5eed), actions are lenient.
 * Prints one JSON line per map and jitter and asserts nothing.
 */
import { createHash } from 'node:crypto';
import { scriptedPolicies } from '../agents/baselines/scripted.ts';
import { EnvCore } from '../server/env/env-core.ts';
import { createSimulation, parseScenario, resolveScenario } from '../server/scenarios/registry.ts';
import { Rng, deriveSeed } from '../shared/rng.ts';

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

export function measureStarts(scenario: string, jitter: number, episodes: number): StartsFigure {
  const cpuStart = process.cpuUsage();
  const shipped = resolveScenario(scenario).file;
  if (shipped.family !== 'smac') throw new Error(`scenario '${scenario}': a ${shipped.family} scenario has no armies to jitter (expected a smac map)`);
  const armies = shipped as unknown as { allies: object; enemies: object };
  const file = { ...shipped, allies: { ...armies.allies, jitter }, enemies: { ...armies.enemies, jitter } };
  const sim = createSimulation(parseScenario(file, `${scenario} with jitter ${jitter}`));
  const core = new EnvCore(sim, {});
  const io = core.io;
  const n = sim.agentNames.length;
  const policies = scriptedPolicies(scenario, sim);
  for (const p of policies) p.attach?.(sim);
  const observations = io.views.map((v) => new Float32Array(v.size));
  const starts = new Set<string>();
  const battles = new Set<string>();
  let wins = 0;
  let memorised: number[][] | null = null;
  for (let e = 0; e < episodes; e++) {
    const episodeSeed = deriveSeed(SEED, e);
    const decisionRng = new Rng(deriveSeed(episodeSeed, 0x5eed));
    core.reset(episodeSeed);
    starts.add(createHash('sha1').update(new Uint8Array(sim.positions.buffer)).digest('hex'));
    for (const p of policies) p.reset?.();
    const played: number[][] = [];
    do {
      const step: number[] = [];
      for (let a = 0; a < n; a++) {
        io.writeObservation(a, observations[a], 0);
        const mask = io.masks.subarray(io.maskOffsets[a], io.maskOffsets[a] + sim.actionCounts[a]);
        const action = policies[a].decide(observations[a], mask, decisionRng.uniform());
        core.setAction(a, action, 'lenient');
        step.push(action);
      }
      played.push(step);
    } while (!core.step());
    const won = core.episodeEnd().won;
    if (won) wins++;
    if (won && !memorised) memorised = played;
    battles.add(createHash('sha1').update(JSON.stringify(played)).digest('hex'));
  }
  let replayWins: number | null = null;
  if (memorised) {
    replayWins = 0;
    const STOP = 1;
    for (let e = 0; e < episodes; e++) {
      core.reset(deriveSeed(SEED, e));
      let t = 0;
      do {
        for (let a = 0; a < n; a++) core.setAction(a, t < memorised.length ? memorised[t][a] : STOP, 'lenient');
        t++;
      } while (!core.step());
      if (core.episodeEnd().won) replayWins++;
    }
  }
  const cpu = process.cpuUsage(cpuStart);
  return {
    scenario,
    jitter,
    episodes,
    seed: SEED,
    distinctStarts: starts.size,
    scriptedWins: wins / episodes,
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
