import { describe, expect, it } from 'vitest';
import { Rng, deriveSeed } from '../../shared/rng.ts';
import { resolveScenario } from '../../server/scenarios/registry.ts';
import { smacFamily } from '../../server/smac/family.ts';
import type { SmacSimulation } from '../../server/smac/smac-simulation.ts';

function map(name: string, jitter: number, extra: Record<string, unknown> = {}): SmacSimulation {
  const shipped = resolveScenario(name).file as Record<string, Record<string, unknown>>;
  const file = smacFamily.schema.parse({ ...shipped, allies: { ...shipped.allies, jitter }, enemies: { ...shipped.enemies, jitter }, ...extra });
  return smacFamily.create(file, 'kinematic') as SmacSimulation;
}

function starts(sim: SmacSimulation, seed: number): number[] {
  sim.reset(new Rng(seed));
  return Array.from(sim.battle.x, (x, u) => [x, sim.battle.y[u]]).flat();
}

/**
 * 3m's grid worked by hand from SMAClite's __place_group: 2 units a row, row radius 0.375, gap
 * 0.05, the group 1.5 wide and 1.55 high around (9, 16); the enemy mirrored through (23, 16).
 */
const GRID_3M = [8.625, 15.6, 9.425, 15.6, 8.625, 16.4, 23.375, 16.4, 22.575, 16.4, 23.375, 15.6];

describe('starts', () => {
  it("are SMAClite's exact grid with jitter 0, the same on every seed", () => {
    const sim = map('3m', 0);
    for (const seed of [1, 2, deriveSeed(777, 5)]) {
      const xy = starts(sim, seed);
      xy.forEach((v, k) => expect(v, `coordinate ${k}, seed ${seed}`).toBeCloseTo(GRID_3M[k], 9));
    }
  });

  it('move each unit by up to the jitter on each axis, differently per seed, and stay off unwalkable cells', () => {
    const sim = map('3m', 1.5);
    const seen = new Set<string>();
    let largest = 0;
    for (let e = 0; e < 200; e++) {
      const xy = starts(sim, deriveSeed(777, e));
      seen.add(xy.map((v) => v.toFixed(6)).join());
      xy.forEach((v, k) => {
        largest = Math.max(largest, Math.abs(v - GRID_3M[k]));
        expect(Math.abs(v - GRID_3M[k])).toBeLessThanOrEqual(1.5 + 1e-9);
      });
    }
    expect(seen.size).toBe(200);
    expect(largest).toBeGreaterThan(1.2);
    // A start near the band's edge is pushed inside it: spawn the allies at the edge with a large jitter.
    const edge = map('3m', 3, { attackPoint: [9, 16], allies: { units: [{ type: 'marine', count: 3 }], spawn: [9, 9], jitter: 3 } });
    for (let e = 0; e < 200; e++) {
      starts(edge, e);
      for (let u = 0; u < edge.battle.n; u++) expect(edge.battle.y[u] - edge.battle.radius[u], `seed ${e}, unit ${u}`).toBeGreaterThanOrEqual(8 - 1e-9);
    }
  });
});
