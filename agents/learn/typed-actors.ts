import type { PolicyFile } from '../../shared/model-format.ts';
import { NetRuntime } from '../runtime/net-runtime.ts';
import type { ActorStepper } from './rollout.ts';

/**
 * Feed-forward actors as an ActorStepper over plain Float32Arrays, built from a policy file's nets
 * (`ActorCritic.toPolicyFile()`, or the bytes a learner publishes): what rollout workers sample
 * from without tfjs. `groups` lists the net names in the ActorCritic's group order.
 */
export function typedActors(file: PolicyFile, groups: readonly string[]): ActorStepper {
  const runtimes = groups.map((name) => {
    const net = file.nets[name];
    if (!net) throw new Error(`policy has no net '${name}' (has: ${Object.keys(file.nets).join(', ')})`);
    const runtime = new NetRuntime(net);
    if (runtime.recurrent) throw new Error(`actor '${name}' is recurrent: rollout workers run feed-forward actors only (use --workers 0 for recurrent training)`);
    return runtime;
  });
  const outputs = runtimes.map(() => new Float32Array(0));
  return {
    forward(group, input, rows) {
      const runtime = runtimes[group];
      const nIn = runtime.inputSize;
      const nOut = runtime.outputSize;
      if (outputs[group].length < rows * nOut) outputs[group] = new Float32Array(rows * nOut);
      const out = outputs[group];
      for (let row = 0; row < rows; row++) out.set(runtime.forward(input.subarray(row * nIn, (row + 1) * nIn)), row * nOut);
      return out.subarray(0, rows * nOut);
    },
    step() {
      throw new Error('typed-array actors are feed-forward: recurrent training collects with the tfjs actors (--workers 0)');
    },
  };
}
