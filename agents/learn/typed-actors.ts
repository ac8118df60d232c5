import type { PolicyFile, PolicyNet } from '../../shared/model-format.ts';
import { NetRuntime } from '../runtime/net-runtime.ts';
import { fastLearnerAvailable, nativeKernels } from './fast/native.ts';
import { NativeMlp } from './fast/native-mlp.ts';
import type { ActorStepper } from './rollout.ts';
import { LAYER_NORM_EPSILON } from './init.ts';

/**
 * Feed-forward actors as an ActorStepper over plain Float32Arrays, built from a policy file's nets
 * (`ActorCritic.toPolicyFile()`, or the bytes a learner publishes): what rollout workers sample
 * from without tfjs. `groups` lists the net names in the ActorCritic's group order. Where the
 * native kernels are built, a trainer-shaped net ([LayerNorm,] ReLU layers, linear head) runs
 * batched on them; otherwise, row by row on the typed-array runtime.
 */
export function typedActors(file: PolicyFile, groups: readonly string[]): ActorStepper {
  const forwards = groups.map((name) => {
    const net = file.nets[name];
    if (!net) throw new Error(`policy has no net '${name}' (has: ${Object.keys(file.nets).join(', ')})`);
    return nativeForward(net, name) ?? runtimeForward(net, name);
  });
  return {
    forward: (group, input, rows) => forwards[group](input, rows),
    step() {
      throw new Error('typed-array actors are feed-forward: recurrent training collects with the tfjs actors (--workers 0)');
    },
  };
}

type Forward = (input: Float32Array, rows: number) => Float32Array;

function runtimeForward(net: PolicyNet, name: string): Forward {
  const runtime = new NetRuntime(net);
  if (runtime.recurrent) throw new Error(`actor '${name}' is recurrent: rollout workers run feed-forward actors only (use --workers 0 for recurrent training)`);
  let out = new Float32Array(0);
  return (input, rows) => {
    const nIn = runtime.inputSize;
    const nOut = runtime.outputSize;
    if (out.length < rows * nOut) out = new Float32Array(rows * nOut);
    for (let row = 0; row < rows; row++) out.set(runtime.forward(input.subarray(row * nIn, (row + 1) * nIn)), row * nOut);
    return out.subarray(0, rows * nOut);
  };
}

/** The native batched forward of a trainer-shaped net, or null where the kernels or the shape do not fit. */
function nativeForward(net: PolicyNet, name: string): Forward | null {
  if (fastLearnerAvailable() !== null) return null;
  const layers = net.layers;
  const layerNorm = layers[0]?.kind === 'layernorm';
  // The kernels normalise with the trainer's epsilon.
  if (layers[0]?.kind === 'layernorm' && layers[0].epsilon !== LAYER_NORM_EPSILON) return null;
  const dense = layerNorm ? layers.slice(1) : layers;
  const trainerShaped = dense.length > 0 && dense.every((l, i) => l.kind === 'dense' && l.activation === (i === dense.length - 1 ? 'linear' : 'relu'));
  if (!trainerShaped) return null;
  const weights: Float32Array[] = [];
  const sizes = [net.inputSize];
  if (layers[0].kind === 'layernorm') weights.push(layers[0].gamma, layers[0].beta);
  for (const l of dense) {
    if (l.kind !== 'dense') return null;
    weights.push(l.weight, l.bias);
    sizes.push(l.outputSize);
  }
  const mlp = new NativeMlp(nativeKernels(), sizes, layerNorm, weights, 0, `actor '${name}'`);
  return (input, rows) => mlp.forward(input, rows);
}
