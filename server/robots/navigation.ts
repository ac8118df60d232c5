import type { Rng } from '../../shared/rng.ts';
import { VMAS_WORLD_DEFAULTS } from './physics/index.ts';
import { goalBody } from './bodies.ts';
import { RobotSimulation } from './robot-simulation.ts';
import { largestRobot } from './placement.ts';
import { placedStatics, spawnBoxField, type PathDistanceField } from './path-distance.ts';
import type { NavigationFile, RobotPhysicsMode } from './schema.ts';

/** VMAS navigation: robots within this surface distance of each other are penalised. */
const MIN_COLLISION_DISTANCE = 0.005;
/** Half the step of the central differences that give the path direction (a quarter of the path grid's cell). */
const HINT_STEP = 0.01;

/**
 * VMAS navigation (`vmas/scenarios/navigation.py`): each robot drives to its own goal. Observation
 * (18 with 12 rays): position, velocity, position − goal, then range − distance per lidar ray.
 * Reward: goal-distance shaping (own, or summed with shared_rew), 0.01 when every robot is on its
 * goal (within the goal radius 0.05), −1 per touching robot. The episode ends when every robot is
 * within its own radius (0.1) of its goal: two thresholds, as VMAS has them. Static obstacles from
 * the file block robots and lidars; spawns keep robots and goals out of them. With `pos_shaping:
 * 'path'` the shaping distance is the shortest path around the statics instead of the straight one;
 * with `path_hint` the full view adds that path's direction and length (a 'path' block after the goal).
 */
export class NavigationSimulation extends RobotSimulation {
  readonly successMeasure = 'every robot within its radius of its goal before the limit';
  private readonly params: NavigationFile['params'];
  private readonly goals: Int32Array;
  /** φ_i: the shaping memory, pos_shaping_factor × distance to goal at the last step. */
  private readonly shaping: Float64Array;
  private readonly posRew: Float64Array;
  private readonly collisionRew: Float64Array;
  /** Per robot, the path distance to its goal ('path' shaping), built for the statics where they stand. */
  private pathFields: PathDistanceField[] | null = null;
  /** Where the statics stood when the path fields were built (x, y, rot each). */
  private pathStatics = new Float64Array(0);

  constructor(file: NavigationFile, mode: RobotPhysicsMode) {
    const n = file.robots.reduce((sum, g) => sum + g.count, 0);
    const goalRadius = file.params.goal_radius;
    const bounded = file.params.enforce_bounds;
    const selfSizes = file.robots.flatMap((g) => Array.from({ length: g.count }, () => (g.dynamics === 'diff_drive' ? 6 : 4)));
    super(file, mode, {
      scenarioBodies: Array.from({ length: n }, (_, i) => goalBody(`goal_${i}`, goalRadius)),
      world: {
        ...VMAS_WORLD_DEFAULTS,
        substeps: 2,
        xSemidim: bounded ? file.params.world_spawning_x : null,
        ySemidim: bounded ? file.params.world_spawning_y : null,
      },
      robotsCollide: file.params.collisions,
      blocks: (_agent, self) => [
        self,
        { name: 'goal', rows: 1, features: ['dx', 'dy'], spatial: false },
        ...(file.params.path_hint ? [{ name: 'path', rows: 1, features: ['dx', 'dy', 'length'], spatial: false }] : []),
      ],
      stateSize: selfSizes.reduce((a, b) => a + b, 0) + 2 * n,
      viewSpan: Math.max(file.params.world_spawning_x, file.params.world_spawning_y) + 0.2,
    });
    this.params = file.params;
    this.goals = Int32Array.from({ length: n }, (_, i) => this.body(`goal_${i}`));
    this.shaping = new Float64Array(n);
    this.posRew = new Float64Array(n);
    this.collisionRew = new Float64Array(n);
  }

  protected resetBodies(rng: Rng): void {
    const { world_spawning_x: x, world_spawning_y: y } = this.params;
    const largest = largestRobot(this.robots);
    const boxFrom = 'params.world_spawning_x, params.world_spawning_y';
    // VMAS: agent_radius * 2 + 0.05 between every pair of robots and goals.
    const spacing = { x, y, boxFrom, occupied: [] as number[], minDist: 2 * largest.radius + 0.05, minDistFrom: `${largest.field} (robots and goals start 2 × radius + 0.05 apart)` };
    for (let i = 0; i < this.agentCount; i++) this.placement.spawnFree(rng, i, { ...spacing, clearance: 0.05 });
    // A goal keeps a robot's radius clear of every obstacle, so a robot can sit on it.
    for (let i = 0; i < this.agentCount; i++) this.placement.spawnFree(rng, this.goals[i], { ...spacing, clearance: largest.radius });
  }

