import { describe, expect, it } from 'vitest';
import { createSimulation, parseScenario } from '../../server/scenarios/registry.ts';
import { signedSurfaceDistance } from '../../server/robots/surface-distance.ts';
import { Rng } from '../../shared/rng.ts';
import { errorOf } from './helpers.ts';

const crate = { name: 'crate', shape: { kind: 'box', length: 0.2, width: 0.2 }, mass: 1, pos: [0, 0] };
const navigation = {
  name: 'crate_nav',
  family: 'robots',
  kind: 'navigation',
  maxSteps: 50,
  robots: [{ count: 3, dynamics: 'holonomic', radius: 0.1 }],
  world: { bodies: [crate] },
};

describe('random spawns', () => {
  it("keep robots and goals out of the file's movable bodies, not only its statics", () => {
    const sim = createSimulation(parseScenario(navigation, 'crate.json'));
    const box = { kind: 'box', length: 0.2, width: 0.2 } as const;
    for (let seed = 0; seed < 40; seed++) {
      sim.reset(new Rng(seed));
      const c = sim.entities.findIndex((e) => e.name === 'crate');
      sim.entities.forEach((e, i) => {
        if (e.kind === 'agent' || e.name.startsWith('goal_')) {
          const d = signedSurfaceDistance(box, sim.positions[2 * c], sim.positions[2 * c + 1], sim.rotations![c], sim.positions[2 * i], sim.positions[2 * i + 1]);
          expect(d, `${e.name} on seed ${seed}`).toBeGreaterThan(e.radius);
        }
      });
    }
  });
});

describe('a spawn with no free position names what ruled the draws out', () => {
  const transport = { name: 'long_package', family: 'robots', kind: 'transport', maxSteps: 50, robots: [{ count: 4, dynamics: 'holonomic', radius: 0.05 }] };
  it.each([
    [
      'packages too long for the spawn box (no statics at all)',
      { ...transport, params: { package_length: 5 } },
      /^params\.package_length, params\.package_width \(.*\): no free spawn position for 'goal' in 10000 tries: it must start 2\.66 from the centres of the 4 bodies placed before it, in the spawn box \|x\| ≤ 1, \|y\| ≤ 1$/,
    ],
    [
      'a robot radius no box holds twice',
      { ...navigation, world: {}, robots: [{ count: 3, dynamics: 'holonomic', radius: 5 }] },
      /^robots\[0\]\.radius \(.*\): no free spawn position for 'agent_1' .*: it must start 10\.1 from the centres of the 1 bodies placed before it, in the spawn box \|x\| ≤ 1, \|y\| ≤ 1 \(params\.world_spawning_x, params\.world_spawning_y\)$/,
    ],
    [
      'a movable body covering the spawn box',
      { ...navigation, world: { bodies: [{ ...crate, shape: { kind: 'box', length: 3, width: 3 } }] } },
      /^world\.bodies\[0\]: no free spawn position for 'agent_0' in 10000 tries: 'crate' covers the spawn box/,
    ],
  ])('%s', (_what, json, pattern) => {
    const message = errorOf(json);
    expect(message).toMatch(pattern);
    expect(message).not.toMatch(/world\.statics/);
  });
});
