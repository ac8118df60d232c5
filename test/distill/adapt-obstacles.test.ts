import { describe, expect, it } from 'vitest';
import { Rng } from '../../shared/rng.ts';
import { createSimulation, parseScenario, resolveScenario } from '../../server/scenarios/registry.ts';
import { applyWorldChange, parseWorldChange } from '../../server/scenarios/world-change.ts';
import type { NavigationFile } from '../../server/robots/schema.ts';
import type { Simulation } from '../../server/env/simulation.ts';
import { WorldSession } from '../../server/net/world-session.ts';

const spaces = (sim: Simulation) => ({
  agents: sim.agentNames,
  actions: sim.actionCounts,
  state: sim.stateSize,
  layouts: sim.layouts.map((l) => l.blocks.map((b) => `${b.name}:${b.rows}x${b.features.join('|')}`)),
});

describe('the obstacles world change', () => {
  it('reads N as a whole count and refuses anything else in one line', () => {
    expect(parseWorldChange('obstacles=4')).toEqual({ name: 'obstacles', factor: 4 });
    expect(() => parseWorldChange('obstacles=2.5')).toThrow(/^'obstacles=2.5': the count must be a whole number from 1 to 5 \(navigation_obstacles has 5 obstacles\)$/);
    expect(() => parseWorldChange('obstacles=0')).toThrow(/^'obstacles=0': the count must be a whole number from 1 to 5/);
    expect(() => parseWorldChange('obstacles=6')).toThrow(/^'obstacles=6': the count must be a whole number from 1 to 5/);
    expect(() => parseWorldChange('obstacles=many')).toThrow(/^'obstacles=many': the count must be a whole number/);
    // The multiplicative changes keep their own bound.
    expect(() => parseWorldChange('agent-mass=2.5')).not.toThrow();
  });

  it("adds navigation_obstacles' obstacles to navigation, seen by the lidars, every space unchanged", () => {
    const base = resolveScenario('navigation');
    const changed = applyWorldChange(base, { name: 'obstacles', factor: 4 });
    const file = changed.file as unknown as NavigationFile;
    expect(file.name).toBe('navigation');
    const layout = (resolveScenario('navigation_obstacles').file as unknown as NavigationFile).world.statics.filter((s) => s.kind === 'obstacle');
    expect(file.world.statics.map((s) => [s.kind, s.shape, s.pos])).toEqual(layout.slice(0, 4).map((s) => ['obstacle', s.shape, s.pos]));
    expect(file.robots.every((g) => g.lidar?.sees.includes('obstacles') && g.lidar.rays === 12)).toBe(true);
    // The written file is a scenario file like any other.
    expect(parseScenario(JSON.parse(JSON.stringify(file)), 'changed.json').file).toEqual(file);
    expect(spaces(createSimulation(changed))).toEqual(spaces(createSimulation(base)));
    const world = new WorldSession({ scenario: 'navigation' });
    expect(() => world.changeWorld(changed)).not.toThrow();
  });

  it('puts the obstacles in the lidar readings', () => {
    const changed = applyWorldChange(resolveScenario('navigation'), { name: 'obstacles', factor: 5 });
    const file = changed.file as unknown as NavigationFile;
    // The same world with lidars blind to obstacles: bodies spawn identically, only readings differ.
    const blind = parseScenario({ ...file, robots: file.robots.map((g) => ({ ...g, lidar: { ...g.lidar!, sees: ['robots'] } })) }, 'blind.json');
    const seeing = createSimulation(changed);
    const notSeeing = createSimulation(blind);
    let differing = 0;
    for (let seed = 0; seed < 20; seed++) {
      seeing.reset(new Rng(seed));
      notSeeing.reset(new Rng(seed));
      expect(seeing.positions).toEqual(notSeeing.positions);
      const readings = (sim: Simulation) => sim.lidar!.flatMap((scan) => [...scan!.readings]);
      if (readings(seeing).some((v, j) => v !== readings(notSeeing)[j])) differing++;
    }
    expect(differing).toBeGreaterThan(0);
  });

  it('scales the layout into a larger spawn box and refuses a world that has obstacles already', () => {
    const wide = applyWorldChange(resolveScenario('navigation_64'), { name: 'obstacles', factor: 2 }).file as unknown as NavigationFile;
    const layout = (resolveScenario('navigation_obstacles').file as unknown as NavigationFile).world.statics.filter((s) => s.kind === 'obstacle');
    expect(wide.world.statics.map((s) => s.pos)).toEqual(layout.slice(0, 2).map((s) => [s.pos[0] * 3, s.pos[1] * 3]));
    expect(() => applyWorldChange(resolveScenario('navigation_obstacles'), { name: 'obstacles', factor: 1 })).toThrow(
      /\(obstacles=1\): 'navigation_obstacles' already has obstacles \(world.statics 'obstacle_0'\)/,
    );
    expect(() => applyWorldChange(resolveScenario('spread'), { name: 'obstacles', factor: 1 })).toThrow(/obstacles applies to robots navigation scenarios, 'spread' is mpe spread$/);
  });
});
