import type { Rng } from '../../shared/rng.ts';
import { VMAS_WORLD_DEFAULTS } from './physics/index.ts';
import { goalBody } from './bodies.ts';
import { RobotSimulation } from './robot-simulation.ts';
import type { BalanceFile, RobotPhysicsMode } from './schema.ts';

const SHAPING_FACTOR = 100;
const FALL_REWARD = -10;
const LINE_LENGTH = 0.8;
const LINE_MASS = 5;
const PACKAGE_RADIUS = 0.05;
const Y_SEMIDIM = 1;
const FLOOR_WIDTH = 1;

/**
 * VMAS balance (`vmas/scenarios/balance.py`): under gravity (0, −0.05) the robots, standing on a
 * floor, lift a plank (a free, rotatable line of mass 5) carrying a ball (the package) to a goal
 * above. Observation (16): position, velocity, position − package, position − plank, package −
 * goal, package velocity, plank velocity, plank angular velocity, plank angle mod π. Shared reward:
 * 100 × the decrease of the package's distance to the goal, −10 on every step the plank or the
 * package touches the floor. Done when either touches the floor or the package overlaps the goal;
 * success is the goal reached without a fall.
 */
export class BalanceSimulation extends RobotSimulation {
  readonly successMeasure = 'the package at the goal without a fall';
  private readonly params: BalanceFile['params'];
  private readonly goal: number;
  private readonly pkg: number;
  private readonly line: number;
  private readonly floor: number;
  private shaping = 0;

  constructor(file: BalanceFile, mode: RobotPhysicsMode) {
    if (file.robots.length !== 1) throw new Error(`robots: balance takes one robot group (the plank, floor and spacing follow one radius), got ${file.robots.length}`);
    const n = file.robots[0].count;
    if (n < 2) throw new Error(`robots: balance needs at least 2 robots, got ${n}`);
    const selfSizes = file.robots.flatMap((g) => Array.from({ length: g.count }, () => (g.dynamics === 'diff_drive' ? 6 : 4)));
    super(file, mode, {
      scenarioBodies: [
        goalBody('goal', PACKAGE_RADIUS),
        { name: 'package', category: 'body', shape: { kind: 'sphere', radius: PACKAGE_RADIUS }, mass: file.params.package_mass, movable: true, rotatable: false, collide: true },
        { name: 'line', category: 'body', shape: { kind: 'line', length: LINE_LENGTH }, mass: LINE_MASS, movable: true, rotatable: true, collide: true },
        { name: 'floor', category: 'wall', shape: { kind: 'box', length: 10, width: FLOOR_WIDTH }, mass: 1, movable: false, rotatable: false, collide: true },
      ],
      world: { ...VMAS_WORLD_DEFAULTS, gravity: [0, -0.05], ySemidim: Y_SEMIDIM },
      robotsCollide: true,
      blocks: (_agent, self) => [
        self,
        { name: 'package', rows: 1, features: ['dx', 'dy'], spatial: false },
        { name: 'line', rows: 1, features: ['dx', 'dy'], spatial: false },
        { name: 'goal', rows: 1, features: ['dx', 'dy'], spatial: false },
        { name: 'package_motion', rows: 1, features: ['vel_x', 'vel_y'], spatial: false },
        { name: 'line_motion', rows: 1, features: ['vel_x', 'vel_y', 'ang_vel', 'rot_mod_pi'], spatial: false },
      ],
      stateSize: selfSizes.reduce((a, b) => a + b, 0) + 4 + 6 + 2,
      viewSpan: Y_SEMIDIM + FLOOR_WIDTH / 2,
    });
    this.params = file.params;
    this.goal = this.body('goal');
    this.pkg = this.body('package');
    this.line = this.body('line');
    this.floor = this.body('floor');
  }

