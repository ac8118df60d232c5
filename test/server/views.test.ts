import { describe, expect, it } from 'vitest';
import { makeLayout, RawObservation } from '../../server/env/layout.ts';
import { ObservationView } from '../../server/views/view.ts';
import { createSimulation } from '../../server/scenarios/registry.ts';
import { ParallelEnv } from '../../server/env/parallel-env.ts';
import { ACTION } from '../../shared/smac-actions.ts';

const layout = makeLayout([
  { name: 'self', rows: 1, features: ['a', 'b'], spatial: false },
  { name: 'things', rows: 4, features: ['dx', 'dy', 'hp'], spatial: true },
]);

function rawWith(distances: number[], present = [1, 1, 1, 1]): RawObservation {
  const raw = new RawObservation(layout);
  raw.values.set([10, 20]);
  for (let r = 0; r < 4; r++) {
    raw.values.set([r + 0.1, r + 0.2, r + 0.3], 2 + 3 * r);
    raw.distance[1 + r] = distances[r];
    raw.present[1 + r] = present[r];
  }
  return raw;
}

describe('observation views', () => {
  it('the full view copies the raw table', () => {
    const view = new ObservationView(layout, {});
    const out = new Float32Array(view.size);
    view.write(rawWith([1, 2, 3, 4]), true, out, 0);
    expect(view.size).toBe(14);
    expect(view.isFull).toBe(true);
    expect(out[0]).toBe(10);
    expect(out[13]).toBeCloseTo(3.3);
  });

  it('k nearest rows come nearest first, zero-padded, skipping absent and out-of-sight rows', () => {
    const view = new ObservationView(layout, { nearest: { things: 3 }, sight: 5 });
    const out = new Float32Array(view.size);
    view.write(rawWith([4, 1, 9, 2], [1, 1, 1, 0]), true, out, 0);
    // row 1 (d=1), then row 0 (d=4); row 3 is absent and row 2 is beyond sight
    expect(view.size).toBe(2 + 3 * 3);
    expect([...out.slice(2)].map((x) => Math.round(x * 10) / 10)).toEqual([1.1, 1.2, 1.3, 0.1, 0.2, 0.3, 0, 0, 0]);
  });

  it('feature subsets and block selection shrink the vector; a sight radius zeroes far rows in place', () => {
    const view = new ObservationView(layout, { blocks: ['things'], features: { things: ['hp'] }, sight: 2.5 });
    const out = new Float32Array(view.size);
    view.write(rawWith([1, 3, 2, 0.5]), true, out, 0);
    expect(view.labels).toEqual(['things[0].hp', 'things[1].hp', 'things[2].hp', 'things[3].hp']);
    expect([...out].map((x) => Math.round(x * 10) / 10)).toEqual([0.3, 0, 2.3, 3.3]);
  });

  it('a dead observer sees zeros', () => {
    const view = new ObservationView(layout, {});
    const out = new Float32Array(view.size).fill(7);
    view.write(rawWith([1, 2, 3, 4]), false, out, 0);
    expect([...out].every((x) => x === 0)).toBe(true);
  });

  it('names the unknown block or feature a profile asks for', () => {
    expect(() => new ObservationView(layout, { blocks: ['enemies'] })).toThrow(/unknown block 'enemies'.*self, things/);
    expect(() => new ObservationView(layout, { features: { things: ['mana'] } })).toThrow(/unknown feature 'mana'/);
    expect(() => new ObservationView(layout, { nearest: { self: 1 } })).toThrow(/not spatial/);
  });

  it('a spread student view with one nearest agent matches MPE2 num_agent_neighbors=1', () => {
    const sim = createSimulation('spread');
    const env = new ParallelEnv(sim, { views: { agent_0: { nearest: { agents: 1, comm: 1 } } } });
    const { observations } = env.reset({ seed: 7 });
    const obs = observations.agent_0.observation;
    expect(obs.length).toBe(4 + 6 + 2 + 2);
    const full = new ParallelEnv(createSimulation('spread')).reset({ seed: 7 }).observations.agent_0.observation;
    const others = [[full[10], full[11]], [full[12], full[13]]];
    const nearest = others.sort((a, b) => Math.hypot(a[0], a[1]) - Math.hypot(b[0], b[1]))[0];
    expect([obs[10], obs[11]]).toEqual(nearest);
  });

  it("MMM's medivac sees its nearest enemies in a real battle: nearest first, only living ones in sight, zero-padded", () => {
    // Full-view enemy rows: available_to_attack, distance / 9, dx, dy, health, 3 type bits, after the 4 move bits.
    const firstEnemy = 4;
    const enemyStride = 8;
    const sight = 7;
    const k = 3;
    const spec = { blocks: ['enemies'], nearest: { enemies: k }, features: { enemies: ['distance', 'dx', 'dy', 'health'] }, sight };
    const limited = new ParallelEnv(createSimulation('MMM'), { views: { agent_9: spec } });
    const full = new ParallelEnv(createSimulation('MMM'));
    let limitedObs = limited.reset({ seed: 3 }).observations;
    let fullObs = full.reset({ seed: 3 }).observations;
    let stepsWithMoreThanK = 0;
    let stepsWithRowsBeyondSight = 0;
    for (let t = 0; t < 60 && full.agents.length > 0; t++) {
      const all = fullObs.agent_9.observation;
      const rows = Array.from({ length: 10 }, (_, j) => all.slice(firstEnemy + j * enemyStride, firstEnemy + (j + 1) * enemyStride));
      // The full view zeroes dead rows and rows beyond the teacher's sight; a living unit in sight has health > 0.
      const seen = rows.filter((row) => row[4] > 0);
      const inSight = seen.filter((row) => row[1] * 9 <= sight);
      const expected = inSight
        .sort((a, b) => a[1] - b[1])
        .slice(0, k)
        .flatMap((row) => [row[1], row[2], row[3], row[4]]);
      while (expected.length < 4 * k) expected.push(0);
      const got = [...limitedObs.agent_9.observation];
      expect(got.length).toBe(4 * k);
      for (let f = 0; f < got.length; f++) expect(got[f]).toBeCloseTo(expected[f], 5);
      if (inSight.length > k) stepsWithMoreThanK++;
      if (seen.length > inSight.length) stepsWithRowsBeyondSight++;
      // Fighters attack their first available target, else walk east; the medivac follows.
      const actions: Record<string, number> = {};
      for (const [name, { actionMask }] of Object.entries(fullObs)) {
        const target = actionMask.indexOf(1, ACTION.firstTarget);
        actions[name] = target >= 0 && name !== 'agent_9' ? target : actionMask[ACTION.east] ? ACTION.east : actionMask[ACTION.stop] ? ACTION.stop : ACTION.noop;
      }
      limitedObs = limited.step(actions).observations;
      fullObs = full.step(actions).observations;
    }
    // The battle reached the cases the filter exists for: more enemies in sight than k, and enemies the teacher sees beyond the student's sight.
    expect(stepsWithMoreThanK).toBeGreaterThan(0);
    expect(stepsWithRowsBeyondSight).toBeGreaterThan(0);
  });
});
