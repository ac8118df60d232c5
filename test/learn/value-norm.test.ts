import { describe, expect, it } from 'vitest';
import { ValueNorm } from '../../agents/learn/value-norm.ts';
import { Rng } from '../../shared/rng.ts';

describe('ValueNorm', () => {
  it('learns the mean and std of its targets and round-trips normalise/denormalise', () => {
    const norm = new ValueNorm(0.99);
    const rng = new Rng(3);
    for (let k = 0; k < 50; k++) {
      const batch = Float32Array.from({ length: 500 }, () => 10 + 3 * rng.normal());
      norm.update(batch);
    }
    expect(norm.mean).toBeCloseTo(10, 0);
    expect(Math.sqrt(norm.variance)).toBeGreaterThan(2.7);
    expect(Math.sqrt(norm.variance)).toBeLessThan(3.3);
    const x = Float32Array.from([7, 10, 13]);
    const y = norm.normalize(x, new Float32Array(3));
    expect(y[1]).toBeCloseTo(0, 0);
    expect(Array.from(norm.denormalize(y, new Float32Array(3)))).toEqual([7, 10, 13].map((v) => expect.closeTo(v, 4)));
  });

  it('ignores masked samples (dead agents) and restores its state exactly', () => {
    const norm = new ValueNorm(0.9);
    norm.update(Float32Array.from([1, 1, 1000]), Uint8Array.from([1, 1, 0]));
    expect(norm.mean).toBeCloseTo(1, 5);
    const copy = new ValueNorm(0.9);
    copy.setState(norm.getState());
    expect(copy.mean).toBe(norm.mean);
    expect(copy.variance).toBe(norm.variance);
    expect(() => copy.setState({ mean: Number.NaN, meanSq: 0, debias: 1 })).toThrow(/mean is not a finite number/);
  });
});
