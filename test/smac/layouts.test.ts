import { describe, expect, it } from 'vitest';
import { createSimulation, resolveScenario } from '../../server/scenarios/registry.ts';
import { defaultStudentViews } from '../../server/scenarios/student-views.ts';
import { ObservationView } from '../../server/views/view.ts';
import { RawObservation } from '../../server/env/layout.ts';
import { Rng } from '../../shared/rng.ts';

// REFERENCE.md §2.3, derived from SMAC's get_obs_size / get_state_size with the defaults.
const TABLE = [
  ['3m', 3, 3, 9, 30, 48, 60],
  ['8m', 8, 8, 14, 80, 168, 120],
  ['2s3z', 5, 5, 11, 80, 120, 120],
  ['3s5z', 8, 8, 14, 128, 216, 150],
  ['MMM', 10, 10, 16, 160, 290, 150],
  ['5m_vs_6m', 5, 6, 12, 55, 98, 70],
  ['3s_vs_5z', 3, 5, 11, 48, 68, 250],
] as const;

describe('SMAC map table', () => {
  for (const [name, agents, enemies, actions, obs, state, limit] of TABLE) {
    for (const physics of ['matter', 'kinematic']) {
      it(`${name} (${physics}): ${agents} agents, ${actions} actions, obs ${obs}, state ${state}, limit ${limit}`, () => {
        const sim = createSimulation(name, { physics });
        expect(sim.agentNames).toEqual(Array.from({ length: agents }, (_, i) => `agent_${i}`));
        expect(sim.entities.filter((e) => e.team === 1).map((e) => e.name)).toEqual(Array.from({ length: enemies }, (_, j) => `enemy_${j}`));
        expect(sim.actionCounts.every((n) => n === actions)).toBe(true);
        expect(sim.layouts.every((l) => l.size === obs)).toBe(true);
        expect(sim.stateSize).toBe(state);
        expect(sim.maxSteps).toBe(limit);
        expect(sim.dt).toBe(0.5);
        expect(sim.layouts[0].blocks.map((b) => [b.name, b.rows, b.spatial])).toEqual([
          ['move', 1, false],
          ['enemies', enemies, true],
          ['allies', agents - 1, true],
          ['own', 1, false],
        ]);
        // The default student views compile against the layout and are smaller than the full view.
        const loaded = resolveScenario(name);
        const views = defaultStudentViews(loaded, sim);
        views.forEach((spec, i) => expect(new ObservationView(sim.layouts[i], spec).size).toBeLessThanOrEqual(obs));
      });
    }
  }

  it('writes the 2s3z rows in SMAC order, with SMAC’s enemy type order (zealot, stalker)', () => {
    const sim = createSimulation('2s3z');
    const layout = sim.layouts[0];
    expect(layout.blocks[1].features).toEqual(['available_to_attack', 'distance', 'dx', 'dy', 'health', 'shield', 'type_zealot', 'type_stalker']);
    expect(layout.blocks[2].features).toEqual(['visible', 'distance', 'dx', 'dy', 'health', 'shield', 'type_stalker', 'type_zealot']);
    expect(layout.blocks[3].features).toEqual(['health', 'shield', 'type_stalker', 'type_zealot']);
    sim.reset(new Rng(0));
    // agent_0 (stalker) next to agent_1 (stalker) and agent_2 (zealot); put enemy_0 (a stalker) 3 east of it.
    sim.setInitialState({ entities: { enemy_0: { pos: [sim.positions[0] + 3, sim.positions[1]] } } });
    const raw = new RawObservation(layout);
    sim.observe(0, raw);
    const v = raw.values;
    const enemy0 = v.slice(layout.offsets[1], layout.offsets[1] + 8);
    expect([...enemy0].map((x) => +x.toFixed(6) + 0)).toEqual([1, +(3 / 9).toFixed(6), +(3 / 9).toFixed(6), 0, 1, 1, 0, 1]);
    expect(raw.present[raw.rowStart[1]]).toBe(1);
    // enemy_1 stays at the enemy spawn, 14 away: beyond sight 9, a zero row with present 0 and its distance set.
    expect([...v.slice(layout.offsets[1] + 8, layout.offsets[1] + 16)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(raw.present[raw.rowStart[1] + 1]).toBe(0);
    expect(raw.distance[raw.rowStart[1] + 1]).toBeGreaterThan(9);
    // Ally row of agent_2 (a zealot): visible, zealot bit second in the allies' order.
    const ally1 = v.slice(layout.offsets[2] + 8, layout.offsets[2] + 16);
    expect(ally1[0]).toBe(1);
    expect([...ally1.slice(4)]).toEqual([1, 1, 0, 1]);
    expect([...v.slice(layout.offsets[3])]).toEqual([1, 1, 1, 0]);
  });

  it('lays the MMM state out as SMAC does: medivac energy in place of its cooldown, last actions one-hot', () => {
    const sim = createSimulation('MMM');
    sim.reset(new Rng(0));
    const state = new Float32Array(sim.stateSize);
    sim.writeState(state, 0);
    // Ally rows: health, cooldown|energy, x, y, 3 type bits (7); the medivac is agent_9.
    const medivac = state.slice(9 * 7, 10 * 7);
    expect(medivac[0]).toBe(1);
    expect(medivac[1]).toBeCloseTo(50 / 200, 6);
    expect([...medivac.slice(4)]).toEqual([0, 0, 1]);
    expect([...state.slice(70 + 60)].every((x) => x === 0)).toBe(true);
    const actions = Int32Array.from({ length: 10 }, () => 1);
    actions[3] = 4;
    sim.step(actions, new Float32Array(10));
    sim.writeState(state, 0);
    const last = state.slice(130);
    expect(last[3 * 16 + 4]).toBe(1);
    expect(last[0 * 16 + 1]).toBe(1);
    expect(last.reduce((a, b) => a + b, 0)).toBe(10);
  });
});
