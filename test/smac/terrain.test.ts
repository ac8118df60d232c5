import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSimulation, resolveScenario } from '../../server/scenarios/registry.ts';
import type { SmacSimulation } from '../../server/smac/smac-simulation.ts';
import { ACTION } from '../../shared/smac-actions.ts';
import { customBattle, maskOf, place, STATIONARY, stepOnce } from './helpers.ts';

/** SMAC's simple.slt band: rows 0-7 and 24-31 of the 32 x 32 map are unwalkable. */
const BAND = { walkable: [{ x: [0, 32], y: [8, 24] }] };
const MARINE_RADIUS = 0.375;

/** One marine against a far, stationary enemy, so only the terrain and the map edge act on the marine. */
function lone(terrain: unknown, physics: string): SmacSimulation {
  return customBattle(
    {
      terrain,
      allies: { units: [{ type: 'marine', count: 1 }], spawn: [9, 16] },
      enemies: { units: [{ type: 'post', count: 1 }], spawn: [28, 16] },
      ...STATIONARY,
    },
    physics,
  );
}

describe('the shipped walkable band', () => {
  it('makes rows 8-23 walkable on the band maps and [3, 29)^2 on 3s_vs_5z', () => {
    for (const name of ['3m', '8m', '2s3z', '3s5z', 'MMM', '5m_vs_6m']) {
      const sim = createSimulation(name) as SmacSimulation;
      expect([sim.terrain.isWalkable(16, 7.99), sim.terrain.isWalkable(16, 8), sim.terrain.isWalkable(16, 23.99), sim.terrain.isWalkable(16, 24)], name).toEqual([false, true, true, false]);
      expect([sim.terrain.isWalkable(0, 16), sim.terrain.isWalkable(31.99, 16)], name).toEqual([true, true]);
    }
    const sim = createSimulation('3s_vs_5z') as SmacSimulation;
    expect([sim.terrain.isWalkable(2.99, 16), sim.terrain.isWalkable(3, 16), sim.terrain.isWalkable(28.99, 28.99), sim.terrain.isWalkable(29, 16), sim.terrain.isWalkable(16, 2.99)]).toEqual([false, true, true, false, false]);
  });
});

describe('a marine at the edge of the band', () => {
  it('has the move mask closed toward the cliff, as SMAC checks the cell half a move ahead', () => {
    const sim = lone(BAND, 'kinematic');
    place(sim, { agent_0: [16, 8.9] });
    // north, south, east, west: 7.9 is in unwalkable row 7.
    expect(maskOf(sim, 0).slice(ACTION.north, ACTION.west + 1)).toEqual([1, 0, 1, 1]);
    place(sim, { agent_0: [16, 9] });
    expect(maskOf(sim, 0).slice(ACTION.north, ACTION.west + 1)).toEqual([1, 1, 1, 1]);
    place(sim, { agent_0: [16, 23.1] });
    expect(maskOf(sim, 0).slice(ACTION.north, ACTION.west + 1)).toEqual([0, 1, 1, 1]);
    // On the open field the same spot may move south.
    const open = lone('open', 'kinematic');
    place(open, { agent_0: [16, 8.9] });
    expect(maskOf(open, 0).slice(ACTION.north, ACTION.west + 1)).toEqual([1, 1, 1, 1]);
  });

  for (const physics of ['kinematic', 'matter']) {
    it(`cannot walk off the band (${physics})`, () => {
      const sim = lone(BAND, physics);
      // Allowed south move first, then keep ordering south (the env would mask it; the physics must hold anyway).
      place(sim, { agent_0: [16, 9.2] });
      let lowest = Number.POSITIVE_INFINITY;
      for (let k = 0; k < 6; k++) {
        stepOnce(sim, [ACTION.south]);
        lowest = Math.min(lowest, sim.battle.y[0]);
      }
      expect(lowest).toBeGreaterThanOrEqual(8 + MARINE_RADIUS - 1e-9);
      expect(sim.battle.y[0]).toBeCloseTo(8 + MARINE_RADIUS, 6);
      place(sim, { agent_0: [16, 22.8] });
      for (let k = 0; k < 6; k++) stepOnce(sim, [ACTION.north]);
      expect(sim.battle.y[0]).toBeCloseTo(24 - MARINE_RADIUS, 6);
      // Control: on the open field the same orders take it past the band's edge.
      const open = lone('open', physics);
      place(open, { agent_0: [16, 9.2] });
      for (let k = 0; k < 6; k++) stepOnce(open, [ACTION.south]);
      expect(open.battle.y[0]).toBeLessThan(8);
    });
  }

  it('lets an air unit fly over the cliff (SC2 and SMAClite)', () => {
    const sim = customBattle(
      {
        terrain: BAND,
        // A marine beside it: an army of healers alone counts as beaten (SMAC).
        allies: { units: [{ type: 'marine', count: 1 }, { type: 'medivac', count: 1 }], spawn: [9, 16] },
        enemies: { units: [{ type: 'post', count: 2 }], spawn: [28, 16] },
        ...STATIONARY,
      },
      'kinematic',
    );
    place(sim, { agent_0: [9, 16], agent_1: [16, 9] });
    for (let k = 0; k < 4; k++) stepOnce(sim, [ACTION.stop, ACTION.south]);
    expect(sim.battle.y[1]).toBeLessThan(8);
  });

  it("accepts an air unit's start over the cliff and refuses a ground unit's there", () => {
    const sim = createSimulation('MMM') as SmacSimulation;
    // MMM's allies: agent_0-1 marauders, agent_2-8 marines, agent_9 the medivac.
    place(sim, { agent_9: [9, 5] });
    expect([sim.battle.x[9], sim.battle.y[9]]).toEqual([9, 5]);
    expect(() => place(sim, { agent_2: [9, 5] })).toThrow('init.entities.agent_2.pos: agent_2 at (9.00, 5.00) in cell (9, 5), which the terrain leaves unwalkable');
    // At load too: a medivac may spawn over the cliff, a marine may not.
    const medivacOverCliff = { terrain: BAND, attackPoint: [9, 16], allies: { units: [{ type: 'medivac', count: 1 }], spawn: [9, 4] } };
    expect(() => customBattle({ ...medivacOverCliff, enemies: { units: [{ type: 'marine', count: 1 }], spawn: [23, 16] } })).not.toThrow();
    expect(() => customBattle({ ...medivacOverCliff, allies: { units: [{ type: 'marine', count: 1 }], spawn: [9, 4] }, enemies: { units: [{ type: 'marine', count: 1 }], spawn: [23, 16] } })).toThrow(
      "scenario 'custom': agent_0 starts at (9.00, 4.00) in cell (9, 4), which the terrain leaves unwalkable",
    );
  });
});

