import { describe, expect, it } from 'vitest';
import { initBackend } from '../../agents/learn/backend.ts';
import { ActorCritic } from '../../agents/learn/actor-critic.ts';
import { typedActors } from '../../agents/learn/typed-actors.ts';
import { Rng } from '../../shared/rng.ts';

describe('typedActors', () => {
  it('gives the tfjs actors\' logits for a batch of rows, per group', async () => {
    await initBackend('cpu');
    const shape = { agentNames: ['a_0', 'a_1', 'b_0'], observationSizes: [6, 6, 4], actionCounts: [5, 5, 3], stateSize: 10 };
    const net = new ActorCritic(shape, { actorHidden: [16, 8], criticHidden: [8], layerNorm: true, shareActor: true, denseMode: 'custom', seed: 3 });
    const actors = typedActors(net.toPolicyFile('test', 'test'), net.groups.map((g) => g.name));
    const rng = new Rng(9);
    net.groups.forEach((g, gi) => {
      const rows = 7;
      const input = Float32Array.from({ length: rows * g.inputSize }, () => rng.uniform() * 4 - 2);
      const expected = net.actorForward(gi, input, rows);
      const got = actors.forward(gi, input, rows);
      expect(got.length).toBe(expected.length);
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i], 4);
    });
    net.dispose();
  });
});
