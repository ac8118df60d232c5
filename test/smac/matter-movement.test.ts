import { describe, expect, it } from 'vitest';
import Matter from 'matter-js';
import { createUnitBody } from '../../server/smac/bodies/matter-units.ts';
import { PolygonState } from '../../server/smac/bodies/polygon-state.ts';
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

/**
 * Steps the simulations side by side with the same seeded crowding actions; calls `check` after
 * every step. Resets when the battle ends and, every `resetEvery` steps, mid-battle (so also
 * with every unit alive, when matter-js' detector starts the episode with an empty body list).
 */
function runTogether(sims: SmacSimulation[], steps: number, check: () => void, resetEvery = Infinity): number {
  const rng = new Rng(11);
  const n = sims[0].agentNames.length;
  const actions = new Int32Array(n);
  const rewards = new Float32Array(n);
  let resets = 0;
  for (const sim of sims) sim.reset(new Rng(5));
  for (let t = 0; t < steps; t++) {
    crowdingActions(sims[0], rng, actions);
    for (const sim of sims) sim.step(actions, rewards);
    check();
    if (sims[0].terminated || sims[0].t >= sims[0].maxSteps || (t + 1) % resetEvery === 0) {
      for (const sim of sims) sim.reset(new Rng(t));
      resets++;
    }
  }
  return resets;
}

/** Counts unit positions and velocities that differ in any bit between two simulations of the same battle. */
function differingValues(a: SmacSimulation, b: SmacSimulation): number {
  let differences = 0;
  for (const key of ['x', 'y', 'vx', 'vy'] as const) {
    const left = a.battle[key];
    const right = b.battle[key];
    for (let u = 0; u < left.length; u++) if (!Object.is(left[u], right[u])) differences++;
  }
  return differences;
}

/** A map of `marines` allied marines spawned together at `at` against one stationary post. */
function marineCrowd(marines: number, at: [number, number], post: [number, number], maxSteps: number) {
  return smacFamily.schema.parse({
    name: 'crowd',
    family: 'smac',
    maxSteps,
    allies: { units: [{ type: 'marine', count: marines }], spawn: at },
    enemies: { units: [{ type: 'post', count: 1 }], spawn: post },
    ...STATIONARY,
  });
}

describe('SMAC matter movement', () => {
  it('moves the units with the typed-array port exactly as matter-js does, on both settings', () => {
    for (const name of ['3m', '8m', '2s3z', '3s5z', 'MMM']) {
      for (const settings of [MATTER_SETTINGS, MATTER_REFERENCE_SETTINGS]) {
        const port = battle(name, { ...settings, update: 'port' });
        const matter = battle(name, { ...settings, update: 'positions' });
        let differences = 0;
        let deaths = 0;
        const touching: number[] = [];
        const resets = runTogether([port, matter], 400, () => {
          differences += differingValues(port, matter);
          touchingOverlaps(matter, touching);
          for (let u = 0; u < matter.battle.n; u++) if (matter.battle.alive[u] === 0) deaths++;
        }, 90);
        expect(differences, `${name}, ${settings.substepsPerTick} substeps`).toBe(0);
        // The comparison covered contacts, deaths mid-battle and resets.
        expect(touching.length).toBeGreaterThan(100);
        expect(deaths).toBeGreaterThan(0);
        expect(resets).toBeGreaterThan(3);
      }
    }
  });

  it('moves a crowd pressed together for many steps exactly as matter-js does', () => {
    // 16 marines pushing into one corner for 600 steps: every unit in contact with several others,
    // where a single rounding step done differently would spread through the pile.
    const crowd = (update: MatterSettings['update']): SmacSimulation => {
      const file = marineCrowd(16, [20, 16], [2, 30], 1000);
      const sim = new SmacSimulation(file, 'matter', { ...MATTER_SETTINGS, update });
      sim.reset(new Rng(1));
      const entities: Record<string, { pos: [number, number] }> = {};
      for (let u = 0; u < 16; u++) entities[`agent_${u}`] = { pos: [20 + (u % 4) * 1.1, 12 + Math.floor(u / 4) * 1.1] };
      entities.enemy_0 = { pos: [1, 31] };
      sim.setInitialState({ entities });
      return sim;
    };
    const port = crowd('port');
    const matter = crowd('positions');
    const rng = new Rng(3);
    let differences = 0;
    const touching: number[] = [];
    for (let t = 0; t < 600; t++) {
      const actions = Array.from({ length: 16 }, () => (rng.uniform() < 0.8 ? ACTION.east : ACTION.north));
      stepOnce(port, actions);
      stepOnce(matter, actions);
      differences += differingValues(port, matter);
      touchingOverlaps(matter, touching);
    }
    expect(differences).toBe(0);
    // On average more than 12 touching pairs among the 16 marines after every step.
    expect(touching.length).toBeGreaterThan(600 * 12);
  });


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
      const file = marineCrowd(8, [26, 16], [4, 4], 50);
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
  it('pushes touching units apart in an episode that follows one in which no unit died', () => {
    for (const update of ['port', 'positions', 'engine'] as const) {
      const distances = [false, true].map((afterQuietEpisode) => {
        const sim = battle('3m', { ...MATTER_SETTINGS, update });
        const stop = Int32Array.from([ACTION.stop, ACTION.stop, ACTION.stop]);
        const rewards = new Float32Array(3);
        sim.reset(new Rng(1));
        if (afterQuietEpisode) {
          for (let t = 0; t < 3; t++) sim.step(stop, rewards);
          sim.reset(new Rng(1));
        }
        sim.setInitialState({ entities: { agent_0: { pos: [10, 16] }, agent_1: { pos: [10.2, 16] } } });
        for (let t = 0; t < 3; t++) sim.step(stop, rewards);
        const b = sim.battle;
        expect(b.radius[0] + b.radius[1], update).toBeCloseTo(0.75, 6);
        return Math.hypot(b.x[0] - b.x[1], b.y[0] - b.y[1]);
      });
      // 0.2 apart at the start; contacts push them to about their summed radii (0.75) either way.
      for (const d of distances) expect(d, update).toBeGreaterThan(0.7);
      expect(distances[1], update).toBe(distances[0]);
    }
  });
});

describe('the port\'s extreme-vertex table', () => {
  it('accepts equally oriented units of different sizes and refuses a unit turned against the others', () => {
    const bodies = [createUnitBody(0.375, false), createUnitBody(0.5625, false), createUnitBody(0.75, false)];
    bodies.forEach((body, i) => Matter.Body.setPosition(body, { x: 40 * i, y: 0 }));
    expect(new PolygonState(bodies).extremes.length).toBeGreaterThan(0);
    // The same decagon turned by one vertex, angle still 0: only the vertex table can tell.
    Matter.Body.setVertices(bodies[2], Matter.Vertices.rotate(bodies[2].vertices.map((v) => ({ x: v.x, y: v.y })), Math.PI / 5, bodies[2].position));
    Matter.Body.setInertia(bodies[2], Infinity);
    expect(() => new PolygonState(bodies)).toThrow(/bodies 0 and 2 differ in their extreme vertices/);
  });
});
