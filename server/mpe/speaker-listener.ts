import type { Rng } from '../../shared/rng.ts';
import { makeLayout, type RawObservation } from '../env/layout.ts';
import type { EpisodeMetrics } from '../env/episode-metrics.ts';
import { MOVE_ACTION_NAMES, MpeSimulation, agentSpec, landmarkSpec, type MpePhysics } from './mpe-simulation.ts';

const LANDMARK_COLORS: [number, number, number][] = [
  [0.65, 0.15, 0.15],
  [0.15, 0.65, 0.15],
  [0.15, 0.15, 0.65],
];
const SPEAKER = 0;
const LISTENER = 1;

/**
 * simple_speaker_listener (PettingZoo/MPE2): an immovable speaker sees the goal landmark's colour
 * (3) and says one of 3 words; a silent listener sees its velocity, the landmarks relative to it
 * and the word (11), and moves. Both get -(squared distance from listener to goal).
 */
export class SpeakerListenerSimulation extends MpeSimulation {
  private goal = 0;

  constructor(params: { maxSteps: number }, physics: MpePhysics) {
    const speaker = agentSpec('speaker_0', { size: 0.075, collide: false, movable: false, type: 'speaker' });
    const listener = agentSpec('listener_0', { size: 0.075, collide: false, silent: true, type: 'listener' });
    const landmarks = Array.from({ length: 3 }, (_, i) => landmarkSpec(`landmark_${i}`, { size: 0.04, collide: false }));
    super(
      {
        entities: [speaker, listener, ...landmarks],
        dimC: 3,
        agentEntities: [SPEAKER, LISTENER],
        layouts: [
          makeLayout([{ name: 'self', rows: 1, features: ['goal_r', 'goal_g', 'goal_b'], spatial: false }]),
          makeLayout([
            { name: 'self', rows: 1, features: ['vel_x', 'vel_y'], spatial: false },
            { name: 'landmarks', rows: 3, features: ['dx', 'dy'], spatial: true },
            { name: 'comm', rows: 1, features: ['c0', 'c1', 'c2'], spatial: false },
          ]),
        ],
        actionCounts: [3, 5],
        actionNames: [['say_0', 'say_1', 'say_2'], [...MOVE_ACTION_NAMES]],
        maxSteps: params.maxSteps,
        colors: [[0.25, 0.25, 0.25], [0.25, 0.25, 0.25], ...LANDMARK_COLORS],
        teams: [0, 0, -1, -1, -1],
      },
      physics,
    );
  }

  /** Index (0-2) of the goal landmark. */
  get goalLandmark(): number {
    return this.goal;
  }

  protected resetEntities(rng: Rng): void {
    this.goal = rng.int(3);
    const pos = this.world.pos;
    for (let e = 0; e < 5; e++) {
      pos[2 * e] = rng.range(-1, 1);
      pos[2 * e + 1] = rng.range(-1, 1);
    }
  }

  protected override setGoals(goals: Record<string, string>): void {
    for (const [agent, landmark] of Object.entries(goals)) {
      if (agent !== 'listener_0' && agent !== 'speaker_0') throw new Error(`init.goals: unknown agent '${agent}' (speaker_0 or listener_0)`);
      const e = this.entityByName(landmark, `init.goals.${agent}`);
      if (e < 2) throw new Error(`init.goals.${agent}: '${landmark}' is not a landmark`);
      this.goal = e - 2;
    }
  }

  protected applyAction(agent: number, action: number): void {
    if (agent === SPEAKER) {
      this.world.setMoveAction(SPEAKER, 0);
      this.world.setCommAction(SPEAKER, action);
    } else {
      this.world.setMoveAction(LISTENER, action);
    }
  }

  /** The listener's distance to the goal landmark now. */
  goalDistance(): number {
    return this.world.distance(LISTENER, 2 + this.goal);
  }

  override episodeMetrics(): EpisodeMetrics {
    return { goalDistance: this.goalDistance() };
  }

  protected computeRewards(rewards: Float32Array): void {
    const d = this.goalDistance();
    rewards[0] = -d * d;
    rewards[1] = -d * d;
  }

  observe(agent: number, out: RawObservation): void {
    const v = out.values;
    if (agent === SPEAKER) {
      const color = LANDMARK_COLORS[this.goal];
      v[0] = color[0];
      v[1] = color[1];
      v[2] = color[2];
      return;
    }
    const { vel, comm } = this.world;
    v[0] = vel[2 * LISTENER];
    v[1] = vel[2 * LISTENER + 1];
    let o = 2;
    for (let l = 0; l < 3; l++) {
      out.distance[1 + l] = this.writeRelative(LISTENER, 2 + l, v, o);
      o += 2;
    }
    for (let c = 0; c < 3; c++) v[o++] = comm[SPEAKER * 3 + c];
  }
}
