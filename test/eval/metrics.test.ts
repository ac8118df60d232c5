import { describe, expect, it } from 'vitest';
import { ci95HalfWidth, returnRetention, summarizeEpisodes, winRateRetention } from '../../agents/eval/metrics.ts';

describe('docs/method.md §6 metrics', () => {
  it('summarises episodes: win rate counts only wins (timeouts are losses), return is the mean team return', () => {
    const s = summarizeEpisodes([
      { teamReturn: 1, length: 10, won: true },
      { teamReturn: 3, length: 20, won: false },
      { teamReturn: 2, length: 30, won: true },
      { teamReturn: 2, length: 60, won: false },
    ]);
    expect(s.episodes).toBe(4);
    expect(s.winRate).toBe(0.5);
    expect(s.meanReturn).toBe(2);
    expect(s.meanLength).toBe(30);
    // sample std = sqrt(2/3); t(0.975, 3) = 3.182
    expect(s.returnCi95).toBeCloseTo((3.182 * Math.sqrt(2 / 3)) / 2, 6);
  });

  it('uses the normal quantile for large samples and gives retention figures', () => {
    const values = Array.from({ length: 200 }, (_, i) => (i % 2 ? 1 : -1));
    expect(ci95HalfWidth(values)).toBeCloseTo((1.96 * Math.sqrt(200 / 199)) / Math.sqrt(200), 6);
    expect(winRateRetention(0.9, 1)).toBe(0.9);
    expect(returnRetention(-15, -10, -25)).toBeCloseTo(2 / 3, 10);
    expect(Number.isNaN(winRateRetention(0.5, 0))).toBe(true);
  });
});
