import { describe, expect, it } from 'vitest';
import { makeLayout, RawObservation } from '../../server/env/layout.ts';
import { ObservationView } from '../../server/views/view.ts';
import { createSimulation } from '../../server/scenarios/registry.ts';
import { ParallelEnv } from '../../server/env/parallel-env.ts';

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
});
