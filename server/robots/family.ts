import type { ScenarioFamily } from '../scenarios/family.ts';
import type { Simulation } from '../env/simulation.ts';
import { describeZodError } from '../../shared/zod-error.ts';
import { Rng } from '../../shared/rng.ts';
import { ROBOT_PHYSICS_MODES, robotsScenarioSchema, type RobotPhysicsMode, type RobotsScenarioFile } from './schema.ts';
import { NavigationSimulation } from './navigation.ts';
import { TransportSimulation } from './transport.ts';
import { PassageSimulation } from './passage.ts';
import { BalanceSimulation } from './balance.ts';

export function createRobotSimulation(file: RobotsScenarioFile, physics: RobotPhysicsMode): Simulation {
  const sim = buildSimulation(file, physics);
  // One trial reset, so a file whose obstacles leave no room to spawn fails when it is loaded, not mid-run.
  sim.reset(new Rng(0));
  return sim;
}

function buildSimulation(file: RobotsScenarioFile, physics: RobotPhysicsMode): Simulation {
  switch (file.kind) {
    case 'navigation':
      return new NavigationSimulation(file, physics);
    case 'transport':
      return new TransportSimulation(file, physics);
    case 'passage':
      return new PassageSimulation(file, physics);
    case 'balance':
      return new BalanceSimulation(file, physics);
  }
}

/** VMAS kwargs that describe the robots rather than the task: they set every robot group's field. */
const ROBOT_KWARGS: Record<string, (group: Record<string, unknown>, value: unknown) => void> = {
  agent_radius: (g, v) => (g.radius = v),
  n_lidar_rays: (g, v) => (g.lidar = g.lidar ? { ...(g.lidar as object), rays: v } : g.lidar),
  lidar_range: (g, v) => (g.lidar = g.lidar ? { ...(g.lidar as object), range: v } : g.lidar),
};

/**
 * A scenario file with VMAS scenario kwargs applied (`kdmarl rollout`'s `scenario_kwargs`):
 * n_agents sets the robot count (one robot group only), agent_radius / n_lidar_rays / lidar_range
 * set every group's, navigation's collisions=false also drops the lidar (VMAS builds none then),
 * and every other kwarg is a task parameter under its VMAS name. The result is validated again.
 */
export function applyScenarioKwargs(file: RobotsScenarioFile, kwargs: Record<string, unknown>): RobotsScenarioFile {
  const raw = structuredClone(file) as unknown as { robots: Record<string, unknown>[]; params: Record<string, unknown>; kind: string };
  for (const [key, value] of Object.entries(kwargs)) {
    if (key === 'n_agents') {
      if (raw.robots.length !== 1) throw new Error(`scenario_kwargs.n_agents: the scenario has ${raw.robots.length} robot groups; set their counts in the scenario file`);
      raw.robots[0].count = value;
    } else if (ROBOT_KWARGS[key]) {
      for (const group of raw.robots) ROBOT_KWARGS[key](group, value);
    } else {
      raw.params[key] = value;
    }
  }
  if (raw.kind === 'navigation' && raw.params.collisions === false) for (const group of raw.robots) group.lidar = null;
  const parsed = robotsScenarioSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`scenario_kwargs: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** VMAS's robot tasks (navigation, transport, passage, balance) on VMAS's exact step or on matter-js. */
export const robotsFamily: ScenarioFamily<RobotsScenarioFile> = {
  name: 'robots',
  schema: robotsScenarioSchema,
  physicsModes: ROBOT_PHYSICS_MODES,
  create: (file, physics) => createRobotSimulation(file, physics as RobotPhysicsMode),
  applyKwargs: applyScenarioKwargs,
};
