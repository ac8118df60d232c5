import { describe, expect, it } from 'vitest';
import { EnvCore } from '../../server/env/env-core.ts';
import { resolveScenario } from '../../server/scenarios/registry.ts';
import { smacFamily } from '../../server/smac/family.ts';
import { resolveUnitStats } from '../../server/smac/unit-stats.ts';
import { ACTION } from '../../shared/smac-actions.ts';
import { customBattle, place, STATIONARY, stepOnce } from './helpers.ts';

function lone(clock: string, physics: string, fields: Record<string, unknown> = {}) {
  return customBattle(
    {
      clock,
      allies: { units: [{ type: 'marine', count: 1 }], spawn: [9, 16] },
      enemies: { units: [{ type: 'post', count: 1 }], spawn: [28, 16] },
      ...STATIONARY,
      ...fields,
    },
    physics,
  );
}

describe("SMAC's clock", () => {
  for (const physics of ['kinematic', 'matter']) {
    it(`moves a marine 1.125 per step on SMAC's clock and 1.575 on SMAClite's (${physics})`, () => {
      for (const [clock, perStep] of [['smac', 1.125], ['smaclite', 1.575]] as const) {
        const sim = lone(clock, physics);
        place(sim, { agent_0: [10, 16] });
        stepOnce(sim, [ACTION.east]);
        expect(sim.battle.x[0] - 10, clock).toBeCloseTo(perStep, 6);
        expect(sim.battle.y[0], clock).toBeCloseTo(16, 6);
      }
    });
  }

  it('converts the built-in stats to Normal seconds: speeds / 1.4, cooldowns x 1.4, the medivac 2.75', () => {
    const file = (clock: string) => smacFamily.schema.parse({ ...resolveScenario('MMM').file, clock });
    const smac = file('smac');
    const smaclite = file('smaclite');
    expect(resolveUnitStats(smaclite, 'marine').speed).toBe(3.15);
    expect(resolveUnitStats(smac, 'marine').speed).toBeCloseTo(2.25, 12);
    expect(resolveUnitStats(smac, 'marine').cooldown).toBeCloseTo(0.61 * 1.4, 12);
    expect(resolveUnitStats(smac, 'marauder').cooldown).toBeCloseTo(1.07 * 1.4, 12);
    expect(resolveUnitStats(smaclite, 'medivac').speed).toBe(3.5);
    expect(resolveUnitStats(smac, 'medivac').speed).toBe(2.75);
    // Health, damage and ranges do not depend on the clock.
    expect(resolveUnitStats(smac, 'marauder').hp).toBe(resolveUnitStats(smaclite, 'marauder').hp);
    expect(resolveUnitStats(smac, 'marauder').attackRange).toBe(resolveUnitStats(smaclite, 'marauder').attackRange);
  });

  it('defaults to SMAClite\'s clock on every shipped map', () => {
    for (const name of ['3m', '8m', '2s3z', '3s5z', 'MMM', '5m_vs_6m', '3s_vs_5z']) expect(resolveScenario(name).file.clock, name).toBe('smaclite');
  });
});

describe('the step limit', () => {
  function runToLimit(clock: string): EnvCore {
    const core = new EnvCore(lone(clock, 'kinematic', { maxSteps: 3 }), { seed: 5 });
    core.reset();
    let steps = 0;
    do {
      core.setAction(0, ACTION.stop, 'strict');
      steps++;
    } while (!core.step());
    expect(steps).toBe(3);
    return core;
  }

  it('terminates the episode on SMAC\'s clock (continuing_episode False: no bootstrap)', () => {
    const core = runToLimit('smac');
    expect([core.terminated, core.truncated, core.sim.won]).toEqual([true, false, false]);
  });

  it('truncates it on SMAClite\'s clock (the default)', () => {
    const core = runToLimit('smaclite');
    expect([core.terminated, core.truncated]).toEqual([false, true]);
  });
});

describe("the state's cooldown feature", () => {
  /** SMAC unit_max_cooldown, in game loops (16 per Normal second). */
  const LOOPS: Record<string, number> = { marine: 15, marauder: 25, stalker: 35, zealot: 22 };

  for (const type of Object.keys(LOOPS)) {
    it(`is ${type} cooldown in game loops over ${LOOPS[type]} on SMAC's clock, over its own cooldown on SMAClite's`, () => {
      for (const clock of ['smac', 'smaclite']) {
        const sim = customBattle(
          {
            clock,
            allies: { units: [{ type, count: 1 }], spawn: [9, 16] },
            enemies: { units: [{ type: 'post', count: 1 }], spawn: [28, 16] },
            units: { post: { base: 'marine', speed: 0, hp: 1000 } },
          },
          'kinematic',
        );
        place(sim, { agent_0: [16, 16], enemy_0: [16.9, 16] });
        stepOnce(sim, [ACTION.firstTarget]);
        const b = sim.battle;
        expect(b.cooldown[0], `${type} ${clock}: fired and cooling down`).toBeGreaterThan(0);
        const state = new Float32Array(sim.stateSize);
        sim.writeState(state, 0);
        const expected = clock === 'smac' ? (b.cooldown[0] * 16) / LOOPS[type] : b.cooldown[0] / b.cooldownMax[0];
        expect(state[1], `${type} ${clock}`).toBeCloseTo(expected, 6);
        expect(state[1]).toBeLessThanOrEqual(1);
      }
    });
  }
});
