/**
 * Robot physics alone, without a scenario around it: the lidar of 64 robots with 24 rays each in a
 * walled arena, and one env step of the `vmas` and `matter` modes for 4 and 64 robots. Prints
 * what it measures and asserts nothing.
 */
import { Rng } from '../shared/rng.ts';
import { createRobotPhysics, VMAS_WORLD_DEFAULTS, type BodySpec, type PhysicsMode, type RobotPhysics } from '../server/robots/physics/index.ts';
import { timeLoop } from './sim.ts';

export type RobotPhysicsFigure = {
  name: string;
  robots: number;
  /** Lidar rays per robot; 0 for a physics step. */
  rays: number;
  /** Whole passes per wall second: every robot's lidar once, or one env step. */
  perSecond: number;
  perCpuSecond: number;
  microsecondsEach: number;
};

const ROBOT_RADIUS = 0.1;
const OBSTACLES = 8;

/** n robots on a jittered grid inside a square arena of 4 walls and OBSTACLES boxes, about navigation's density. */
function arena(mode: PhysicsMode, robots: number, rng: Rng): { physics: RobotPhysics; walls: number } {
  const side = Math.ceil(Math.sqrt(robots + OBSTACLES));
  const half = side * 0.25;
  const fixed = { mass: 1, movable: false, rotatable: false, collide: true };
  const bodies: BodySpec[] = [
    ...Array.from({ length: robots }, (_, i): BodySpec => ({ name: `agent_${i}`, shape: { kind: 'sphere', radius: ROBOT_RADIUS }, mass: 1, movable: true, rotatable: true, collide: true })),
    ...Array.from({ length: 4 }, (_, i): BodySpec => ({ name: `wall_${i}`, shape: { kind: 'line', length: 2 * half + 0.2 }, ...fixed })),
    ...Array.from({ length: OBSTACLES }, (_, i): BodySpec => ({ name: `obstacle_${i}`, shape: { kind: 'box', length: 0.15, width: 0.15 }, ...fixed })),
  ];
  const world = { ...VMAS_WORLD_DEFAULTS, substeps: 2 };
  const physics = createRobotPhysics(mode, world, bodies);
  const cells = rng.permutation(side * side);
  const place = (i: number, cell: number) => {
    physics.posX[i] = -half + 0.5 * ((cell % side) + 0.5) + rng.range(-0.05, 0.05);
    physics.posY[i] = -half + 0.5 * (Math.floor(cell / side) + 0.5) + rng.range(-0.05, 0.05);
  };
  for (let i = 0; i < robots; i++) place(i, cells[i]);
  for (let i = 0; i < OBSTACLES; i++) place(robots + 4 + i, cells[robots + i]);
  const walls = robots;
  physics.posX[walls] = half + 0.1;
  physics.rot[walls] = Math.PI / 2;
  physics.posX[walls + 1] = -half - 0.1;
  physics.rot[walls + 1] = Math.PI / 2;
  physics.posY[walls + 2] = half + 0.1;
  physics.posY[walls + 3] = -half - 0.1;
  physics.syncFromState();
  return { physics, walls };
}

function figure(name: string, robots: number, rays: number, rate: { wall: number; cpu: number }): RobotPhysicsFigure {
  return { name, robots, rays, perSecond: Math.round(rate.wall), perCpuSecond: Math.round(rate.cpu), microsecondsEach: Number((1e6 / rate.cpu).toFixed(2)) };
}

function benchLidar(robots: number, rays: number, seesRobots: boolean, seconds: number): RobotPhysicsFigure {
  const { physics, walls } = arena('vmas', robots, new Rng(7));
  const sees = new Uint8Array(physics.bodies.length);
  sees.fill(1, walls);
  if (seesRobots) sees.fill(1, 0, robots);
  const out = new Float32Array(robots * rays);
  const range = 0.35;
  const rate = timeLoop(seconds, () => {
    for (let i = 0; i < robots; i++) physics.lidar(i, rays, range, sees, out, i * rays);
    return 1;
  });
  return figure(seesRobots ? 'lidar, walls + obstacles + robots' : 'lidar, walls + obstacles', robots, rays, rate);
}

function benchStep(mode: PhysicsMode, robots: number, seconds: number): RobotPhysicsFigure {
  const rng = new Rng(11);
  const { physics } = arena(mode, robots, rng);
  let t = 0;
  const rate = timeLoop(seconds, () => {
    t++;
    for (let i = 0; i < robots; i++) {
      // navigation's discrete forces: each axis -1, 0 or +1, changing every 10 steps
      physics.forceX[i] = ((i * 7 + Math.floor(t / 10)) % 3) - 1;
      physics.forceY[i] = ((i * 5 + Math.floor(t / 10) * 2) % 3) - 1;
    }
    physics.step();
    return 1;
  });
  return figure(`${mode} step (2 substeps)`, robots, 0, rate);
}

export async function benchRobotPhysics(options: { seconds: number; log: (line: string) => void }): Promise<RobotPhysicsFigure[]> {
  const figures = [
    benchLidar(64, 24, false, options.seconds),
    benchLidar(64, 24, true, options.seconds),
    benchStep('vmas', 4, options.seconds),
    benchStep('vmas', 64, options.seconds),
    benchStep('matter', 4, options.seconds),
    benchStep('matter', 64, options.seconds),
  ];
  for (const f of figures) {
    const what = f.rays ? `${f.robots} robots x ${f.rays} rays` : `${f.robots} robots`;
    const unit = f.rays ? 'all-robot scans/s' : 'env steps/s';
    options.log(
      `physics  ${f.name.padEnd(34)} ${what.padEnd(22)} ${f.perSecond.toLocaleString('en-US').padStart(9)} ${unit}  (${f.perCpuSecond.toLocaleString('en-US')} per CPU second, ${f.microsecondsEach} µs each)`,
    );
  }
  return figures;
}
