import type { Rng } from '../../shared/rng.ts';
import { makeLayout, type RawObservation } from '../env/layout.ts';
import { MOVE_ACTION_NAMES, MpeSimulation, agentSpec, landmarkSpec, type MpePhysics } from './mpe-simulation.ts';

const LANDMARK_COLORS: [number, number, number][] = [
  [0.75, 0.25, 0.25],
  [0.25, 0.75, 0.25],
  [0.25, 0.25, 0.75],
];
const WORDS = 10;

/**
 * simple_reference (PettingZoo/MPE2): two agents that move and speak. Each knows the colour of the
 * landmark the *other* agent must reach and must tell it. Action = move + 5 * word (50).
 * Observation (21): velocity, landmarks relative, the other's goal colour, the other's word.
 * local_i = -distance(other, the goal agent i knows); r_i = (1 - localRatio) * mean(local) + localRatio * local_i.
 */
export class ReferenceSimulation extends MpeSimulation {
  private readonly localRatio: number;
  /** goalFor[i]: the landmark agent i knows about, i.e. the one the other agent must reach. */
  private readonly knownGoal = new Int32Array(2);
  private readonly local = new Float64Array(2);

  constructor(params: { localRatio: number; maxSteps: number }, physics: MpePhysics) {
    const agents = [0, 1].map((i) => agentSpec(`agent_${i}`, { collide: false }));
    const landmarks = [0, 1, 2].map((i) => landmarkSpec(`landmark_${i}`, { collide: false }));
    const layout = makeLayout([
      { name: 'self', rows: 1, features: ['vel_x', 'vel_y'], spatial: false },
      { name: 'landmarks', rows: 3, features: ['dx', 'dy'], spatial: true },
      { name: 'goal', rows: 1, features: ['goal_r', 'goal_g', 'goal_b'], spatial: false },
      { name: 'comm', rows: 1, features: Array.from({ length: WORDS }, (_, w) => `c${w}`), spatial: false },
    ]);
    const names: string[] = [];
    for (let action = 0; action < 5 * WORDS; action++) names.push(`${MOVE_ACTION_NAMES[action % 5]}+say_${Math.floor(action / 5)}`);
    super(
      {
        entities: [...agents, ...landmarks],
        dimC: WORDS,
        agentEntities: [0, 1],
        layouts: [layout, layout],
        actionCounts: [5 * WORDS, 5 * WORDS],
        actionNames: [names, names],
        maxSteps: params.maxSteps,
        colors: [[0.25, 0.25, 0.25], [0.25, 0.25, 0.25], ...LANDMARK_COLORS],
        teams: [0, 0, -1, -1, -1],
      },
      physics,
    );
    this.localRatio = params.localRatio;
  }

  protected resetEntities(rng: Rng): void {
    this.knownGoal[0] = rng.int(3);
    this.knownGoal[1] = rng.int(3);
    const pos = this.world.pos;
    for (let e = 0; e < 5; e++) {
      pos[2 * e] = rng.range(-1, 1);
      pos[2 * e + 1] = rng.range(-1, 1);
    }
  }

  /** `goals[agent_i] = landmark_k`: agent_i must reach landmark_k (so the other agent knows its colour). */
  protected override setGoals(goals: Record<string, string>): void {
    for (const [agent, landmark] of Object.entries(goals)) {
      const i = agent === 'agent_0' ? 0 : agent === 'agent_1' ? 1 : -1;
      if (i < 0) throw new Error(`init.goals: unknown agent '${agent}' (agent_0 or agent_1)`);
      const e = this.entityByName(landmark, `init.goals.${agent}`);
      if (e < 2) throw new Error(`init.goals.${agent}: '${landmark}' is not a landmark`);
      this.knownGoal[1 - i] = e - 2;
    }
  }

  protected applyAction(agent: number, action: number): void {
    this.world.setMoveAction(agent, action % 5);
    this.world.setCommAction(agent, Math.floor(action / 5));
  }

  protected computeRewards(rewards: Float32Array): void {
    for (let i = 0; i < 2; i++) this.local[i] = -this.world.distance(1 - i, 2 + this.knownGoal[i]);
    const global = (this.local[0] + this.local[1]) / 2;
    for (let i = 0; i < 2; i++) rewards[i] = global * (1 - this.localRatio) + this.local[i] * this.localRatio;
  }

  observe(agent: number, out: RawObservation): void {
    const v = out.values;
    const { vel, comm } = this.world;
    v[0] = vel[2 * agent];
    v[1] = vel[2 * agent + 1];
    let o = 2;
    for (let l = 0; l < 3; l++) {
      out.distance[1 + l] = this.writeRelative(agent, 2 + l, v, o);
      o += 2;
    }
    const color = LANDMARK_COLORS[this.knownGoal[agent]];
    v[o++] = color[0];
    v[o++] = color[1];
    v[o++] = color[2];
    const other = 1 - agent;
    for (let w = 0; w < WORDS; w++) v[o++] = comm[other * WORDS + w];
  }
}