  protected resetMemories(): void {
    if (this.params.pos_shaping === 'path' || this.params.path_hint) this.updatePathFields();
    for (let i = 0; i < this.agentCount; i++) this.shaping[i] = this.shapingDistance(i) * this.params.pos_shaping_factor;
  }

  /** The distance the shaping pays for: straight (VMAS) or around the statics. */
  private shapingDistance(i: number): number {
    if (this.params.pos_shaping !== 'path') return this.centreDistance(i, this.goals[i]);
    return this.pathFields![i].distance(this.physics.posX[i], this.physics.posY[i]);
  }

  /** Rebuilds the grids when a static moved (an init file may move them), then sets every robot's goal. */
  private updatePathFields(): void {
    const p = this.physics;
    const placed = placedStatics(this.bodies, p);
    const where = Float64Array.from(placed.flatMap((s) => [s.x, s.y, s.rot]));
    if (!this.pathFields || where.length !== this.pathStatics.length || where.some((v, k) => v !== this.pathStatics[k])) {
      const { world_spawning_x: x, world_spawning_y: y } = this.params;
      this.pathFields = this.robots.map((r) => spawnBoxField(placed, r.spec.radius, x, y));
      this.pathStatics = where;
    }
    this.pathFields.forEach((field, i) => field.setGoal(p.posX[this.goals[i]], p.posY[this.goals[i]]));
  }

  protected computeRewards(rewards: Float32Array): void {
    const n = this.agentCount;
    const { pos_shaping_factor, goal_radius, final_reward, agent_collision_penalty, shared_rew } = this.params;
    let posSum = 0;
    let allOnGoal = true;
    let allWithinRadius = true;
    for (let i = 0; i < n; i++) {
      const d = this.centreDistance(i, this.goals[i]);
      const shaped = (this.params.pos_shaping === 'path' ? this.shapingDistance(i) : d) * pos_shaping_factor;
      this.posRew[i] = this.shaping[i] - shaped;
      this.shaping[i] = shaped;
      posSum += this.posRew[i];
      if (!(d < goal_radius)) allOnGoal = false;
      if (!(d < this.robots[i].spec.radius)) allWithinRadius = false;
      this.collisionRew[i] = 0;
    }
    if (this.params.collisions) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < i; j++) {
          if (this.physics.distance(i, j) <= MIN_COLLISION_DISTANCE) {
            this.collisionRew[i] += agent_collision_penalty;
            this.collisionRew[j] += agent_collision_penalty;
          }
        }
      }
    }
    const final = allOnGoal ? final_reward : 0;
    for (let i = 0; i < n; i++) rewards[i] = (shared_rew ? posSum : this.posRew[i]) + final + this.collisionRew[i];
    this.terminated = allWithinRadius;
    this.succeeded = allWithinRadius;
  }

  protected writeObservation(agent: number, v: Float32Array): void {
    const p = this.physics;
    const o = this.writeSelf(agent, v);
    const g = this.goals[agent];
    v[o] = p.posX[agent] - p.posX[g];
    v[o + 1] = p.posY[agent] - p.posY[g];
    if (this.params.path_hint) this.writePathHint(agent, v, o + 2);
  }

  /** The downhill direction of the robot's path distance (central differences) and the distance itself. */
  private writePathHint(agent: number, v: Float32Array, o: number): void {
    const field = this.pathFields![agent];
    const x = this.physics.posX[agent];
    const y = this.physics.posY[agent];
    const gx = field.distance(x - HINT_STEP, y) - field.distance(x + HINT_STEP, y);
    const gy = field.distance(x, y - HINT_STEP) - field.distance(x, y + HINT_STEP);
    const norm = Math.hypot(gx, gy);
    v[o] = norm > 0 ? gx / norm : 0;
    v[o + 1] = norm > 0 ? gy / norm : 0;
    v[o + 2] = field.distance(x, y);
  }

  /** Every robot's position, velocity (and heading), then every goal's position. */
  writeState(out: Float32Array, offset: number): void {
    let o = this.writeRobotsState(out, offset);
    const p = this.physics;
    for (let i = 0; i < this.agentCount; i++) {
      out[o++] = p.posX[this.goals[i]];
      out[o++] = p.posY[this.goals[i]];
    }
  }
}
