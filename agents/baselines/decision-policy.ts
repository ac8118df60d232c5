import type { Simulation } from '../../server/env/simulation.ts';
import { randomAllowedAction } from '../../shared/random-action.ts';

/**
 * Anything that turns one agent's observation and action mask into an action: a deployed
 * typed-array policy, a scripted heuristic or the uniform-random baseline. Agent processes,
 * evaluation and `kdmarl up` all take this one shape.
 */
export type DecisionPolicy = {
  /** Shown in status lines and reports: 'student', 'teacher', 'scripted', 'random'. */
  readonly label: string;
  /** FLOPs per decision (0 for scripted and random baselines). */
  readonly flops: number;
  /** Size of the observation this policy expects (its view's size). */
  readonly observationSize: number;
  /** Pick an action. `u` is a uniform number in [0, 1) for stochastic policies. */
  decide(observation: Float32Array, mask: Uint8Array, u: number): number;
  /** Start a new episode: policies with memory (recurrent nets) forget it. Absent: no memory. */
  reset?(): void;
  /**
   * Privileged baselines only (scripted-micro): they read the battle state of the simulation being
   * stepped instead of the observation, so whoever steps it (evaluate()) hands it over before the
   * first episode. Absent: the policy sees only what `decide` is given.
   */
  attach?(sim: Simulation): void;
};

/** Uniform over the allowed actions. */
export function randomPolicy(observationSize: number): DecisionPolicy {
  return {
    label: 'random',
    flops: 0,
    observationSize,
    decide: (_observation, mask, u) => randomAllowedAction(mask, u),
  };
}
