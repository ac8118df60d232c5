import type { Rng } from '../../shared/rng.ts';
import { VMAS_WORLD_DEFAULTS } from './physics/index.ts';
import { goalBody, type RobotBody } from './bodies.ts';
import { RobotSimulation } from './robot-simulation.ts';
import type { PassageFile, RobotPhysicsMode } from './schema.ts';

const SHAPING_FACTOR = 100;
const SPACING = 0.1;
const PASSAGE_LENGTH = 0.103;
const PASSAGE_WIDTH = 0.2;
const WORLD_SEMIDIM = 1;
/** The plus formation's slots (VMAS's order): right, up, left, down, centre. */
const SLOTS = [
  [SPACING, 0],
  [0, SPACING],
  [-SPACING, 0],
  [0, -SPACING],
  [0, 0],
] as const;

/**
 * VMAS passage (`vmas/scenarios/passage.py`): five robots in a plus formation cross a wall of 20
 * boxes through its gap(s) (the first n_passages boxes created, collide off, shuffled into random
 * slots) to the same formation on the other side. Observation (8 with one gap): position, velocity,
 * goal − position, gap − position per gap. Reward: 100 × the decrease of the distance to goal (own,
 * or summed over robots with shared_reward), −10 (collision_penalty) per robot overlapping this one
 * and per wall box it overlaps; final_reward (0 in VMAS) to every robot when all are home. Done
 * (and success) when every robot is within half its radius of its goal.
 *
 * VMAS subtracts each robot's penalty in place from the one shared reward tensor, so with
 * shared_reward robot k receives the shared shaping minus the penalties of robots 0..k. The
 * parameter shared_penalty keeps that ('cumulative', the default) or gives each robot its own
 * penalty ('own'), whatever the physics mode.
 */
export class PassageSimulation extends RobotSimulation {
  readonly successMeasure = 'every robot within half its radius of its goal before the limit';
  private readonly shared: boolean;
  /** With shared_reward, robot k's reward carries the penalties of robots 0..k (VMAS). */
  private readonly cumulativePenalty: boolean;
  private readonly goals: Int32Array;
  /** Wall boxes in VMAS's creation order; the first n_passages are the gaps. */
  private readonly walls: Int32Array;
  private readonly gaps: Int32Array;
  private readonly solid: Int32Array;
  private readonly shaping: Float64Array;
  private readonly penalty: Float64Array;
  private readonly collisionPenalty: number;
  private readonly finalReward: number;
  private readonly pathShaping: boolean;

  constructor(file: PassageFile, mode: RobotPhysicsMode) {
    if (file.robots.length !== 1) throw new Error(`robots: passage takes one robot group (its wall, formation and goals follow one radius), got ${file.robots.length}`);
    const n = file.robots[0].count;
    if (n !== SLOTS.length) throw new Error(`robots: passage has ${SLOTS.length} robots (its plus formation), got ${n}`);
    const radius = file.robots[0].radius;
    const boxCount = Math.floor((2 * WORLD_SEMIDIM + 2 * radius) / PASSAGE_LENGTH);
    const boxes: RobotBody[] = Array.from({ length: boxCount }, (_, k) => ({
      name: `passage_${k}`,
      category: 'wall',
      shape: { kind: 'box', length: PASSAGE_LENGTH, width: PASSAGE_WIDTH },
      mass: 1,
      movable: false,
      rotatable: false,
      collide: k >= file.params.n_passages,
    }));
    const gapCount = file.params.n_passages;
    const selfSizes = file.robots.flatMap((g) => Array.from({ length: g.count }, () => (g.dynamics === 'diff_drive' ? 6 : 4)));
    super(file, mode, {
      scenarioBodies: [...Array.from({ length: n }, (_, i) => goalBody(`goal_${i}`, radius)), ...boxes],
      world: { ...VMAS_WORLD_DEFAULTS, xSemidim: WORLD_SEMIDIM, ySemidim: WORLD_SEMIDIM },
      robotsCollide: true,
      blocks: (_agent, self) => [
        self,
        { name: 'goal', rows: 1, features: ['dx', 'dy'], spatial: false },
        { name: 'gaps', rows: gapCount, features: ['dx', 'dy'], spatial: false },
      ],
      stateSize: selfSizes.reduce((a, b) => a + b, 0) + 2 * n + 2 * gapCount,
      viewSpan: WORLD_SEMIDIM,
    });
    this.shared = file.params.shared_reward;
    this.cumulativePenalty = file.params.shared_reward && file.params.shared_penalty === 'cumulative';
    this.goals = Int32Array.from({ length: n }, (_, i) => this.body(`goal_${i}`));
    this.walls = Int32Array.from({ length: boxCount }, (_, k) => this.body(`passage_${k}`));
    this.gaps = this.walls.slice(0, gapCount);
    this.solid = this.walls.slice(gapCount);
    this.shaping = new Float64Array(n);
    this.penalty = new Float64Array(n);
    this.collisionPenalty = file.params.collision_penalty;
    this.finalReward = file.params.final_reward;
    this.pathShaping = file.params.pos_shaping === 'path';
  }

