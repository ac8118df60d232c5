import type { ViewSpec } from '../../shared/view-spec.ts';
import { builtinScenarios, createSimulation } from '../scenarios/registry.ts';
import { ObservationView } from '../views/view.ts';
import { lidarReadings } from '../../shared/lidar-readings.ts';

export { lidarReadings };

/** One agent's net in a policy file: the scenario it was made for, its view and its observation size. */
export type PolicyNetInput = { scenario: string; agent: string; view: ViewSpec; inputSize: number };

/**
 * When a policy's net does not fit a robot's observation because the lidars differ: the lidar
 * size the net was trained on and the one it is given, as a clause to append to the refusal
 * (`; trained on 12 lidar rays (navigation), navigation_64 gives agent_0 24`). The trained size
 * is read from the policy's own scenario under the policy's view, and only trusted when that view
 * there gives exactly the net's input size; otherwise, or when the lidars agree, ''.
 */
export function lidarMismatch(policy: PolicyNetInput, world: { scenario: string; labels: readonly string[] }): string {
  const own = builtinScenarios().get(policy.scenario);
  if (!own || own.file.family !== 'robots') return '';
  let trained: number;
  try {
    const sim = createSimulation(own);
    const agent = sim.agentNames.indexOf(policy.agent);
    if (agent < 0) return '';
    const view = new ObservationView(sim.layouts[agent], policy.view);
    if (view.size !== policy.inputSize) return '';
    trained = lidarReadings(view.labels);
  } catch {
    return '';
  }
  const given = lidarReadings(world.labels);
  if (trained === given) return '';
  return `; trained on ${trained} lidar rays (${policy.scenario}), ${world.scenario} gives ${policy.agent} ${given}`;
}
