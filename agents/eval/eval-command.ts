import { z } from 'zod';
import { common, defineCommand, intArg, str } from '../../shared/cli-args.ts';
import { createSimulation, resolveScenario, scenarioHasWins } from '../../server/scenarios/registry.ts';
import { evaluate } from './evaluate.ts';
import { COVER_DISTANCE, type BattleEndSummary } from './metrics.ts';
import { loadEvalPolicy } from './load-eval-policy.ts';
import { MICRO_SPECS_HELP } from '../baselines/smac-micro.ts';

const command = defineCommand('eval', {
  scenario: common.requiredScenario(),
  policy: str(`checkpoint, run dir, policy file, 'random', 'scripted', ${MICRO_SPECS_HELP}`, z.string({ error: 'required' })),
  episodes: str('episodes (the count the targets are measured on)', intArg().positive().default(200)),
  seed: common.seed(12345, 'seed of the episode list: episode i uses deriveSeed(seed, i)'),
  physics: str('physics mode override', z.string().optional(), { defaultLabel: "the scenario's" }),
  json: common.json(),
});

export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  const scenario = resolveScenario(args.scenario);
  const sim = createSimulation(scenario, args.physics ? { physics: args.physics } : {});
  const policy = await loadEvalPolicy(args.policy, scenario.file.name, sim);
  const started = performance.now();
  const result = evaluate(scenario, policy.agents, { episodes: args.episodes, seed: args.seed, physics: args.physics });
  const seconds = (performance.now() - started) / 1000;
  const out = {
    scenario: scenario.file.name,
    policy: args.policy,
    label: policy.label,
    episodes: result.episodes,
    seed: args.seed,
    winRate: result.winRate,
    meanReturn: result.meanReturn,
    returnStd: result.returnStd,
    returnCi95: result.returnCi95,
    meanLength: result.meanLength,
    flopsPerDecision: policy.flopsPerDecision,
    flopsPerAgent: Object.fromEntries(sim.agentNames.map((a, i) => [a, policy.flopsPerAgent[i]])),
    params: policy.params,
    ...(result.battleEnds ? { battleEnds: result.battleEnds } : {}),
    ...(result.landmarksCovered !== undefined ? { landmarksCovered: result.landmarksCovered } : {}),
    ...(result.goal ? { goal: result.goal } : {}),
    ...(result.successRate !== undefined ? { successRate: result.successRate } : {}),
    // Per episode, in seed-list order: two policies' runs on the same list can be compared start by start.
    episodeReturns: result.outcomes.map((o) => Number(o.teamReturn.toFixed(4))),
    episodeWins: result.outcomes.map((o) => (o.won ? 1 : 0)),
    returnScale: 'team return = mean over agents of per-agent undiscounted returns (scenario reward scale; PettingZoo/MPE2 for MPE)',
    seconds: Number(seconds.toFixed(3)),
  };
  if (args.json) {
    console.log(JSON.stringify(out));
  } else {
    console.log(`${out.scenario} / ${out.label} (${args.policy}): ${out.episodes} episodes, seed ${out.seed}`);
    if (scenarioHasWins(scenario)) console.log(`  win rate     ${(100 * out.winRate).toFixed(1)}%`);
    console.log(`  mean return  ${out.meanReturn.toFixed(3)} ± ${out.returnCi95.toFixed(3)} (95% CI), std ${out.returnStd.toFixed(3)}`);
    console.log(`  mean length  ${out.meanLength.toFixed(1)} steps`);
    console.log(`  FLOPs/decision ${out.flopsPerDecision.toFixed(0)} per agent (actor only), params ${out.params}`);
    if (result.successRate !== undefined) console.log(`  success rate ${(100 * result.successRate).toFixed(1)}% (${sim.successMeasure ?? "the scenario's success measure"})`);
    if (result.landmarksCovered !== undefined) console.log(`  landmarks covered at the last step ${(100 * result.landmarksCovered).toFixed(1)}% (an agent within ${COVER_DISTANCE})`);
    if (result.goal) console.log(`  listener's final distance to its goal: median ${result.goal.medianDistance.toFixed(3)}, within ${COVER_DISTANCE} in ${(100 * result.goal.reached).toFixed(1)}% of episodes`);
    if (result.battleEnds) for (const line of battleEndLines(result.battleEnds)) console.log(`  ${line}`);
  }
  return 0;
}

/** The battle-end lines of `kdmarl eval`; a side with no episodes says so instead of averaging nothing. */
export function battleEndLines(ends: BattleEndSummary): string[] {
  const pct = (x: number): string => (Number.isNaN(x) ? '-' : `${(100 * x).toFixed(0)}%`);
  const { wins, losses } = ends;
  return [
    wins.count === 0
      ? 'wins (0): none'
      : `wins (${wins.count}): ${wins.alliesLeft.toFixed(2)} allies left, ${pct(wins.allyHealthLeft)} ally health left, an ally fell first in ${pct(wins.allyLostFirst)}`,
    losses.count === 0
      ? 'losses (0): none'
      : `losses (${losses.count}): ${losses.enemiesLeft.toFixed(2)} enemies left (one in ${pct(losses.oneEnemyLeft)}), ${pct(losses.enemyHealthLeft)} enemy health left, an ally fell first in ${pct(losses.allyLostFirst)}`,
  ];
}
