import { z } from 'zod';
import { intArg, str } from '../../../shared/cli-args.ts';
import type { NatsOptions } from './learner.ts';
import { checkRunName } from './identity.ts';

/** The learner's NATS flags, the same for `kdmarl train` and `kdmarl distill`. */
export const natsFlags = {
  nats: str('take each batch from rollout workers (kdmarl worker) through this NATS server, e.g. nats://HOST:4222', z.string().optional()),
  run: str('with --nats: the run name workers join', z.string().default('main')),
  fragmentEnvs: str('with --nats: envs per worker fragment (must divide numEnvs)', intArg().positive().optional(), { defaultLabel: 'largest divisor of numEnvs up to 8 that fits a NATS message' }),
  maxStaleness: str('with --nats: drop fragments collected with weights more than this many updates old', intArg().nonnegative().default(1)),
};

type NatsArgs = { nats?: string; run: string; fragmentEnvs?: number; maxStaleness: number };

/**
 * The learner's NATS options from its parsed flags (undefined without --nats), checked against the
 * batch's `numEnvs` before the command makes its run directory.
 */
export function natsOptionsOf(args: NatsArgs, numEnvs: number): NatsOptions | undefined {
  if (!args.nats) return undefined;
  if (args.fragmentEnvs !== undefined && numEnvs % args.fragmentEnvs !== 0) throw new Error(`--fragment-envs ${args.fragmentEnvs}: must divide numEnvs (${numEnvs})`);
  return { url: args.nats, run: checkRunName(args.run), fragmentEnvs: args.fragmentEnvs, maxStaleness: args.maxStaleness };
}
