import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { bool, common, defineCommand, intArg, str } from '../../shared/cli-args.ts';
import { readDistillConfigFile, resolveDistillConfig } from './config.ts';
import { runOnlineTeacher } from './online-teacher.ts';

const command = defineCommand('teacher', {
  server: str('ws://host:port of kdmarl serve / kdmarl up', z.string({ error: 'required' })),
  teacher: str('teacher checkpoint or directory (frozen)', z.string({ error: 'required' })),
  distill: str("student profile JSON or 'default' (must match the views the agents run)", z.string().default('default')),
  token: str('the server control token (or KDMARL_CONTROL_TOKEN, or --tokens-file)', z.string().optional()),
  tokensFile: common.tokensFile("the tokens file of 'kdmarl serve' (its control token is used)"),
  students: str('policy file the agents start from', z.string().optional(), { defaultLabel: 'fresh students' }),
  studentsSample: bool('the agents run with --sample: their actions are samples of the students, so the policy-gradient term trains on them (checked against what the agents claim: a greedy agent is refused; without it L_PG is left out)'),
  rollout: str('env steps per update', intArg().min(8).default(256)),
  updates: str('stop after N updates (0: until Ctrl-C)', intArg().nonnegative().default(0)),
  config: common.config('JSON file of distillation config fields (loss weights, lr, epochs)'),
  out: common.out('where student.policy and metrics.jsonl go', 'runs/online__<time>'),
});

export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  let token = args.token ?? process.env.KDMARL_CONTROL_TOKEN;
  if (!token && args.tokensFile) {
    try {
      token = (JSON.parse(readFileSync(args.tokensFile, 'utf8')) as { control?: string }).control;
    } catch (error) {
      throw new Error(`--tokens-file ${args.tokensFile}: ${(error as Error).message}`);
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
    studentsSample: args.studentsSample,
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
