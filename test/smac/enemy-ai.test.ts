import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/rng.ts';
import { smacFamily } from '../../server/smac/family.ts';
import { ORDER, type Battle } from '../../server/smac/battle.ts';
import { createSimulation, resolveScenario } from '../../server/scenarios/registry.ts';
import type { SmacSimulation } from '../../server/smac/smac-simulation.ts';
import { ACTION } from '../../shared/smac-actions.ts';
import { customBattle, place, stepOnce } from './helpers.ts';

/** MMM's unit indices: allies 0-1 marauders, 2-8 marines, 9 the medivac; enemies the same plus 10. */
const ALLY_MARINE = 2;
const ALLY_MARINE_2 = 3;
const ALLY_MEDIVAC = 9;
const ENEMY_MARAUDER = 10;
const ENEMY_MARINE = 12;
const ENEMY_MEDIVAC = 19;

function mmm(enemyAi = 'smaclite'): SmacSimulation {
  const file = smacFamily.schema.parse({ ...resolveScenario('MMM').file, enemyAi });
  return smacFamily.create(file, 'kinematic') as SmacSimulation;
}

/**
 * SMAClite's choice for an attack-moving fighter without a target, written from its source
 * (smaclite/env/units/unit_command.py AttackMoveCommand.__pick_target_damage and the candidate
 * lists of smaclite/env/smaclite.py __world_step): the allies it can hit by plane within its scan
 * range + the map's largest radius, plus every ally attacking it at distance 2e9; of those, the
 * ones within scan range + their own radius or attacking it; the least (healer ? 0 : 1, distance),
 * the first listed on a tie.
 */
function smaclitePick(b: Battle, u: number): number {
  const maxRadius = Math.max(...b.radius);
  const candidates: [number, number][] = [];
  for (let a = 0; a < b.nAllies; a++) {
    if (b.alive[a] === 1 && b.canTarget[u * b.n + a] === 1 && b.distance(u, a) <= b.scanRange[u] + maxRadius) candidates.push([a, b.distance(u, a)]);
  }
  for (let a = 0; a < b.nAllies; a++) {
    if (b.alive[a] === 1 && b.order[a] === ORDER.attack && b.target[a] === u && b.canTarget[u * b.n + a] === 1) candidates.push([a, 2e9]);
  }
  let best: [number, number, number] | null = null;
  for (const [a, d] of candidates) {
    const attacking = b.order[a] === ORDER.attack && b.target[a] === u;
    if (!(d < b.scanRange[u] + b.radius[a] || attacking)) continue;
    const key: [number, number, number] = [b.healer[a] === 1 ? 0 : 1, d, a];
    if (!best || key[0] < best[0] || (key[0] === best[0] && key[1] < best[1])) best = key;
  }
  return best ? best[2] : -1;
}

