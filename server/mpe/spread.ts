import type { Rng } from '../../shared/rng.ts';
import { makeLayout, type RawObservation } from '../env/layout.ts';
import { COVER_DISTANCE, type EpisodeMetrics } from '../env/episode-metrics.ts';
import { MOVE_ACTION_NAMES, MpeSimulation, agentSpec, landmarkSpec, type MpePhysics } from './mpe-simulation.ts';

export type SpreadParams = { numAgents: number; localRatio: number; maxSteps: number; agentMass?: number };

/**
 * simple_spread (PettingZoo/MPE2): N agents cover N landmarks. Observation (18 for N=3):
 * self velocity and position, landmarks relative, other agents relative, other agents' comm
 * (always zero: agents are silent). Reward r_i = (1 - localRatio) * global + localRatio * local_i,
 * global = -sum over landmarks of the nearest agent's distance, local_i = -1 per other agent touching i.
 */
export class SpreadSimulation extends MpeSimulation {
  private readonly n: number;
  private readonly localRatio: number;

  constructor(params: SpreadParams, physics: MpePhysics) {
    const n = params.numAgents;
    const agents = Array.from({ length: n }, (_, i) => agentSpec(`agent_${i}`, { size: 0.15, silent: true, mass: params.agentMass ?? 1 }));
    const landmarks = Array.from({ length: n }, (_, i) => landmarkSpec(`landmark_${i}`, { collide: false }));
    const layout = makeLayout([
      { name: 'self', rows: 1, features: ['vel_x', 'vel_y', 'pos_x', 'pos_y'], spatial: false },
      { name: 'landmarks', rows: n, features: ['dx', 'dy'], spatial: true },
      { name: 'agents', rows: n - 1, features: ['dx', 'dy'], spatial: true },
      { name: 'comm', rows: n - 1, features: ['c0', 'c1'], spatial: true },
    ]);
    super(
      {
        entities: [...agents, ...landmarks],
        dimC: 2,
        agentEntities: agents.map((_, i) => i),
        layouts: agents.map(() => layout),
        actionCounts: agents.map(() => 5),
        actionNames: agents.map(() => [...MOVE_ACTION_NAMES]),
        maxSteps: params.maxSteps,
        colors: [...agents.map(() => [0.35, 0.35, 0.85] as [number, number, number]), ...landmarks.map(() => [0.25, 0.25, 0.25] as [number, number, number])],
        teams: [...agents.map(() => 0), ...landmarks.map(() => -1)],
      },
      physics,
    );
    this.n = n;
    this.localRatio = params.localRatio;
  }

  protected resetEntities(rng: Rng): void {
    const pos = this.world.pos;
    for (let e = 0; e < 2 * this.n; e++) {
      pos[2 * e] = rng.range(-1, 1);
      pos[2 * e + 1] = rng.range(-1, 1);
    }
  }

  protected applyAction(agent: number, action: number): void {
    this.world.setMoveAction(agent, action);
  }

  /** Distance from landmark l (0-based) to the nearest agent. */
  private nearestAgentDistance(l: number): number {
    let best = Number.POSITIVE_INFINITY;
    for (let a = 0; a < this.n; a++) best = Math.min(best, this.world.distance(a, this.n + l));
    return best;
  }

  /** The fraction of landmarks with an agent's centre within `distance` now (spread's task: every landmark occupied). */
  landmarksCovered(distance: number): number {
    let covered = 0;
    for (let l = 0; l < this.n; l++) if (this.nearestAgentDistance(l) <= distance) covered++;
    return covered / this.n;
  }

  override episodeMetrics(): EpisodeMetrics {
    return { landmarksCovered: this.landmarksCovered(COVER_DISTANCE) };
  }

  protected computeRewards(rewards: Float32Array): void {
    const n = this.n;
    const world = this.world;
    let global = 0;
    for (let l = 0; l < n; l++) global -= this.nearestAgentDistance(l);
    for (let i = 0; i < n; i++) {
      let local = 0;
      for (let a = 0; a < n; a++) if (a !== i && world.colliding(a, i)) local -= 1;
      rewards[i] = global * (1 - this.localRatio) + local * this.localRatio;
    }
  }

  observe(agent: number, out: RawObservation): void {
    const n = this.n;
    const { pos, vel, comm } = this.world;
    const v = out.values;
    v[0] = vel[2 * agent];
    v[1] = vel[2 * agent + 1];
    v[2] = pos[2 * agent];
    v[3] = pos[2 * agent + 1];
    let o = 4;
    let row = 1;
    for (let l = 0; l < n; l++) {
      out.distance[row++] = this.writeRelative(agent, n + l, v, o);
      o += 2;
    }
    const agentsRow = row;
    for (let a = 0; a < n; a++) {
      if (a === agent) continue;
      out.distance[row++] = this.writeRelative(agent, a, v, o);
      o += 2;
    }
    let k = 0;
    for (let a = 0; a < n; a++) {
      if (a === agent) continue;
      v[o++] = comm[2 * a];
      v[o++] = comm[2 * a + 1];
      out.distance[row++] = out.distance[agentsRow + k++];
    }
  }
}
