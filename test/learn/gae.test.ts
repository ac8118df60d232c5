import { describe, expect, it } from 'vitest';
import { computeGae } from '../../agents/learn/gae.ts';

describe('computeGae', () => {
  it('matches a hand computation with a truncation bootstrap and a termination cut', () => {
    // One column, 4 steps. Episode A: steps 0-1, truncated after step 1 (bootstrap V(final) = 5).
    // Episode B: steps 2-3, terminated at step 3 (no bootstrap).
    const gamma = 0.9;
    const lambda = 0.5;
    const rewards = Float32Array.from([1, 2, 3, 4]);
    const values = Float32Array.from([0.5, 1, 1.5, 2]);
    const nextValues = Float32Array.from([1, 5, 2, 123]);
    const terminated = Uint8Array.from([0, 0, 0, 1]);
    const episodeEnd = Uint8Array.from([0, 1, 0, 1]);
    const adv = new Float32Array(4);
    const ret = new Float32Array(4);
    computeGae({ steps: 4, columns: 1, rewards, values, nextValues, terminated, episodeEnd, gamma, lambda }, adv, ret);
    const d3 = 4 - 2; // terminated: no bootstrap
    const d2 = 3 + 0.9 * 2 - 1.5;
    const d1 = 2 + 0.9 * 5 - 1; // truncated: bootstrap from V(final state)
    const d0 = 1 + 0.9 * 1 - 0.5;
    const a3 = d3;
    const a2 = d2 + 0.45 * a3;
    const a1 = d1; // cut at the episode end
    const a0 = d0 + 0.45 * a1;
    expect(Array.from(adv)).toEqual([a0, a1, a2, a3].map((v) => expect.closeTo(v, 5)));
    expect(Array.from(ret)).toEqual([a0 + 0.5, a1 + 1, a2 + 1.5, a3 + 2].map((v) => expect.closeTo(v, 5)));
  });

  it('keeps columns independent (time-major layout)', () => {
    const adv = new Float32Array(4);
    const ret = new Float32Array(4);
    // columns: [c0, c1] at t=0, [c0, c1] at t=1; only c1 gets reward.
    computeGae(
      { steps: 2, columns: 2, rewards: Float32Array.from([0, 1, 0, 1]), values: new Float32Array(4), nextValues: new Float32Array(4), terminated: new Uint8Array(4), episodeEnd: new Uint8Array(4), gamma: 1, lambda: 1 },
      adv,
      ret,
    );
    expect(Array.from(adv)).toEqual([0, 2, 0, 1]);
  });

  it('rejects arrays of the wrong length', () => {
    expect(() =>
      computeGae({ steps: 2, columns: 1, rewards: new Float32Array(3), values: new Float32Array(2), nextValues: new Float32Array(2), terminated: new Uint8Array(2), episodeEnd: new Uint8Array(2), gamma: 1, lambda: 1 }, new Float32Array(2), new Float32Array(2)),
    ).toThrow(/rewards has 3 values, expected steps x columns = 2/);
  });
});