describe('terrain errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kdmarl-terrain-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const tmpPath = (stem: string): string => join(dir, `${stem}.json`);

  /** The shipped 3m with some fields replaced, loaded through the scenario loader from a file. */
  function load(fields: Record<string, unknown>): () => unknown {
    const path = tmpPath(Object.keys(fields).join('-'));
    writeFileSync(path, JSON.stringify({ ...resolveScenario('3m').file, ...fields }));
    return () => createSimulation(path);
  }

  function oneLine(run: () => unknown): string {
    try {
      run();
    } catch (error) {
      const message = (error as Error).message;
      expect(message).not.toContain('\n');
      return message;
    }
    throw new Error('expected an error');
  }

  it('names the unit and the cell when a unit starts on an unwalkable cell', () => {
    const message = oneLine(load({ allies: { units: [{ type: 'marine', count: 3 }], spawn: [9, 5] }, attackPoint: [9, 16] }));
    expect(message).toMatch(/^scenario '3m': agent_0 starts at \(\d+\.\d\d, \d+\.\d\d\) in cell \(\d+, [4-6]\), which the terrain leaves unwalkable$/);
  });

  it('names the cell of an attack point outside the walkable area', () => {
    const message = oneLine(load({ attackPoint: [16, 28.5] }));
    expect(message).toBe("scenario '3m': attackPoint (16, 28.5), where the enemies walk, is in cell (16, 28), which the terrain leaves unwalkable");
  });

  it('rejects a walkable rectangle past the map or an empty span with one line naming the field', () => {
    expect(oneLine(load({ terrain: { walkable: [{ x: [0, 33], y: [8, 24] }] } }))).toMatch(/terrain\.walkable\[0\].*reaches past the 32x32 map/);
    expect(oneLine(load({ terrain: { walkable: [{ x: [5, 5], y: [8, 24] }] } }))).toMatch(/terrain\.walkable\[0\]\.x.*from < to/);
    expect(oneLine(load({ terrain: { walkable: [{ x: [0.5, 32], y: [8, 24] }] } }))).toBe(`${tmpPath('terrain')}: terrain.walkable[0].x[0]: a cell index is a whole number (cells are 1 x 1), got 0.5`);
    expect(oneLine(load({ terrain: { walkable: [{ x: [0, 32], y: [8, -1] }] } }))).toMatch(/^.*: terrain\.walkable\[0\]\.y\[1\]: .*>=0/);
    const shape = "terrain: expected 'open' or { \"walkable\": [{ \"x\": [from, to], \"y\": [from, to] }, ...] } in whole cells";
    expect(oneLine(load({ terrain: 'flat' }))).toBe(`${tmpPath('terrain')}: ${shape}`);
    expect(oneLine(load({ terrain: { walkable: [{ x: [0, 32] }] } }))).toMatch(/terrain.*(walkable\[0\]\.y|expected 'open')/);
    expect(oneLine(load({ clock: 'normal' }))).toMatch(/clock.*smaclite.*smac/);
    expect(oneLine(load({ enemyAi: 'hunt' }))).toMatch(/enemyAi.*smaclite.*chase/);
  });
});
