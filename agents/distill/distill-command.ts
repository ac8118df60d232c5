import { join } from 'node:path';
import { z } from 'zod';
import { intArg, parseCommand } from '../../shared/cli-args.ts';
import { resolveScenario } from '../../server/scenarios/registry.ts';
import { DISTILL_VARIANTS, readDistillConfigFile, resolveVariantConfig, type DistillConfig } from './config.ts';
import { distill } from './distiller.ts';

const options = {
  scenario: { type: 'string', help: 'scenario name or path (the teacher\'s scenario)' },
  teacher: { type: 'string', help: 'teacher checkpoint file, or a run / models directory holding checkpoint.ckpt' },
  students: { type: 'string', help: "student profile JSON, or 'default' (agents/distill/profiles/<scenario>.json, else the scenario's student views)" },
  steps: { type: 'string', help: 'env steps of student rollouts (default 500000)' },
  envs: { type: 'string', help: 'parallel envs' },
  seed: { type: 'string', help: 'seed (default 1)' },
  variant: { type: 'string', help: `loss preset: ${Object.keys(DISTILL_VARIANTS).join(', ')} (default full)` },
  config: { type: 'string', help: 'JSON file with config fields (see agents/distill/config.ts)' },
  out: { type: 'string', help: 'run directory (default runs/<scenario>__distill-<variant>__<seed>__<time>)' },
  resume: { type: 'boolean', help: 'continue the run in --out from its checkpoint' },
  'no-progress': { type: 'boolean', help: 'plain log lines instead of a progress bar' },
} as const;

const argsSchema = z.object({
  scenario: z.string({ error: 'required' }),
  teacher: z.string({ error: 'required' }),
  students: z.string().default('default'),
  steps: intArg().positive().optional(),
  envs: intArg().positive().optional(),
  seed: intArg().nonnegative().optional(),
  variant: z.enum(Object.keys(DISTILL_VARIANTS) as [keyof typeof DISTILL_VARIANTS]).default('full'),
  config: z.string().optional(),
  out: z.string().optional(),
  resume: z.boolean().default(false),
  noProgress: z.boolean().default(false),
});

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand('distill', argv, options, argsSchema);
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
