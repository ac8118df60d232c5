import { describe, expect, it } from 'vitest';
import { createSimulation, parseScenario } from '../../server/scenarios/registry.ts';
import { Rng } from '../../shared/rng.ts';
import { errorOf, robotWorld } from './helpers.ts';

const base = {
  name: 'bad_nav',
  family: 'robots',
  kind: 'navigation',
  maxSteps: 50,
  robots: [{ count: 2, dynamics: 'holonomic', radius: 0.1, lidar: { rays: 8, range: 0.35, sees: ['robots', 'obstacles'] } }],
};

function withRobot(patch: Record<string, unknown>): unknown {
  return { ...base, robots: [{ ...base.robots[0], ...patch }] };
}

describe('bad robot scenario files get one line naming the field and why', () => {
  it.each([
    ['a lidar with 0 rays', withRobot({ lidar: { rays: 0, range: 0.35, sees: ['robots'] } }), /robots\[0\]\.lidar\.rays.*at least 1 ray/],
    ['a negative lidar range', withRobot({ lidar: { rays: 8, range: -1, sees: ['robots'] } }), /robots\[0\]\.lidar\.range.*range must be > 0/],
    ['unknown dynamics', withRobot({ dynamics: 'bicycle' }), /robots\[0\]\.dynamics.*unknown dynamics/],
    ['a robot of mass 0', withRobot({ mass: 0 }), /robots\[0\]\.mass.*mass must be > 0/],
    ['a body of mass 0', { ...base, world: { bodies: [{ name: 'crate', shape: { kind: 'box', length: 0.2, width: 0.2 }, mass: 0, pos: [0, 0] }] } }, /world\.bodies\[0\]\.mass.*mass must be > 0/],
    [
      'overlapping static bodies',
      { ...base, world: { statics: [{ name: 'rock', shape: { kind: 'circle', radius: 0.2 }, pos: [0, 0] }, { name: 'wall', kind: 'wall', shape: { kind: 'box', length: 1, width: 0.1 }, pos: [0.25, 0] }] } },
      /world\.statics\[1\]: 'wall' overlaps 'rock' \(world\.statics\[0\]\)/,
    ],
    [
      'obstacles covering the whole spawn area',
      { ...base, world: { statics: [{ name: 'slab', shape: { kind: 'box', length: 3, width: 3 }, pos: [0, 0] }] } },
      /world\.statics\[0\]: no free spawn position for 'agent_0' in 10000 tries: 'slab' covers the spawn box/,
    ],
    ['NaN in a position', { ...base, world: { statics: [{ name: 'rock', shape: { kind: 'circle', radius: 0.2 }, pos: [Number.NaN, 0] }] } }, /world\.statics\[0\]\.pos\[0\]/],
  ])('%s', (_what, json, pattern) => {
    const message = errorOf(json);
    expect(message).toMatch(pattern);
    expect(message).not.toContain('\n');
  });
});

describe('bad init files (rollout --init)', () => {
  const walled = {
    ...base,
    world: { statics: [{ name: 'wall_0', kind: 'wall', shape: { kind: 'box', length: 0.6, width: 0.2 }, pos: [1.6, 0] }] },
  };
  function placed(entities: Record<string, { pos?: [number, number]; rot?: number }>): void {
    const sim = createSimulation(parseScenario(walled, 'walled.json'));
    sim.reset(new Rng(3));
    sim.setInitialState({ entities });
  }

  it('a robot or a goal inside a wall is refused; touching it is not', () => {
    expect(() => placed({ agent_0: { pos: [1.6, 0.05] } })).toThrow(/^init\.entities\.agent_0\.pos: inside the static body 'wall_0'/);
    expect(() => placed({ goal_1: { pos: [1.35, 0] } })).toThrow(/^init\.entities\.goal_1\.pos: inside the static body 'wall_0'/);
    // Centre 0.1 from the wall's left face: the robot (radius 0.1) touches it.
    expect(() => placed({ agent_0: { pos: [1.2, 0] } })).not.toThrow();
  });

  it('unknown entities, non-finite values and goal maps are named', () => {
    expect(() => placed({ robot: { pos: [0, 0] } })).toThrow(/unknown entity 'robot'/);
    expect(() => placed({ agent_1: { rot: Number.NaN } })).toThrow(/init\.entities\.agent_1\.rot: must be a finite number/);
    const sim = robotWorld('navigation');
    expect(() => sim.setInitialState({ goals: { agent_0: 'goal_1' } })).toThrow(/init\.goals: robot scenarios place goals as entities/);
  });

  it('scenario_kwargs are validated like the file', () => {
    expect(() => robotWorld('navigation', undefined, { kwargs: { n_lidar_rays: 0 } })).toThrow(/^scenario_kwargs: robots\[0\]\.lidar\.rays: a lidar needs at least 1 ray/);
    expect(() => robotWorld('navigation', undefined, { kwargs: { lidar_range: -0.5 } })).toThrow(/^scenario_kwargs: robots\[0\]\.lidar\.range/);
    expect(() => robotWorld('navigation', undefined, { kwargs: { not_a_kwarg: 1 } })).toThrow(/^scenario_kwargs: params: .*not_a_kwarg/);
    expect(() => robotWorld('passage', undefined, { kwargs: { n_passages: 21 } })).toThrow(/^scenario_kwargs: params\.n_passages: n_passages must be 1 to 20/);
  });
});

describe('numbers beyond the physics bounds', () => {
  it.each([
    ['a huge radius', withRobot({ radius: 1e308 }), /^bad\.json: robots\[0\]\.radius: radius must be at most 1000/],
    ['a mass below the bound', withRobot({ mass: 1e-320 }), /^bad\.json: robots\[0\]\.mass: mass must be at least 0\.001/],
    ['a huge force multiplier', withRobot({ uMultiplier: 1e9 }), /^bad\.json: robots\[0\]\.uMultiplier: uMultiplier must be at most 1000/],
    ['a huge static position', { ...base, world: { statics: [{ name: 'rock', shape: { kind: 'circle', radius: 0.2 }, pos: [1e300, 0] }] } }, /^bad\.json: world\.statics\[0\]\.pos\[0\]: a coordinate must be within ±1000/],
    ['a huge reward weight', { ...base, params: { pos_shaping_factor: 1e308 } }, /^bad\.json: params\.pos_shaping_factor: pos_shaping_factor must be within ±1000000/],
  ])('%s', (_what, json, pattern) => {
    expect(errorOf(json)).toMatch(pattern);
  });
});

describe('tasks built around one robot radius', () => {
  const group = (count: number, radius: number): unknown => ({ count, dynamics: 'holonomic', radius });
  it.each([
    ['passage', [group(3, 0.03), group(2, 0.05)]],
    ['balance', [group(2, 0.03), group(2, 0.05)]],
  ])('%s refuses more than one robot group', (kind, robots) => {
    const message = errorOf({ name: `two_groups_${kind}`, family: 'robots', kind, maxSteps: 50, robots });
    expect(message).toMatch(new RegExp(`^robots: ${kind} takes one robot group .*, got 2$`));
  });
});
