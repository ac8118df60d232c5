import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main as rollout } from '../../server/cli/rollout-command.ts';
import { createSimulation, parseScenario } from '../../server/scenarios/registry.ts';
import { ROBOT_LIMITS } from '../../server/robots/schema.ts';
import { Rng } from '../../shared/rng.ts';
import { observation, stepWith } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'kdmarl-bad-init-'));
let files = 0;
/** Writes raw JSON text (so it can hold 1e999, which parses to Infinity). */
function file(text: string): string {
  const path = join(dir, `f${files++}.json`);
  writeFileSync(path, text);
  return path;
}

/** The one error line `kdmarl rollout --scenario S --init FILE` stops with. */
async function refusal(scenario: string, init: string | object): Promise<string> {
  const path = file(typeof init === 'string' ? init : JSON.stringify(init));
  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    await rollout(['--scenario', scenario, '--init', path, '--steps', '1', '--json']);
  } catch (error) {
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message.replace(path, 'FILE');
  } finally {
    write.mockRestore();
  }
  throw new Error('expected the init file to be refused');
}

describe('kdmarl rollout --init refuses bad placements in one line naming the entity', () => {
  // navigation_obstacles: obstacle_0 is a circle of radius 0.15 at the origin, obstacle_2 a box at (0.55, -0.45).
  it('a robot spawned inside an obstacle', async () => {
    expect(await refusal('navigation_obstacles', { entities: { agent_0: { pos: [0, 0] } } })).toMatch(
      /^init file FILE: init\.entities\.agent_0\.pos: inside the static body 'obstacle_0' \(centre -0\.1500 from its surface/,
    );
  });

  it('a goal spawned inside a wall box', async () => {
    expect(await refusal('navigation_obstacles', { entities: { goal_1: { pos: [0.55, -0.45] } } })).toMatch(/^init file FILE: init\.entities\.goal_1\.pos: inside the static body 'obstacle_2'/);
  });

  it('a robot inside one of passage wall boxes', async () => {
    expect(await refusal('passage', { entities: { agent_0: { pos: [0.3, 0] } } })).toMatch(/^init file FILE: init\.entities\.agent_0\.pos: inside the static body 'passage_\d+'/);
  });

  it('a static moved onto another static', async () => {
    expect(await refusal('navigation_obstacles', { entities: { obstacle_1: { pos: [0, 0] } } })).toBe(
      "init file FILE: init.entities.obstacle_1: 'obstacle_1' overlaps 'obstacle_0' (world.statics[4])",
    );
  });

  it('a static moved onto a robot where the reset put it', async () => {
    const sim = createSimulation('navigation_obstacles');
    sim.reset(new Rng(0));
    const agent = sim.entities.findIndex((e) => e.name === 'agent_2');
    const at = [sim.positions[2 * agent], sim.positions[2 * agent + 1]];
    expect(await refusal('navigation_obstacles', { entities: { obstacle_0: { pos: at } } })).toMatch(
      /^init file FILE: init\.entities: agent_2 \(where the reset put it\): inside the static body 'obstacle_0'/,
    );
  });

  it('a lidar with 0 rays', async () => {
    expect(await refusal('navigation', { scenario_kwargs: { n_lidar_rays: 0 } })).toBe('init file FILE: scenario_kwargs: robots[0].lidar.rays: a lidar needs at least 1 ray');
  });

  it('a negative lidar range', async () => {
    expect(await refusal('navigation', { scenario_kwargs: { lidar_range: -0.35 } })).toBe('init file FILE: scenario_kwargs: robots[0].lidar.range: range must be > 0');
  });

  it('a package of mass 0', async () => {
    expect(await refusal('transport', { scenario_kwargs: { package_mass: 0 } })).toBe('init file FILE: scenario_kwargs: params.package_mass: package_mass must be > 0');
  });

  it('unknown dynamics in the scenario file rollout runs', async () => {
    const scenario = file(
      JSON.stringify({ name: 'bike', family: 'robots', kind: 'navigation', maxSteps: 10, robots: [{ count: 2, dynamics: 'bicycle', radius: 0.1 }] }),
    );
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await expect(rollout(['--scenario', scenario, '--steps', '1', '--json'])).rejects.toThrow(/robots\[0\]\.dynamics: unknown dynamics: use 'holonomic' or 'diff_drive'$/);
    } finally {
      write.mockRestore();
    }
  });
});

describe('no NaN or Infinity from an init file reaches the physics', () => {
  it.each([
    ['Infinity in a position', '{"entities": {"agent_0": {"pos": [1e999, 0]}}}', /entities\.agent_0\.pos\[0\]: .*received Infinity/],
    ['-Infinity in a velocity', '{"entities": {"agent_1": {"vel": [0, -1e999]}}}', /entities\.agent_1\.vel\[1\]: .*received -Infinity/],
    ['"NaN" as a rotation', '{"entities": {"agent_0": {"rot": "NaN"}}}', /entities\.agent_0\.rot: .*expected number/],
    ['a bare NaN, which is not JSON', '{"entities": {"agent_0": {"rot": NaN}}}\n', /^init file FILE: Unexpected token 'N', .* is not valid JSON$/],
    ['null as an angular velocity', '{"entities": {"agent_0": {"ang_vel": null}}}', /entities\.agent_0\.ang_vel: .*expected number/],
    ['a finite position past the bounds', '{"entities": {"agent_0": {"pos": [1e308, 0]}}}', /init\.entities\.agent_0\.pos\[0\]: must be within ±1000, got 1e\+308$/],
    ['a finite spin past the bounds', '{"entities": {"agent_0": {"ang_vel": -5e3}}}', /init\.entities\.agent_0\.ang_vel: must be within ±1000, got -5000$/],
  ])('%s', async (_what, text, pattern) => {
    expect(await refusal('navigation_diff_drive', text)).toMatch(pattern);
  });

  it.each(['vmas', 'matter'])('the most extreme world the bounds allow stays finite for 300 steps (%s)', (physics) => {
    const { magnitude, mass } = ROBOT_LIMITS;
    // The lightest robots with the largest force, starting at the largest speed, in an unbounded world.
    const robot = { count: 3, dynamics: 'holonomic', radius: 0.1, mass, uRange: magnitude, uMultiplier: magnitude, lidar: { rays: 8, range: magnitude, sees: ['robots'] } };
    const json = { name: 'extreme', family: 'robots', kind: 'navigation', physics, maxSteps: 300, robots: [robot], params: { pos_shaping_factor: ROBOT_LIMITS.reward } };
    const sim = createSimulation(parseScenario(json, 'extreme.json'));
    sim.reset(new Rng(1));
    sim.setInitialState({ entities: { agent_0: { vel: [magnitude, -magnitude] }, agent_1: { pos: [0.15, 0] }, agent_2: { pos: [0, 0.15], vel: [-magnitude, magnitude] } } });
    for (let t = 0; t < 300; t++) {
      const rewards = stepWith(sim, [8, 0, 4]);
      for (const r of rewards) expect(Number.isFinite(r)).toBe(true);
    }
    for (const v of [...sim.positions, ...sim.velocities]) expect(Number.isFinite(v)).toBe(true);
    for (let a = 0; a < 3; a++) for (const v of observation(sim, a)) expect(Number.isFinite(v)).toBe(true);
  });
});
