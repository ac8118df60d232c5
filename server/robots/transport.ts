import type { Rng } from '../../shared/rng.ts';
import { VMAS_WORLD_DEFAULTS } from './physics/index.ts';
import { goalBody, type RobotBody } from './bodies.ts';
import { RobotSimulation } from './robot-simulation.ts';
import { largestRobot } from './placement.ts';
import type { RobotPhysicsMode, TransportFile } from './schema.ts';

const SHAPING_FACTOR = 100;
const GOAL_RADIUS = 0.15;
const SPAWN_HALF_WIDTH = 1;

/**
 * VMAS transport (`vmas/scenarios/transport.py`): the robots push heavy boxes (mass 50, never
 * rotating) onto one goal. Observation (11 with one package): position, velocity, then per package
 * package − goal, package − robot, package velocity, on_goal. Shared reward: 100 × the decrease of
 * each package's distance to the goal, for packages not yet on it; with `approach_shaping` each robot
 * also gets that weight × its approach to the nearest package's push point. The episode ends when
 * every package overlaps the goal, which is also its success.
 */
export class TransportSimulation extends RobotSimulation {
  readonly successMeasure = 'every package on the goal before the limit';
  private readonly goal: number;
  private readonly packages: Int32Array;
  private readonly shaping: Float64Array;
  private readonly onGoal: Uint8Array;
  private readonly spawnDistance: number;
  private readonly approachWeight: number;
  /** Per robot: its distance to the push point at the last step (approach_shaping's memory). */
  private readonly approach: Float64Array;
  private readonly packageHalfExtent: number;

  constructor(file: TransportFile, mode: RobotPhysicsMode) {
    const { n_packages, package_length, package_width, package_mass } = file.params;
    const maxRadius = Math.max(...file.robots.map((g) => g.radius));
    const packages: RobotBody[] = Array.from({ length: n_packages }, (_, i) => ({
      name: `package_${i}`,
      category: 'body',
      shape: { kind: 'box', length: package_length, width: package_width },
      mass: package_mass,
      movable: true,
      rotatable: false,
      collide: true,
    }));
    const semidim = SPAWN_HALF_WIDTH + 2 * maxRadius + Math.max(package_length, package_width);
    const selfSizes = file.robots.flatMap((g) => Array.from({ length: g.count }, () => (g.dynamics === 'diff_drive' ? 6 : 4)));
    super(file, mode, {
      scenarioBodies: [goalBody('goal', GOAL_RADIUS), ...packages],
      world: { ...VMAS_WORLD_DEFAULTS, xSemidim: semidim, ySemidim: semidim },
      robotsCollide: true,
      blocks: (_agent, self) => [self, { name: 'packages', rows: n_packages, features: ['goal_dx', 'goal_dy', 'dx', 'dy', 'vel_x', 'vel_y', 'on_goal'], spatial: false }],
      stateSize: selfSizes.reduce((a, b) => a + b, 0) + 5 * n_packages + 2,
      viewSpan: semidim,
    });
    this.goal = this.body('goal');
    this.packages = Int32Array.from({ length: n_packages }, (_, i) => this.body(`package_${i}`));
    this.shaping = new Float64Array(n_packages);
    this.onGoal = new Uint8Array(n_packages);
    // VMAS: the package's circumradius + the goal's radius + 0.01 between the goal and each package.
    this.spawnDistance = Math.hypot(package_length, package_width) / 2 + GOAL_RADIUS + 0.01;
    this.approachWeight = file.params.approach_shaping;
    this.approach = new Float64Array(this.agentCount);
    this.packageHalfExtent = Math.max(package_length, package_width) / 2;
  }

