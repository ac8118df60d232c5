import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../agents/learn/backend.ts';
import { ActorCritic } from '../../agents/learn/actor-critic.ts';
import { AgentPolicyRuntime, parsePolicyBytes } from '../../agents/runtime/policy-runtime.ts';
import { encode } from '../../shared/codec.ts';
import { Rng } from '../../shared/rng.ts';

beforeAll(async () => {
  await initBackend();
});

describe('teacher export to the deployed policy format', () => {
  it('gives the typed-array runtime the same logits as tfjs to 1e-5 (shared and separate nets)', () => {
    // Heterogeneous shape: two agents share a net (with id one-hot), one has its own.
    const shape = { agentNames: ['a_0', 'a_1', 'solo_0'], observationSizes: [7, 7, 4], actionCounts: [5, 5, 3], stateSize: 9 };
    const net = new ActorCritic(shape, { actorHidden: [32, 32], criticHidden: [16], layerNorm: true, shareActor: true, denseMode: 'custom', seed: 5 });
    // Perturb the weights away from init so every layer matters (init has tiny output gains).
    const rng = new Rng(9);
    const weights = net.getWeights();
    for (const list of Object.values(weights)) for (const w of list) for (let i = 0; i < w.length; i++) w[i] += 0.3 * rng.normal();
    net.setWeights(weights, 'test');
    const file = parsePolicyBytes(encode(net.toPolicyFile('toy', 'test')), 'roundtrip');
    expect(Object.keys(file.nets).sort()).toEqual(['a', 'solo']);
    expect(file.agents.a_1.agentId).toEqual({ index: 1, size: 2 });
    expect(file.agents.solo_0.agentId).toBeUndefined();
    let maxDiff = 0;
    shape.agentNames.forEach((name, agent) => {
      const runtime = new AgentPolicyRuntime(file, name);
      const g = net.groups[net.agentGroup[agent]];
      for (let trial = 0; trial < 20; trial++) {
        const obs = Float32Array.from({ length: g.observationSize }, () => 2 * rng.normal());
        const input = new Float32Array(g.inputSize);
        net.writeActorInput(agent, obs, 0, input, 0);
        const tfLogits = net.actorForward(net.agentGroup[agent], input, 1);
        const rtLogits = runtime.logits(obs);
        for (let k = 0; k < g.actionCount; k++) maxDiff = Math.max(maxDiff, Math.abs(tfLogits[k] - rtLogits[k]));
      }
    });
    expect(maxDiff).toBeLessThan(1e-5);
    net.dispose();
  });
});
