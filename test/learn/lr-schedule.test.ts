import { describe, expect, it } from 'vitest';
import { linearDecay } from '../../agents/learn/adam.ts';

describe('linearDecay (CleanRL anneal_lr)', () => {
  it('starts at the base rate, falls by lr/updates per update and ends at lr/updates', () => {
    const rates = Array.from({ length: 4 }, (_, u) => linearDecay(1e-3, u, 4));
    expect(rates).toEqual([1e-3, 7.5e-4, 5e-4, 2.5e-4].map((r) => expect.closeTo(r, 12)));
  });

  it('never reaches zero or goes negative when a resumed run overshoots its budget', () => {
    expect(linearDecay(1e-3, 10, 4)).toBeCloseTo(2.5e-4, 12);
  });
});