describe("SMAClite's enemy on a hand-built MMM state", () => {
  it('picks the allied medivac in scan range before a nearer marine; a marauder, which cannot hit air, the marine', () => {
    const sim = mmm();
    // enemy marine 3 from an allied marine, 5.5 from the medivac (scan range 5 + the medivac's radius 0.75).
    place(sim, { enemy_2: [20, 16], enemy_0: [20, 12], agent_2: [17, 16], agent_9: [20, 21.5] });
    const b = sim.battle;
    b.enemyAi!.orders();
    expect(b.target[ENEMY_MARINE]).toBe(ALLY_MEDIVAC);
    expect(b.target[ENEMY_MARAUDER]).toBe(ALLY_MARINE);
    expect(b.target[ENEMY_MARINE]).toBe(smaclitePick(b, ENEMY_MARINE));
    // The earlier enemy shot non-healers first.
    const chase = mmm('chase');
    place(chase, { enemy_2: [20, 16], enemy_0: [20, 12], agent_2: [17, 16], agent_9: [20, 21.5] });
    chase.battle.enemyAi!.orders();
    expect(chase.battle.target[ENEMY_MARINE]).toBe(ALLY_MARINE);
  });

  it('leaves a medivac just past scan range + its radius and takes the marine', () => {
    const sim = mmm();
    place(sim, { enemy_2: [20, 16], agent_2: [17, 16], agent_9: [20, 21.8] });
    sim.battle.enemyAi!.orders();
    expect(sim.battle.target[ENEMY_MARINE]).toBe(ALLY_MARINE);
  });

  it('answers an ally attacking it from beyond scan range (SMAClite lists it at distance 2e9)', () => {
    const sim = mmm();
    place(sim, { enemy_2: [24, 16], agent_2: [16, 16] });
    const b = sim.battle;
    b.order[ALLY_MARINE] = ORDER.attack;
    b.target[ALLY_MARINE] = ENEMY_MARINE;
    b.enemyAi!.orders();
    expect(b.target[ENEMY_MARINE]).toBe(ALLY_MARINE);
    expect(b.order[ENEMY_MARINE]).toBe(ORDER.attack);
  });

  it('re-picks every tick while the allies have a live healer, and keeps its target once they have none', () => {
    const sim = mmm();
    // enemy marine shooting an allied marine 4 away; another allied marine 2 away; the medivac far off.
    place(sim, { enemy_2: [20, 16], agent_2: [16, 16], agent_3: [18, 16], agent_9: [5, 10] });
    const b = sim.battle;
    b.order[ENEMY_MARINE] = ORDER.attack;
    b.target[ENEMY_MARINE] = ALLY_MARINE;
    b.enemyAi!.orders();
    expect(b.target[ENEMY_MARINE]).toBe(ALLY_MARINE_2);
    // The medivac comes within scan range: the marine switches to it at once.
    b.x[ALLY_MEDIVAC] = 20;
    b.y[ALLY_MEDIVAC] = 20.5;
    b.enemyAi!.orders();
    expect(b.target[ENEMY_MARINE]).toBe(ALLY_MEDIVAC);
    // Without an allied healer a live target in reach is kept, though another marine is nearer.
    b.alive[ALLY_MEDIVAC] = 0;
    b.target[ENEMY_MARINE] = ALLY_MARINE;
    b.enemyAi!.orders();
    expect(b.target[ENEMY_MARINE]).toBe(ALLY_MARINE);
  });

  it('matches the rule from SMAClite on 300 random MMM states', () => {
    const sim = mmm();
    const b = sim.battle;
    const rng = new Rng(23);
    let picked = 0;
    let checked = 0;
    for (let trial = 0; trial < 300; trial++) {
      sim.reset(rng);
      for (let u = 0; u < b.n; u++) {
        b.x[u] = rng.range(8, 24);
        b.y[u] = rng.range(8, 24);
        if (u < b.nAllies && rng.uniform() < 0.15) b.alive[u] = 0;
        if (u < b.nAllies && b.alive[u] === 1 && rng.uniform() < 0.3) {
          b.order[u] = ORDER.attack;
          b.target[u] = b.nAllies + rng.int(b.nEnemies);
        }
      }
      const expected = new Map<number, number>();
      for (let u = b.nAllies; u < b.n; u++) if (b.healer[u] === 0) expected.set(u, smaclitePick(b, u));
      b.enemyAi!.orders();
      for (const [u, pick] of expected) {
        checked++;
        if (pick >= 0) picked++;
        expect(b.target[u], `trial ${trial}, enemy unit ${u}`).toBe(pick);
      }
    }
    // The states exercise both outcomes: a pick and nothing in range.
    expect(picked).toBeGreaterThan(checked / 4);
    expect(picked).toBeLessThan(checked);
  });

  it('sends its medivac to the most hurt friend within scan range that is hurt or fighting', () => {
    const sim = mmm();
    place(sim, { enemy_9: [22, 16], enemy_2: [22, 19], enemy_3: [24, 16], enemy_4: [22, 13] });
    const b = sim.battle;
    // enemy_2, enemy_3 and enemy_4 hurt; enemy_4 the most.
    b.hp[12] = 30;
    b.hp[13] = 20;
    b.hp[14] = 10;
    b.enemyAi!.orders();
    expect(b.target[ENEMY_MEDIVAC]).toBe(14);
  });
});

describe("SMAClite's enemy with nothing in range", () => {
  const FAR = {
    terrain: 'open',
    allies: { units: [{ type: 'marine', count: 1 }], spawn: [9, 16] },
    enemies: { units: [{ type: 'marine', count: 1 }], spawn: [23, 16] },
    attackPoint: [16, 16],
  };

  for (const physics of ['kinematic', 'matter']) {
    it(`walks to the attack point and holds there (${physics})`, () => {
      const sim = customBattle(FAR, physics);
      place(sim, { agent_0: [9, 16], enemy_0: [23, 16] });
      for (let k = 0; k < 12; k++) stepOnce(sim, [ACTION.stop]);
      const held = [sim.battle.x[1], sim.battle.y[1]];
      expect(Math.hypot(held[0] - 16, held[1] - 16)).toBeLessThan(0.05);
      for (let k = 0; k < 20; k++) stepOnce(sim, [ACTION.stop]);
      expect(Math.hypot(sim.battle.x[1] - held[0], sim.battle.y[1] - held[1])).toBeLessThan(1e-6);
      expect(sim.battle.target[1]).toBe(-1);
      expect(sim.battle.hp[0]).toBe(45);
      // The ally stands 7 from the attack point: out of scan range (5 + its radius), within sight (9).
      // The earlier enemy walks on to the ally it sees and shoots it.
      const chase = customBattle({ ...FAR, enemyAi: 'chase' }, physics);
      place(chase, { agent_0: [9, 16], enemy_0: [23, 16] });
      for (let k = 0; k < 20; k++) stepOnce(chase, [ACTION.stop]);
      expect(chase.battle.hp[0]).toBeLessThan(45);
    });
  }

  it('is the default on the shipped maps', () => {
    for (const name of ['3m', 'MMM', '3s_vs_5z']) expect(resolveScenario(name).file.enemyAi, name).toBe('smaclite');
    expect((createSimulation('3m') as SmacSimulation).battle.enemyAi!.dropsFailedHealTarget).toBe(true);
  });
});
