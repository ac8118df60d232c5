import { describe, expect, it } from 'vitest';
import { RawObservation } from '../../server/env/layout.ts';
import type { Simulation } from '../../server/env/simulation.ts';
import { resolveScenario } from '../../server/scenarios/registry.ts';
import { defaultStudentViews } from '../../server/scenarios/student-views.ts';
import { ObservationView } from '../../server/views/view.ts';
import { robotWorld } from './helpers.ts';

const ROBOT_SCENARIOS = ['navigation', 'navigation_diff_drive', 'transport', 'passage', 'balance'];

function studentObservations(name: string, sim: Simulation): Float32Array[] {
  const views = defaultStudentViews(resolveScenario(name), sim);
  return sim.agentNames.map((_, i) => {
    const raw = new RawObservation(sim.layouts[i]);
    sim.observe(i, raw);
    const view = new ObservationView(sim.layouts[i], views[i]);
    const out = new Float32Array(view.size);
    view.write(raw, true, out, 0);
    return out;
  });
}

/** Every movable or placed entity shifted by (dx, dy), velocities, angles and spins kept. */
function shiftedInit(sim: Simulation, dx: number, dy: number) {
  return {
    entities: Object.fromEntries(
      sim.entities.map((e, i) => [
        e.name,
        {
          pos: [sim.positions[2 * i] + dx, sim.positions[2 * i + 1] + dy] as [number, number],
          vel: [sim.velocities[2 * i], sim.velocities[2 * i + 1]] as [number, number],
          rot: sim.rotations![i],
        },
      ]),
    ),
  };
}

describe('robot student views carry no absolute positions', () => {
  it.each(ROBOT_SCENARIOS)('%s: the student drops pos_x/pos_y, and shifting the whole world leaves its inputs unchanged', (name) => {
    const sim = robotWorld(name, undefined, { seed: 7 });
    const views = defaultStudentViews(resolveScenario(name), sim);
    views.forEach((v, i) => {
      const labels = new ObservationView(sim.layouts[i], v).labels;
      expect(labels.some((l) => l.includes('pos_x') || l.includes('pos_y'))).toBe(false);
    });
    // Not vacuous: the teacher's view does change when the world moves.
    const teacherBefore = new RawObservation(sim.layouts[0]);
    sim.observe(0, teacherBefore);
    const before = studentObservations(name, sim);
    const init = shiftedInit(sim, 0.05, -0.03);
    const teacherValues = Float32Array.from(teacherBefore.values);
    sim.setInitialState(init);
    const after = studentObservations(name, sim);
    const teacherAfter = new RawObservation(sim.layouts[0]);
    sim.observe(0, teacherAfter);
    expect(Array.from(teacherAfter.values)).not.toEqual(Array.from(teacherValues));
    after.forEach((obs, i) => {
      expect(obs).toHaveLength(before[i].length);
      obs.forEach((v, k) => expect(v).toBeCloseTo(before[i][k], 5));
    });
  });

  it('the navigation student keeps velocity, goal offset and lidar (16 inputs of 18)', () => {
    const sim = robotWorld('navigation');
    const view = new ObservationView(sim.layouts[0], defaultStudentViews(resolveScenario('navigation'), sim)[0]);
    expect(view.size).toBe(16);
    expect(view.labels.slice(0, 4)).toEqual(['self.vel_x', 'self.vel_y', 'goal.dx', 'goal.dy']);
  });
});