  protected resetBodies(rng: Rng): void {
    const p = this.physics;
    const r = this.robots[0].spec.radius;
    p.posX[this.goal] = rng.range(-1, 1);
    p.posY[this.goal] = rng.range(0, Y_SEMIDIM);
    const lineX = rng.range(-1 + LINE_LENGTH / 2, 1 - LINE_LENGTH / 2);
    const lineY = -Y_SEMIDIM + 2 * r;
    const half = LINE_LENGTH / 2 - PACKAGE_RADIUS;
    const packageDx = this.params.random_package_pos_on_line ? rng.range(-half, half) : 0;
    const n = this.agentCount;
    for (let i = 0; i < n; i++) {
      p.posX[i] = lineX - (LINE_LENGTH - r) / 2 + (i * (LINE_LENGTH - r)) / (n - 1);
      p.posY[i] = lineY - 2 * r;
    }
    p.posX[this.line] = lineX;
    p.posY[this.line] = lineY;
    p.rot[this.line] = 0;
    p.posX[this.pkg] = lineX + packageDx;
    p.posY[this.pkg] = lineY + PACKAGE_RADIUS;
    p.posX[this.floor] = 0;
    p.posY[this.floor] = -Y_SEMIDIM - FLOOR_WIDTH / 2 - r;
  }

  protected resetMemories(): void {
    this.shaping = this.centreDistance(this.pkg, this.goal) * SHAPING_FACTOR;
  }

  /** The plank or the package touches the floor (VMAS's on_the_ground). */
  private fallen(): boolean {
    return this.physics.overlapping(this.line, this.floor) || this.physics.overlapping(this.pkg, this.floor);
  }

  protected computeRewards(rewards: Float32Array): void {
    const fallen = this.fallen();
    const shaped = this.centreDistance(this.pkg, this.goal) * SHAPING_FACTOR;
    const reward = this.shaping - shaped + (fallen ? FALL_REWARD : 0);
    this.shaping = shaped;
    rewards.fill(reward, 0, this.agentCount);
    const arrived = this.physics.overlapping(this.pkg, this.goal);
    this.terminated = fallen || arrived;
    this.succeeded = arrived && !fallen;
  }

  protected writeObservation(agent: number, v: Float32Array): void {
    const p = this.physics;
    let o = this.writeSelf(agent, v);
    const { pkg, line, goal } = this;
    v[o++] = p.posX[agent] - p.posX[pkg];
    v[o++] = p.posY[agent] - p.posY[pkg];
    v[o++] = p.posX[agent] - p.posX[line];
    v[o++] = p.posY[agent] - p.posY[line];
    v[o++] = p.posX[pkg] - p.posX[goal];
    v[o++] = p.posY[pkg] - p.posY[goal];
    v[o++] = p.velX[pkg];
    v[o++] = p.velY[pkg];
    v[o++] = p.velX[line];
    v[o++] = p.velY[line];
    v[o++] = p.angVel[line];
    v[o++] = rotModPi(p.rot[line]);
  }

  /** Every robot's position and velocity; package position and velocity; plank position, velocity, angle, angular velocity; goal. */
  writeState(out: Float32Array, offset: number): void {
    const p = this.physics;
    let o = this.writeRobotsState(out, offset);
    const { pkg, line, goal } = this;
    out[o++] = p.posX[pkg];
    out[o++] = p.posY[pkg];
    out[o++] = p.velX[pkg];
    out[o++] = p.velY[pkg];
    out[o++] = p.posX[line];
    out[o++] = p.posY[line];
    out[o++] = p.velX[line];
    out[o++] = p.velY[line];
    out[o++] = rotModPi(p.rot[line]);
    out[o++] = p.angVel[line];
    out[o++] = p.posX[goal];
    out[o++] = p.posY[goal];
  }
}

/** torch's `rot % π`: the remainder takes the divisor's sign, so it lies in [0, π). */
export function rotModPi(rot: number): number {
  const m = rot % Math.PI;
  return m < 0 ? m + Math.PI : m;
}
