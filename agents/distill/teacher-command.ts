import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { intArg, parseCommand } from '../../shared/cli-args.ts';
import { readDistillConfigFile, resolveDistillConfig } from './config.ts';
import { runOnlineTeacher } from './online-teacher.ts';

const options = {
  server: { type: 'string', help: 'ws://host:port of kdmarl serve / kdmarl up' },
  teacher: { type: 'string', help: 'teacher checkpoint or directory (frozen)' },
  distill: { type: 'string', help: "student profile JSON or 'default' (must match the views the agents run)" },
  token: { type: 'string', help: 'the server control token (or KDMARL_CONTROL_TOKEN, or --tokens FILE)' },
  tokens: { type: 'string', help: "the tokens file of 'kdmarl serve --json' (its control token is used)" },
  students: { type: 'string', help: 'policy file the agents start from (default: fresh students)' },
  rollout: { type: 'string', help: 'env steps per update (default 256)' },
  updates: { type: 'string', help: 'stop after N updates (default 0: until Ctrl-C)' },
  config: { type: 'string', help: 'JSON file of distillation config fields (loss weights, lr, epochs)' },
  out: { type: 'string', help: 'where students.policy and metrics.jsonl go (default runs/online__<time>)' },
} as const;

const argsSchema = z.object({
  server: z.string({ error: 'required' }),
  teacher: z.string({ error: 'required' }),
  distill: z.string().default('default'),
  token: z.string().optional(),
  tokens: z.string().optional(),
  students: z.string().optional(),
  rollout: intArg().min(8).default(256),
  updates: intArg().nonnegative().default(0),
  config: z.string().optional(),
  out: z.string().optional(),
});

export async function main(argv: string[]): Promise<number> {
  const args = parseCommand('teacher', argv, options, argsSchema);
  if (args === 'help') return 0;
  let token = args.token ?? process.env.KDMARL_CONTROL_TOKEN;
  if (!token && args.tokens) {
    try {
      token = (JSON.parse(readFileSync(args.tokens, 'utf8')) as { control?: string }).control;
    } catch (error) {
      throw new Error(`--tokens ${args.tokens}: ${(error as Error).message}`);
    }
  }
  if (!token) throw new Error('a control token is needed: --token, KDMARL_CONTROL_TOKEN or --tokens FILE');
  const config = resolveDistillConfig('online', args.config ? readDistillConfigFile(args.config) : {}, { epochs: 4 });
  const result = await runOnlineTeacher({
    server: args.server,
    token,
    teacher: args.teacher,
    profile: args.distill,
    initialStudents: args.students,
    rolloutSteps: args.rollout,
    updates: args.updates,
    outDir: args.out ?? `runs/online__${new Date().toISOString().replace(/[:.]/g, '-')}`,
    config,
    producedBy: `kdmarl teacher ${withoutSecrets(argv).join(' ')}`,
    log: (m) => process.stderr.write(m + '\n'),
  });
  console.log(JSON.stringify(result));
  return 0;
}

/** The command line for provenance, minus the token's value. */
function withoutSecrets(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--token') {
      i++;
      continue;
    }
    if (argv[i].startsWith('--token=')) continue;
    out.push(argv[i]);
  }
  return out;
}
