import { z } from 'zod';
import { defineCommand, intArg, str } from '../../shared/cli-args.ts';
import { initBackend } from './backend.ts';
import { runWorker } from './nats/worker.ts';

const command = defineCommand(
  'worker',
  {
    nats: str('the NATS server the learner (kdmarl train --nats or kdmarl distill --nats) uses, e.g. nats://HOST:4222', z.string({ error: 'required, e.g. --nats nats://HOST:4222' })),
    run: str('the run to join (kdmarl train or kdmarl distill --run)', z.string().default('main')),
    kind: str("serve only a run of this kind ('train' or 'distill'); a run of the other kind is refused", z.enum(['train', 'distill']).optional(), { defaultLabel: "the run's" }),
    id: str('names this worker on the learner\'s lines and metrics', z.string().optional(), { defaultLabel: 'HOST-PID' }),
    reportEvery: str('seconds between this worker\'s throughput lines (0: none)', intArg().nonnegative().default(30)),
  },
  'A rollout worker: takes the run\'s config and newest weights from NATS, steps its share of envs and sends fragments to the learner. Start any number, on any machine, at any time; Ctrl-C leaves the run.',
);

export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  // Workers sample with typed-array actors; tfjs only holds the net's layout (and wasm keeps it quiet).
  await initBackend();
  const abort = new AbortController();
  const stop = () => {
    if (abort.signal.aborted) process.exit(130);
    process.stderr.write('worker: leaving the run after the fragment in flight (send the signal again to quit now)\n');
    abort.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const result = await runWorker({ url: args.nats, run: args.run, kind: args.kind, id: args.id, signal: abort.signal, reportEverySeconds: args.reportEvery });
    console.log(JSON.stringify(result));
    return 0;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
