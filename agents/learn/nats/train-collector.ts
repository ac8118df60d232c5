import { createSimulation } from '../../../server/scenarios/registry.ts';
import { buildTeacherNet, trainingEnvs } from '../teacher-net.ts';
import { Collector, type ActorStepper } from '../rollout.ts';
import { typedActors } from '../typed-actors.ts';
import { rolloutColumns } from './fragment.ts';
import type { CollectorSpec, FragmentCollector } from './collector.ts';
import type { RunWork } from './identity.ts';

/**
 * A `kdmarl train` run's worker: the trainer's Collector on its own envs, sampling with the
 * typed-array actors (no tfjs in the loop; the net only gives the layout) and computing no values.
 */
export function trainCollector(spec: CollectorSpec<Extract<RunWork, { kind: 'train' }>>): FragmentCollector {
  const { config } = spec.work;
  const { net, students } = buildTeacherNet(config, spec.scenario, createSimulation(spec.scenario));
  const groups = net.groups.map((g) => g.name);
  let actors = typedActors(spec.policy, groups);
  const actor: ActorStepper = { forward: (g, input, rows) => actors.forward(g, input, rows), step: (g, input, rows, h) => actors.step(g, input, rows, h) };
  const vec = trainingEnvs(config, spec.scenario, students, spec.envs, spec.seed);
  vec.reset();
  const collector = new Collector(net, vec, config.rolloutLength, 0, {
    actor,
    critic: () => {
      throw new Error('a rollout worker computes no values');
    },
  });
  return {
    columns: rolloutColumns(collector.buffer),
    setPolicy(policy) {
      actors = typedActors(policy, groups);
    },
    collect: (rng, episodes) => collector.collectSteps(rng, episodes),
    dispose: () => net.dispose(),
  };
}
