import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/rng.ts';
import { resolveScenario } from '../../server/scenarios/registry.ts';
import { smacFamily } from '../../server/smac/family.ts';
import { MATTER_REFERENCE_SETTINGS, MATTER_SETTINGS, type MatterSettings } from '../../server/smac/matter-movement.ts';
import { SmacSimulation } from '../../server/smac/smac-simulation.ts';
import { ACTION } from '../../shared/smac-actions.ts';
import { STATIONARY, stepOnce } from './helpers.ts';
import { crowdingActions, touchingOverlaps } from '../../bench/smac-overlap.ts';

function battle(name: string, settings: MatterSettings): SmacSimulation {
  return new SmacSimulation(smacFamily.schema.parse(resolveScenario(name).file), 'matter', settings);
}

/** Steps the simulations side by side with the same seeded crowding actions; calls `check` after every step. */
function runTogether(sims: SmacSimulation[], steps: number, check: () => void): void {
  const rng = new Rng(11);
  const n = sims[0].agentNames.length;
  const actions = new Int32Array(n);
  const rewards = new Float32Array(n);
  for (const sim of sims) sim.reset(new Rng(5));
  for (let t = 0; t < steps; t++) {
    crowdingActions(sims[0], rng, actions);
    for (const sim of sims) sim.step(actions, rewards);
    check();
    if (sims[0].terminated || sims[0].t >= sims[0].maxSteps) for (const sim of sims) sim.reset(new Rng(t));
  }
}

describe('SMAC matter movement', () => {
  it('moves the units exactly as the full Matter.Engine.update would, on both settings', () => {
    for (const settings of [MATTER_SETTINGS, MATTER_REFERENCE_SETTINGS]) {
      const lean = battle('MMM', { ...settings, update: 'positions' });
      const full = battle('MMM', { ...settings, update: 'engine' });
      let differences = 0;
      let moved = 0;
      runTogether([lean, full], 100, () => {
        for (let u = 0; u < lean.battle.n; u++) {
          if (lean.battle.x[u] !== full.battle.x[u] || lean.battle.y[u] !== full.battle.y[u]) differences++;
          if (lean.battle.vx[u] !== 0) moved++;
        }
      });
      expect(moved).toBeGreaterThan(0);
      expect(differences).toBe(0);
    }
  });

  it('keeps units piling against the map edge no deeper into each other than the reference settings', () => {
    const depth = (settings: MatterSettings): number => {
      const file = smacFamily.schema.parse({
        name: 'crowd',
        family: 'smac',
        maxSteps: 50,
        allies: { units: [{ type: 'marine', count: 8 }], spawn: [26, 16] },
        enemies: { units: [{ type: 'post', count: 1 }], spawn: [4, 4] },
        ...STATIONARY,
      });
      const sim = new SmacSimulation(file, 'matter', settings);
      sim.reset(new Rng(1));
      const entities: Record<string, { pos: [number, number] }> = {};
      for (let u = 0; u < 8; u++) entities[`agent_${u}`] = { pos: [24 + u * 0.9, 15.6 + (u % 3) * 0.4] };
      entities.enemy_0 = { pos: [2, 2] };
      sim.setInitialState({ entities });
      const found: number[] = [];
      for (let t = 0; t < 12; t++) {
        stepOnce(sim, Array.from({ length: 8 }, (_, u) => (t % 4 === 3 ? (u % 2 === 0 ? ACTION.north : ACTION.south) : ACTION.east)));
        touchingOverlaps(sim, found);
      }
      return found.reduce((s, f) => s + f, 0) / found.length;
    };
    const current = depth(MATTER_SETTINGS);
    const reference = depth(MATTER_REFERENCE_SETTINGS);
    // The measure tells settings apart: one substep per tick lets the pile sink far deeper.
    expect(depth({ ...MATTER_SETTINGS, substepsPerTick: 1 })).toBeGreaterThan(2 * current);
    expect(current).toBeLessThan(0.1);
    expect(current).toBeLessThanOrEqual(reference * 1.1);
  });
});
