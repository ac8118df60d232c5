import { builtinScenarios } from '../scenarios/registry.ts';
import type { NavigationFile, StaticData } from './schema.ts';

/** The scenario whose obstacle layout the `obstacles` world change adds, in its file's order. */
export const OBSTACLE_LAYOUT_SCENARIO = 'navigation_obstacles';

/** navigation_obstacles' static obstacles (not its walls), as its file places them. */
export function obstacleLayout(): StaticData[] {
  const source = builtinScenarios().get(OBSTACLE_LAYOUT_SCENARIO);
  if (!source || source.file.family !== 'robots') throw new Error(`the built-in scenario '${OBSTACLE_LAYOUT_SCENARIO}' is missing: it holds the obstacle layout`);
  return (source.file as unknown as NavigationFile).world.statics.filter((s) => s.kind === 'obstacle');
}

/**
 * A navigation file with the first `count` obstacles of navigation_obstacles' layout, their
 * positions scaled by the file's spawn box (that layout is drawn for a box of half-width 1), and
 * every lidar told to see obstacles: the ray count, so every observation size, stays the same.
 * Spawns keep robots and goals clear of the obstacles (server/robots/placement.ts), as they do
 * in navigation_obstacles. Throws one line when the file already has obstacles of its own.
 */
export function withObstacles(file: NavigationFile, count: number, where: string): unknown {
  const own = file.world.statics.find((s) => s.kind === 'obstacle');
  if (own) throw new Error(`${where}: '${file.name}' already has obstacles (world.statics '${own.name}'); the change adds them to a navigation world without any`);
  const { world_spawning_x: sx, world_spawning_y: sy } = file.params;
  const added = obstacleLayout()
    .slice(0, count)
    .map((s) => ({ ...s, name: `added_${s.name}`, pos: [s.pos[0] * sx, s.pos[1] * sy] }));
  const robots = file.robots.map((g) => (g.lidar && !g.lidar.sees.includes('obstacles') ? { ...g, lidar: { ...g.lidar, sees: [...g.lidar.sees, 'obstacles'] } } : g));
  return { ...file, robots, world: { ...file.world, statics: [...file.world.statics, ...added] } };
}
