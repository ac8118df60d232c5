import type { ViewSpec } from '../../shared/view-spec.ts';
import type { Simulation } from '../env/simulation.ts';
import type { LoadedScenario } from './registry.ts';

type StudentViews = { default?: ViewSpec; byAgent?: Record<string, ViewSpec>; byType?: Record<string, ViewSpec> };

/**
 * The scenario's default student view for each agent: by agent name, else by unit type / role,
 * else the scenario default, else the full view. Unknown agent or type names are errors so a typo
 * in a scenario file does not silently give a student the teacher's view.
 */
export function defaultStudentViews(loaded: LoadedScenario, sim: Simulation): ViewSpec[] {
  const views = (loaded.file.studentViews ?? {}) as StudentViews;
  const types = new Set<string>();
  const typeOf = sim.agentNames.map((name) => {
    const entity = sim.entities.find((e) => e.name === name);
    const type = entity?.type ?? 'agent';
    types.add(type);
    return type;
  });
  for (const name of Object.keys(views.byAgent ?? {})) {
    if (!sim.agentNames.includes(name)) throw new Error(`${loaded.path}: studentViews.byAgent: unknown agent '${name}' (agents: ${sim.agentNames.join(', ')})`);
  }
  for (const type of Object.keys(views.byType ?? {})) {
    if (!types.has(type)) throw new Error(`${loaded.path}: studentViews.byType: unknown type '${type}' (types: ${[...types].join(', ')})`);
  }
  return sim.agentNames.map((name, i) => views.byAgent?.[name] ?? views.byType?.[typeOf[i]] ?? views.default ?? {});
}
