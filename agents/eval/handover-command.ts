import { z } from 'zod';
import { common, defineCommand, intArg, str } from '../../shared/cli-args.ts';
import { createSimulation, resolveScenario } from '../../server/scenarios/registry.ts';
import { ACTION } from '../../shared/smac-actions.ts';
import { evaluate, type Overseer } from './evaluate.ts';
import { loadEvalPolicy } from './load-eval-policy.ts';
import type { LoadedEvalPolicy } from './policies.ts';
import { MICRO_SPECS_HELP } from '../baselines/smac-micro.ts';

const command = defineCommand('handover', {
  scenario: common.requiredScenario('SMAC-style scenario name or .json file'),
  teacher: str(`teacher: checkpoint, run dir, policy file, 'scripted', ${MICRO_SPECS_HELP}`, z.string({ error: 'required' })),
  student: str('student policy file, or any policy kdmarl eval takes', z.string({ error: 'required' })),
  episodes: str('episodes', intArg().positive().default(200)),
  seed: common.seed(12345, 'seed of the episode list, as kdmarl eval'),
  json: common.json(),
});

/** The fight has started for an agent once its mask offers an attack (or heal) target. */
const canTarget = (mask: Uint8Array): boolean => mask.subarray(ACTION.firstTarget).includes(1);

/**
 * Where a student loses its teacher's wins: the student plays every episode of the fixed list,
 * and the teacher takes over its decisions in one phase only (the approach, before any target is
 * in range, or the fight). Also counts the decisions where the two differ, by phase and action.
 */
export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  const scenario = resolveScenario(args.scenario);
  if (scenario.file.family !== 'smac') throw new Error(`--scenario: handover splits episodes into approach and fight, which needs a SMAC-style scenario ('${scenario.file.name}' is ${scenario.file.family})`);
  const sim = createSimulation(scenario);
  const teacher = await loadEvalPolicy(args.teacher, scenario.file.name, sim);
  const student = await loadEvalPolicy(args.student, scenario.file.name, sim);
  const options = { episodes: args.episodes, seed: args.seed };
  const disagreements = new Map<string, number>();
  const name = (action: number) => (action >= ACTION.firstTarget ? `target_${action - ACTION.firstTarget}` : Object.entries(ACTION).find(([, a]) => a === action)?.[0]);
  const handover = (phase: 'approach' | 'fight' | 'none'): Overseer => ({
    agents: teacher.agents,
    choose: (_agent, own, theirs, mask) => {
      const fighting = canTarget(mask);
      if (phase === 'none' && own !== theirs) {
        const key = `${fighting ? 'fight' : 'approach'}: teacher ${name(theirs)}, student ${name(own)}`;
        disagreements.set(key, (disagreements.get(key) ?? 0) + 1);
      }
      return (phase === 'approach' && !fighting) || (phase === 'fight' && fighting) ? theirs : own;
    },
  });
  const winRate = (agents: LoadedEvalPolicy, overseer?: Overseer) => evaluate(scenario, agents.agents, { ...options, overseer }).winRate;
  const result = {
    scenario: scenario.file.name,
    episodes: args.episodes,
    seed: args.seed,
    teacher: winRate(teacher),
    student: winRate(student, handover('none')),
    teacherInApproach: winRate(student, handover('approach')),
    teacherInFight: winRate(student, handover('fight')),
    disagreements: Object.fromEntries([...disagreements].sort((a, b) => b[1] - a[1])),
  };
  if (args.json) {
    console.log(JSON.stringify(result));
    return 0;
  }
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`${result.scenario}, ${result.episodes} episodes (seed ${result.seed}), win rates:`);
  console.log(`  teacher alone                          ${pct(result.teacher)}`);
  console.log(`  student alone                          ${pct(result.student)}`);
  console.log(`  student, teacher decides the approach  ${pct(result.teacherInApproach)}`);
  console.log(`  student, teacher decides the fight     ${pct(result.teacherInFight)}`);
  console.log('decisions where they differ (student alone, all agents):');
  for (const [key, count] of Object.entries(result.disagreements).slice(0, 10)) console.log(`  ${String(count).padStart(6)}  ${key}`);
  return 0;
}