  protected resetBodies(rng: Rng): void {
    const largest = largestRobot(this.robots);
    const box = { x: SPAWN_HALF_WIDTH, y: SPAWN_HALF_WIDTH, clearance: 0.05 };
    const agents: number[] = [];
    const robotSpacing = { ...box, occupied: agents, minDist: 2 * largest.radius, minDistFrom: `${largest.field} (robots start 2 × radius apart)` };
    for (let i = 0; i < this.agentCount; i++) this.placement.spawnFree(rng, i, robotSpacing);
    const packageSpacing = {
      ...box,
      occupied: agents.slice(),
      minDist: this.spawnDistance,
      minDistFrom: `params.package_length, params.package_width (the goal and packages start half the package's diagonal + ${GOAL_RADIUS + 0.01} from robots and each other)`,
    };
    this.placement.spawnFree(rng, this.goal, packageSpacing);
    for (const p of this.packages) this.placement.spawnFree(rng, p, packageSpacing);
  }

  protected resetMemories(): void {
    this.packages.forEach((p, k) => {
      this.onGoal[k] = this.physics.overlapping(p, this.goal) ? 1 : 0;
      this.shaping[k] = this.centreDistance(p, this.goal) * SHAPING_FACTOR;
    });
    if (this.approachWeight !== 0) for (let i = 0; i < this.agentCount; i++) this.approach[i] = this.pushPointDistance(i);
  }

  /**
   * Distance from robot i to the push point of the nearest package not on the goal: the package's
   * centre moved half its longer side plus the robot's radius away from the goal. NaN when every
   * package is on the goal.
   */
  private pushPointDistance(i: number): number {
    const ph = this.physics;
    const g = this.goal;
    const reach = this.packageHalfExtent + this.robots[i].spec.radius;
    let best = Number.NaN;
    this.packages.forEach((p, k) => {
      if (this.onGoal[k]) return;
      const ux = ph.posX[p] - ph.posX[g];
      const uy = ph.posY[p] - ph.posY[g];
      const norm = Math.hypot(ux, uy) || 1;
      const d = Math.hypot(ph.posX[p] + (ux / norm) * reach - ph.posX[i], ph.posY[p] + (uy / norm) * reach - ph.posY[i]);
      if (!(d >= best)) best = d;
    });
    return best;
  }

  protected computeRewards(rewards: Float32Array): void {
    let reward = 0;
    let all = true;
    this.packages.forEach((p, k) => {
      const shaped = this.centreDistance(p, this.goal) * SHAPING_FACTOR;
      this.onGoal[k] = this.physics.overlapping(p, this.goal) ? 1 : 0;
      if (!this.onGoal[k]) {
        reward += this.shaping[k] - shaped;
        all = false;
      }
      this.shaping[k] = shaped;
    });
    rewards.fill(reward, 0, this.agentCount);
    if (this.approachWeight !== 0) {
      for (let i = 0; i < this.agentCount; i++) {
        const d = this.pushPointDistance(i);
        // Once every package is on the goal there is no push point: the memory stays and pays nothing.
        if (Number.isNaN(d)) continue;
        if (!Number.isNaN(this.approach[i])) rewards[i] += this.approachWeight * (this.approach[i] - d);
        this.approach[i] = d;
      }
    }
    this.terminated = all;
    this.succeeded = all;
  }

  protected writeObservation(agent: number, v: Float32Array): void {
    const ph = this.physics;
    let o = this.writeSelf(agent, v);
    const g = this.goal;
    this.packages.forEach((p, k) => {
      v[o++] = ph.posX[p] - ph.posX[g];
      v[o++] = ph.posY[p] - ph.posY[g];
      v[o++] = ph.posX[p] - ph.posX[agent];
      v[o++] = ph.posY[p] - ph.posY[agent];
      v[o++] = ph.velX[p];
      v[o++] = ph.velY[p];
      v[o++] = this.onGoal[k];
    });
  }

  /** Every robot's position and velocity, each package's position, velocity and on_goal, the goal. */
  writeState(out: Float32Array, offset: number): void {
    const ph = this.physics;
    let o = this.writeRobotsState(out, offset);
    this.packages.forEach((p, k) => {
      out[o++] = ph.posX[p];
      out[o++] = ph.posY[p];
      out[o++] = ph.velX[p];
      out[o++] = ph.velY[p];
      out[o++] = this.onGoal[k];
    });
    out[o++] = ph.posX[this.goal];
    out[o++] = ph.posY[this.goal];
  }
}