  protected resetBodies(rng: Rng): void {
    const p = this.physics;
    const r = this.robots[0].spec.radius;
    const margin = 3 * r + SPACING;
    const agentX = rng.range(-1 + margin, 1 - margin);
    const agentY = rng.range(-1 + margin, -margin - PASSAGE_WIDTH / 2);
    const goalX = rng.range(-1 + margin, 1 - margin);
    const goalY = rng.range(margin + PASSAGE_WIDTH / 2, 1 - margin);
    const order = rng.permutation(this.agentCount);
    order.forEach((agent, slot) => {
      const [dx, dy] = SLOTS[slot];
      p.posX[this.goals[agent]] = goalX + dx;
      p.posY[this.goals[agent]] = goalY + dy;
      p.posX[agent] = agentX + dx;
      p.posY[agent] = agentY + dy;
    });
    const boxes = rng.permutation(this.walls.length);
    boxes.forEach((box, k) => {
      p.posX[this.walls[box]] = -1 - r + PASSAGE_LENGTH / 2 + PASSAGE_LENGTH * k;
      p.posY[this.walls[box]] = 0;
    });
  }

  protected resetMemories(): void {
    for (let i = 0; i < this.agentCount; i++) this.shaping[i] = this.shapingDistance(i, this.centreDistance(i, this.goals[i])) * SHAPING_FACTOR;
  }

  /**
   * The distance the shaping pays for: straight (VMAS), or, while the wall stands between the robot
   * and its goal, through the gap that makes it shortest: to the gap's near opening, across the
   * wall, then straight. `straight` is the robot's centre distance to its goal.
   */
  private shapingDistance(i: number, straight: number): number {
    if (!this.pathShaping) return straight;
    const p = this.physics;
    const x = p.posX[i];
    const y = p.posY[i];
    const goalX = p.posX[this.goals[i]];
    const goalY = p.posY[this.goals[i]];
    const half = PASSAGE_WIDTH / 2;
    let best = Infinity;
    for (const gap of this.gaps) {
      const gapX = p.posX[gap];
      const wallY = p.posY[gap];
      const side = Math.sign(goalY - wallY);
      if ((y - wallY) * side >= half) return straight;
      const exitY = wallY + side * half;
      const beyond = Math.hypot(goalX - gapX, goalY - exitY);
      const inBand = Math.abs(y - wallY) < half;
      const toExit = inBand ? Math.hypot(gapX - x, exitY - y) : Math.hypot(gapX - x, wallY - side * half - y) + 2 * half;
      best = Math.min(best, toExit + beyond);
    }
    return best;
  }

  protected computeRewards(rewards: Float32Array): void {
    const n = this.agentCount;
    let sharedShaping = 0;
    let allHome = true;
    for (let i = 0; i < n; i++) {
      const d = this.centreDistance(i, this.goals[i]);
      const shaped = this.shapingDistance(i, d) * SHAPING_FACTOR;
      rewards[i] = this.shaping[i] - shaped;
      sharedShaping += rewards[i];
      this.shaping[i] = shaped;
      if (!(d <= this.robots[i].spec.radius / 2)) allHome = false;
      let count = 0;
      for (let j = 0; j < n; j++) if (j !== i && this.physics.overlapping(j, i)) count++;
      for (const w of this.solid) if (this.physics.overlapping(i, w)) count++;
      this.penalty[i] = this.collisionPenalty * count;
    }
    let penaltySoFar = 0;
    for (let i = 0; i < n; i++) {
      penaltySoFar += this.penalty[i];
      const own = this.shared ? sharedShaping : rewards[i];
      rewards[i] = own + (this.cumulativePenalty ? penaltySoFar : this.penalty[i]);
    }
    if (allHome) for (let i = 0; i < n; i++) rewards[i] += this.finalReward;
    this.terminated = allHome;
    this.succeeded = allHome;
  }

  protected writeObservation(agent: number, v: Float32Array): void {
    const p = this.physics;
    let o = this.writeSelf(agent, v);
    const g = this.goals[agent];
    v[o++] = p.posX[g] - p.posX[agent];
    v[o++] = p.posY[g] - p.posY[agent];
    for (const gap of this.gaps) {
      v[o++] = p.posX[gap] - p.posX[agent];
      v[o++] = p.posY[gap] - p.posY[agent];
    }
  }

  /** Every robot's position and velocity, every goal, every gap. */
  writeState(out: Float32Array, offset: number): void {
    const p = this.physics;
    let o = this.writeRobotsState(out, offset);
    for (const g of this.goals) {
      out[o++] = p.posX[g];
      out[o++] = p.posY[g];
    }
    for (const gap of this.gaps) {
      out[o++] = p.posX[gap];
      out[o++] = p.posY[gap];
    }
  }
}
