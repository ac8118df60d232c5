import { describe, expect, it } from 'vitest';
import { battleEndLines } from '../../agents/eval/eval-command.ts';
import { summarizeEpisodes, type EpisodeOutcome } from '../../agents/eval/metrics.ts';

const won: EpisodeOutcome = { teamReturn: 20, length: 20, won: true, end: { alliesLeft: 2, enemiesLeft: 0, allyHealthLeft: 0.5, enemyHealthLeft: 0, firstLoss: 'ally' } };
const lost: EpisodeOutcome = { teamReturn: 5, length: 30, won: false, end: { alliesLeft: 0, enemiesLeft: 1, allyHealthLeft: 0, enemyHealthLeft: 0.2, firstLoss: 'enemy' } };

describe('kdmarl eval battle-end lines', () => {
  it('says a side had no episodes instead of printing NaN', () => {
    const allWon = battleEndLines(summarizeEpisodes([won, won]).battleEnds!);
    expect(allWon).toEqual(['wins (2): 2.00 allies left, 50% ally health left, an ally fell first in 100%', 'losses (0): none']);
    const allLost = battleEndLines(summarizeEpisodes([lost]).battleEnds!);
    expect(allLost).toEqual(['wins (0): none', 'losses (1): 1.00 enemies left (one in 100%), 20% enemy health left, an ally fell first in 0%']);
    expect([...allWon, ...allLost].join('\n')).not.toMatch(/NaN/);
  });
});
