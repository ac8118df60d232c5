import type { Rng } from '../../shared/rng.ts';
import { makeLayout, type ObservationLayout, type RawObservation } from '../env/layout.ts';
import { MOVE_ACTION_NAMES, MpeSimulation, agentSpec, landmarkSpec, type MpePhysics } from './mpe-simulation.ts';

export type TagParams = {
  numGood: number;
  numAdversaries: number;
  numObstacles: number;
  /** 'policy': good agents are agents too (PettingZoo); 'scripted': they flee by a fixed rule. */
  prey: 'policy' | 'scripted';
  maxSteps: number;
};

/** PettingZoo's out-of-bounds penalty for the prey. */
function bound(x: number): number {
  if (x < 0.9) return 0;
  if (x < 1.0) return (x - 0.9) * 10;
  return Math.min(Math.exp(2 * x - 2), 10);
}

/**
 * simple_tag (PettingZoo/MPE2): slower adversaries (size 0.075, accel 3, max speed 1) chase faster
 * good agents (0.05, 4, 1.3) among obstacles. Observation: self velocity and position, obstacles
 * relative, all other agents relative, velocities of the other good agents (adversary 16, good 14).
 * Adversaries each get +10 per touching (good, adversary) pair; a good agent gets -10 per adversary
 * touching it and an out-of-bounds penalty.
 */
export class TagSimulation extends MpeSimulation {
  private readonly numGood: number;
  private readonly numAdversaries: number;
  private readonly numObstacles: number;
  private readonly numMovers: number;
  private readonly scriptedPrey: boolean;

  constructor(params: TagParams, physics: MpePhysics) {
    const { numGood, numAdversaries, numObstacles } = params;
    const adversaries = Array.from({ length: numAdversaries }, (_, i) =>
      agentSpec(`adversary_${i}`, { size: 0.075, accel: 3, maxSpeed: 1, silent: true, type: 'adversary' }),
    );
    const good = Array.from({ length: numGood }, (_, i) =>
      agentSpec(`agent_${i}`, { size: 0.05, accel: 4, maxSpeed: 1.3, silent: true, type: 'good' }),
    );
    const obstacles = Array.from({ length: numObstacles }, (_, i) => landmarkSpec(`landmark_${i}`, { size: 0.2, type: 'obstacle' }));
    const movers = numAdversaries + numGood;
    const layoutFor = (isAdversary: boolean): ObservationLayout =>
      makeLayout([
        { name: 'self', rows: 1, features: ['vel_x', 'vel_y', 'pos_x', 'pos_y'], spatial: false },
        { name: 'obstacles', rows: numObstacles, features: ['dx', 'dy'], spatial: true },
        { name: 'agents', rows: movers - 1, features: ['dx', 'dy'], spatial: true },
        { name: 'good_vel', rows: isAdversary ? numGood : numGood - 1, features: ['vx', 'vy'], spatial: true },
      ]);
    const adversaryLayout = layoutFor(true);
    const goodLayout = layoutFor(false);
    const controlled = params.prey === 'policy' ? movers : numAdversaries;
    const agentEntities = Array.from({ length: controlled }, (_, i) => i);
    super(
      {
        entities: [...adversaries, ...good, ...obstacles],
        dimC: 2,
        agentEntities,
        layouts: agentEntities.map((e) => (e < numAdversaries ? adversaryLayout : goodLayout)),
        actionCounts: agentEntities.map(() => 5),
        actionNames: agentEntities.map(() => [...MOVE_ACTION_NAMES]),
        maxSteps: params.maxSteps,
        colors: [
          ...adversaries.map(() => [0.85, 0.35, 0.35] as [number, number, number]),
          ...good.map(() => [0.35, 0.85, 0.35] as [number, number, number]),
          ...obstacles.map(() => [0.25, 0.25, 0.25] as [number, number, number]),
        ],
        teams: [...adversaries.map(() => 0), ...good.map(() => (params.prey === 'policy' ? 0 : 1)), ...obstacles.map(() => -1)],
      },
      physics,
    );
    this.numGood = numGood;
    this.numAdversaries = numAdversaries;
    this.numObstacles = numObstacles;
    this.numMovers = movers;
    this.scriptedPrey = params.prey === 'scripted';
  }

