import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../agents/eval/handover-command.ts';

async function handover(args: string[]): Promise<Record<string, unknown>> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  await main([...args, '--episodes', '20', '--json']);
  return JSON.parse(String(log.mock.calls.at(-1)?.[0]));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('kdmarl handover', () => {
  it('changes nothing when student and teacher are the same policy', async () => {
    const r = await handover(['--scenario', '3m', '--teacher', 'scripted', '--student', 'scripted']);
    expect(r.teacherInApproach).toBe(r.teacher);
    expect(r.teacherInFight).toBe(r.teacher);
    expect(r.student).toBe(r.teacher);
    expect(r.disagreements).toEqual({});
  });

  it('counts where a random student and the scripted teacher differ, in both phases', async () => {
    const r = (await handover(['--scenario', '3m', '--teacher', 'scripted', '--student', 'random'])) as Record<string, number> & { disagreements: Record<string, number> };
    expect(r.teacher).toBeGreaterThan(0);
    expect(r.student).toBe(0);
    const keys = Object.keys(r.disagreements);
    expect(keys.some((k) => k.startsWith('approach: '))).toBe(true);
    expect(keys.some((k) => /^fight: teacher target_\d/.test(k))).toBe(true);
  });

  it('refuses a scenario without an approach and a fight', async () => {
    await expect(main(['--scenario', 'spread', '--teacher', 'scripted', '--student', 'random'])).rejects.toThrow(/needs a SMAC-style scenario/);
  });
});
