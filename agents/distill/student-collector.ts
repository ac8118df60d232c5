import type { Rng } from '../../shared/rng.ts';
import { VecEnv, type EpisodeSummary } from '../../server/env/vec-env.ts';
import { createSimulation, type LoadedScenario } from '../../server/scenarios/registry.ts';
import { argmaxMasked, logProbMasked, sampleMasked } from '../learn/sampling.ts';
import { FULL_VIEW_SET } from '../learn/rollout.ts';
import type { StudentPlan } from './student-plan.ts';
import type { StudentRollout } from './update.ts';

/** Logits of agent `a`'s student for `rows` rows of its own view (row-major). */
export type StudentLogits = (a: number, observations: Float32Array, rows: number) => Float32Array;

/**
 * Offline distillation's collection: the students act in the VecEnv through their own views, and
 * the rollout keeps what the update needs (their views and the teacher's full ones, masks,
 * actions, behaviour log-probabilities, rewards, ends, states and bootstrap rows). The distiller
 * collects with its tfjs students, a rollout worker on NATS with the typed-array ones it was sent.
 * The VecEnv needs the view sets 'student' (the plans' views) and FULL_VIEW_SET. In the first
 * `greedyEnvs` envs the students take their greedy action, as deployed students do, so the rollout
 * holds the states the deployed students reach (a sampling student rarely repeats one move long
 * enough to reach them); those rows are marked `greedy` for the update.
 */
export class StudentCollector {
  readonly rollout: StudentRollout;
  private readonly vec: VecEnv;
  private readonly plans: readonly StudentPlan[];
  private readonly teacherSizes: readonly number[];
  private readonly logits: StudentLogits;
  private readonly stepActions: Int32Array;
  private readonly stepLogp: Float32Array;
  private readonly greedyEnvs: number;

  constructor(vec: VecEnv, rollout: StudentRollout, plans: readonly StudentPlan[], teacherSizes: readonly number[], logits: StudentLogits, greedyEnvs = 0) {
    if (vec.numEnvs !== rollout.envs) throw new Error(`a rollout of ${rollout.envs} envs cannot collect from ${vec.numEnvs} envs`);
    if (greedyEnvs > vec.numEnvs) throw new Error(`greedyEnvs: ${greedyEnvs} greedy envs but only ${vec.numEnvs} envs`);
    this.greedyEnvs = greedyEnvs;
    this.vec = vec;
    this.rollout = rollout;
    this.plans = plans;
    this.teacherSizes = teacherSizes;
    this.logits = logits;
    this.stepActions = new Int32Array(vec.numEnvs * plans.length);
    this.stepLogp = new Float32Array(vec.numEnvs);
  }

  /** Fill the rollout with its `steps` steps from where the envs are; finished episodes go to `episodes`. */
  collect(rng: Rng, episodes: EpisodeSummary[]): void {
    const { vec, rollout, plans, teacherSizes, stepActions, stepLogp } = this;
    const E = rollout.envs;
    const N = plans.length;
    const S = rollout.stateSize;
    for (let t = 0; t < rollout.steps; t++) {
      rollout.states.set(vec.states, t * E * S);
      for (let a = 0; a < N; a++) {
        const p = plans[a];
        const obs = vec.obs.student[a];
        const logits = this.logits(a, obs, E);
        for (let e = 0; e < E; e++) {
          const row = t * E + e;
          // The uniform is drawn in greedy envs too, so the sampled envs' stream does not depend on greedyEnvs.
          const u = rng.uniform();
          const greedy = e < this.greedyEnvs;
          const action = greedy ? argmaxMasked(logits, vec.masks[a], e, p.actionCount) : sampleMasked(logits, vec.masks[a], e, p.actionCount, u, stepLogp, e);
          if (greedy) stepLogp[e] = logProbMasked(logits, vec.masks[a], e, p.actionCount, action);
          rollout.greedy[row] = greedy ? 1 : 0;
          stepActions[e * N + a] = action;
          rollout.actions[a][row] = action;
          rollout.logp[a][row] = stepLogp[e];
          rollout.active[a][row] = vec.alive[e * N + a];
        }
        rollout.studentObs[a].set(obs, t * E * p.observationSize);
        rollout.teacherObs[a].set(vec.obs[FULL_VIEW_SET][a], t * E * teacherSizes[a]);
        rollout.masks[a].set(vec.masks[a], t * E * p.actionCount);
      }
      vec.step(stepActions);
      for (let e = 0; e < E; e++) {
        const row = t * E + e;
        const ended = vec.terminated[e] === 1 || vec.truncated[e] === 1 ? 1 : 0;
        rollout.truncated[row] = vec.truncated[e];
        if (vec.truncated[e] === 1) {
          rollout.finalStates.set(vec.finalStates.subarray(e * S, (e + 1) * S), row * S);
          for (let a = 0; a < N; a++) {
            const size = teacherSizes[a];
            rollout.finalTeacherObs[a].set(vec.finalObs[FULL_VIEW_SET][a].subarray(e * size, (e + 1) * size), row * size);
          }
        }
        for (let a = 0; a < N; a++) {
          rollout.rewards[row * N + a] = vec.rewards[e * N + a];
          rollout.terminated[row * N + a] = vec.terminated[e];
          rollout.episodeEnd[row * N + a] = ended;
        }
      }
      episodes.push(...vec.finished);
    }
    rollout.bootstrapStates.set(vec.states);
    for (let a = 0; a < N; a++) rollout.bootstrapTeacherObs[a].set(vec.obs[FULL_VIEW_SET][a]);
  }
}

/** The envs students act in, reset: each agent's student view and the teacher's full one. */
export function studentEnvs(scenario: LoadedScenario, plans: readonly StudentPlan[], numEnvs: number, seed: number): VecEnv {
  const vec = new VecEnv(() => createSimulation(scenario), { numEnvs, seed, viewSets: { [FULL_VIEW_SET]: [], student: plans.map((p) => p.view) } });
  vec.reset();
  return vec;
}
