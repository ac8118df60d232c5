import { join } from 'node:path';
import { z } from 'zod';
import { bool, common, defineCommand, intArg, str } from '../../shared/cli-args.ts';
import { resolveScenario } from '../../server/scenarios/registry.ts';
import { DISTILL_VARIANTS, readDistillConfigFile, resolveVariantConfig, type DistillConfig } from './config.ts';
import { distill } from './distiller.ts';

const command = defineCommand('distill', {
  scenario: common.requiredScenario("scenario name or .json file (the teacher's scenario)"),
  teacher: str('teacher checkpoint file, or a run / models directory holding checkpoint.ckpt', z.string({ error: 'required' })),
  students: str("student profile JSON, or 'default' (agents/distill/profiles/<scenario>.json, else the scenario's student views)", z.string().default('default')),
  steps: str('env steps of student rollouts', intArg().positive().optional(), { defaultLabel: "the config's, 500000" }),
  envs: str('parallel envs', intArg().positive().optional(), { defaultLabel: "the config's" }),
  seed: common.configSeed(),
  variant: str(`loss preset: ${Object.keys(DISTILL_VARIANTS).join(', ')}`, z.enum(Object.keys(DISTILL_VARIANTS) as [keyof typeof DISTILL_VARIANTS]).default('full')),
  config: common.config('JSON file with config fields (see agents/distill/config.ts)'),
  out: common.out('run directory', 'runs/<scenario>__distill-<variant>__<seed>__<time>'),
  resume: bool('continue the run in --out from its checkpoint'),
  noProgress: bool('plain log lines instead of a progress bar'),
});

export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  if (args.resume && !args.out) throw new Error('--resume needs --out DIR (the run to continue)');
  const scenario = resolveScenario(args.scenario).file.name;
  const flags: Partial<DistillConfig> = {
    ...(args.steps !== undefined ? { totalSteps: args.steps } : {}),
    ...(args.envs !== undefined ? { numEnvs: args.envs } : {}),
    ...(args.seed !== undefined ? { seed: args.seed } : {}),
  };
  const config = resolveVariantConfig(args.scenario, args.variant, args.config ? readDistillConfigFile(args.config) : {}, flags);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = args.out ?? join('runs', `${scenario}__distill-${args.variant}__${config.seed}__${stamp}`);
  const producedBy = `kdmarl distill ${argv.join(' ')}`;
  const result = await distill({ config, teacher: args.teacher, students: args.students, runDir, resume: args.resume, producedBy, progress: !args.noProgress });
  const e = result.lastEval;
  console.log(
    JSON.stringify({
      runDir: result.runDir,
      policy: result.policyPath,
      envSteps: result.envSteps,
      updates: result.updates,
      stopped: result.stopped,
      students: result.plans.map((p) => ({ agent: p.agent, observationSize: p.observationSize, hidden: p.hidden, flops: p.flops })),
      eval: e ? { meanReturn: e.meanReturn, returnCi95: e.returnCi95, winRate: e.winRate, episodes: e.episodes } : null,
    }),
  );
  return 0;
}