  protected resetEntities(rng: Rng): void {
    const pos = this.world.pos;
    for (let e = 0; e < this.numMovers; e++) {
      pos[2 * e] = rng.range(-1, 1);
      pos[2 * e + 1] = rng.range(-1, 1);
    }
    for (let e = this.numMovers; e < this.numMovers + this.numObstacles; e++) {
      pos[2 * e] = rng.range(-0.9, 0.9);
      pos[2 * e + 1] = rng.range(-0.9, 0.9);
    }
  }

  protected applyAction(agent: number, action: number): void {
    this.world.setMoveAction(agent, action);
  }

  /**
   * Scripted prey: step away from the nearest adversary along the axis that matters most, and
   * back toward the centre near the edge (where PettingZoo's bound penalty starts).
   */
  protected override scriptedActions(): void {
    if (!this.scriptedPrey) return;
    const pos = this.world.pos;
    for (let g = this.numAdversaries; g < this.numMovers; g++) {
      const x = pos[2 * g];
      const y = pos[2 * g + 1];
      let move = 0;
      if (Math.abs(x) > 0.8 || Math.abs(y) > 0.8) {
        move = Math.abs(x) > Math.abs(y) ? (x > 0 ? 1 : 2) : y > 0 ? 3 : 4;
      } else {
        let nearest = -1;
        let best = Number.POSITIVE_INFINITY;
        for (let a = 0; a < this.numAdversaries; a++) {
          const d = this.world.distance(a, g);
          if (d < best) {
            best = d;
            nearest = a;
          }
        }
        if (nearest >= 0) {
          const dx = x - pos[2 * nearest];
          const dy = y - pos[2 * nearest + 1];
          move = Math.abs(dx) > Math.abs(dy) ? (dx > 0 ? 2 : 1) : dy > 0 ? 4 : 3;
        }
      }
      this.world.setMoveAction(g, move);
    }
  }

  /** Touching (good, adversary) pairs right now. */
  catches(): number {
    let count = 0;
    for (let g = this.numAdversaries; g < this.numMovers; g++) {
      for (let a = 0; a < this.numAdversaries; a++) if (this.world.colliding(g, a)) count++;
    }
    return count;
  }

  protected computeRewards(rewards: Float32Array): void {
    const adversaryReward = 10 * this.catches();
    const pos = this.world.pos;
    for (let i = 0; i < this.agentEntities.length; i++) {
      if (i < this.numAdversaries) {
        rewards[i] = adversaryReward;
        continue;
      }
      let r = 0;
      for (let a = 0; a < this.numAdversaries; a++) if (this.world.colliding(a, i)) r -= 10;
      r -= bound(Math.abs(pos[2 * i])) + bound(Math.abs(pos[2 * i + 1]));
      rewards[i] = r;
    }
  }

  observe(agent: number, out: RawObservation): void {
    const { pos, vel } = this.world;
    const v = out.values;
    v[0] = vel[2 * agent];
    v[1] = vel[2 * agent + 1];
    v[2] = pos[2 * agent];
    v[3] = pos[2 * agent + 1];
    let o = 4;
    let row = 1;
    for (let l = 0; l < this.numObstacles; l++) {
      out.distance[row++] = this.writeRelative(agent, this.numMovers + l, v, o);
      o += 2;
    }
    for (let e = 0; e < this.numMovers; e++) {
      if (e === agent) continue;
      out.distance[row++] = this.writeRelative(agent, e, v, o);
      o += 2;
    }
    for (let g = this.numAdversaries; g < this.numMovers; g++) {
      if (g === agent) continue;
      v[o++] = vel[2 * g];
      v[o++] = vel[2 * g + 1];
      out.distance[row++] = this.world.distance(agent, g);
    }
  }
}
