import { afterEach, describe, expect, it, vi } from 'vitest';
import { RunProgress } from '../../agents/run/progress.ts';

describe('RunProgress plain lines', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reports no time left, not a negative ETA, when the last rollout overshoots the budget', () => {
    const lines: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    let now = 1_000_000;
    vi.spyOn(Date, 'now').mockImplementation(() => now);
    const progress = new RunProgress(300000, 0, { tty: false, plainEverySeconds: 0 });
    now += 150_000;
    progress.update({ steps: 150000, sps: 1000, episodeReturn: 10, winRate: 0.5 });
    now += 150_000;
    progress.update({ steps: 300800, sps: 1000, episodeReturn: 17.36, winRate: 0.63 });
    expect(lines[0]).toMatch(/ETA 2m30s\n$/);
    expect(lines.at(-1)).toContain('300800/300000 steps');
    expect(lines.at(-1)).toMatch(/ETA 0m00s\n$/);
    expect(lines.join('')).not.toMatch(/ETA -/);
  });
});
