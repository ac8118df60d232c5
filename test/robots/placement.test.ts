import { describe, expect, it } from 'vitest';
import { createSimulation, parseScenario } from '../../server/scenarios/registry.ts';
import { signedSurfaceDistance } from '../../server/robots/surface-distance.ts';
import { Rng } from '../../shared/rng.ts';

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
