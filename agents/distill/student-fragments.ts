import { createSimulation } from '../../server/scenarios/registry.ts';
import type { ExperienceColumns } from '../learn/nats/fragment.ts';
import type { CollectorSpec, FragmentCollector } from '../learn/nats/collector.ts';
import type { RunWork } from '../learn/nats/identity.ts';
import { typedActors } from '../learn/typed-actors.ts';
import { StudentCollector, studentEnvs } from './student-collector.ts';
import { StudentRollout } from './update.ts';

/**
 * A distiller's rollout as columns (its arrays, not copies): what a distillation worker sends and
 * the distiller fills. The teacher's outputs are not in it: the distiller computes them on the
 * full views, so a worker needs no teacher.
 */
export function studentColumns(r: StudentRollout): ExperienceColumns {
  const perAgent = (name: string, arrays: readonly (Float32Array | Int32Array | Uint8Array)[]) => Object.fromEntries(arrays.map((a, i) => [`${name}[${i}]`, a]));
  return {
    numEnvs: r.envs,
    steps: r.steps,
    step: {
      ...perAgent('studentObs', r.studentObs),
      ...perAgent('teacherObs', r.teacherObs),
      ...perAgent('masks', r.masks),
      ...perAgent('actions', r.actions),
      ...perAgent('logp', r.logp),
      ...perAgent('active', r.active),
      states: r.states, finalStates: r.finalStates, truncated: r.truncated,
      rewards: r.rewards, terminated: r.terminated, episodeEnd: r.episodeEnd,
      ...perAgent('finalTeacherObs', r.finalTeacherObs),
    },
    env: { bootstrapStates: r.bootstrapStates, ...perAgent('bootstrapTeacherObs', r.bootstrapTeacherObs) },
  };
}

/**
 * A `kdmarl distill` run's worker: the students it was sent act in its own envs through their
 * views, sampled with the typed-array runtime, exactly as the distiller collects locally.
 */
export function distillCollector(spec: CollectorSpec<Extract<RunWork, { kind: 'distill' }>>): FragmentCollector {
  const { config, students } = spec.work;
  const probe = createSimulation(spec.scenario);
  const teacherSizes = probe.layouts.map((l) => l.size);
  const agents = students.map((p) => p.agent);
  let actors = typedActors(spec.policy, agents);
  const rollout = new StudentRollout(students, teacherSizes, probe.stateSize, config.rolloutLength, spec.envs);
  const collector = new StudentCollector(studentEnvs(spec.scenario, students, spec.envs, spec.seed), rollout, students, teacherSizes, (a, obs, rows) => actors.forward(a, obs, rows));
  return {
    columns: studentColumns(rollout),
    setPolicy(policy) {
      actors = typedActors(policy, agents);
    },
    collect: (rng, episodes) => collector.collect(rng, episodes),
    dispose: () => {},
  };
}
