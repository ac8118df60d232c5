import { existsSync, readFileSync } from 'node:fs';
import { fromRoot } from '../../shared/paths.ts';
import { describeZodError } from '../../shared/zod-error.ts';
import { mlpFlops, layerNormFlops } from '../../shared/flops.ts';
import type { ViewSpec } from '../../shared/view-spec.ts';
import { capacityRule, resolveStudent, studentProfileSchema, type Caps, type StudentProfile } from '../../shared/student-profile.ts';
import type { Simulation } from '../../server/env/simulation.ts';
import type { LoadedScenario } from '../../server/scenarios/registry.ts';
import { defaultStudentViews } from '../../server/scenarios/student-views.ts';
import { ObservationView } from '../../server/views/view.ts';

/** Everything distillation needs to build and export one agent's student. */
export type StudentPlan = {
  agent: string;
  index: number;
  type: string;
  view: ViewSpec;
  observationSize: number;
  actionCount: number;
  hidden: number[];
  /** Actor FLOPs per decision, as deployed (training-only heads excluded). */
  flops: number;
  caps: Caps;
};

/** The shipped profile for a scenario: agents/distill/profiles/<scenario>.json. */
export function defaultProfilePath(scenario: string): string {
  return fromRoot('agents', 'distill', 'profiles', `${scenario}.json`);
}

/**
 * `--students PROFILE`: a path to a profile JSON, or 'default' for the scenario's shipped profile
 * (or, when the scenario has none, the scenario's default student views with the capacity rule).
 */
export function loadStudentProfile(spec: string, scenario: string): { profile: StudentProfile; path: string } {
  const path = spec === 'default' ? defaultProfilePath(scenario) : spec;
  if (spec === 'default' && !existsSync(path)) return { profile: studentProfileSchema.parse({ scenario }), path: '(scenario defaults)' };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: cannot read student profile (${(error as Error).message})`);
  }
  const parsed = studentProfileSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${path}: ${describeZodError(parsed.error)}`);
  return { profile: parsed.data, path };
}

export function studentFlops(observationSize: number, hidden: readonly number[], actionCount: number, layerNorm: boolean): number {
  return mlpFlops([observationSize, ...hidden, actionCount]) + (layerNorm ? layerNormFlops(observationSize) : 0);
}

/**
 * Resolve and check every agent's student before any training: the profile is for this scenario,
 * its views exist in the scenario, and each actor fits its FLOPs cap (the capacity rule shrinks
 * 'auto' students to fit; explicit sizes over the cap are refused).
 */
export function planStudents(profile: StudentProfile, loaded: LoadedScenario, sim: Simulation, layerNorm: boolean, where = 'student profile'): StudentPlan[] {
  if (profile.scenario !== loaded.file.name) {
    throw new Error(`${where}: profile is for scenario '${profile.scenario}', not '${loaded.file.name}'`);
  }
  const types = sim.agentNames.map((name) => sim.entities.find((e) => e.name === name)?.type ?? 'agent');
  for (const name of Object.keys(profile.byAgent)) {
    if (!sim.agentNames.includes(name)) throw new Error(`${where}: byAgent: unknown agent '${name}' (agents: ${sim.agentNames.join(', ')})`);
  }
  for (const type of Object.keys(profile.byType)) {
    if (!types.includes(type)) throw new Error(`${where}: byType: unknown type '${type}' (types: ${[...new Set(types)].join(', ')})`);
  }
  const scenarioViews = defaultStudentViews(loaded, sim);
  return sim.agentNames.map((agent, index) => {
    const resolved = resolveStudent(profile, agent, types[index]);
    const view = resolved.view ?? scenarioViews[index];
    const observationSize = new ObservationView(sim.layouts[index], view, `${where}: view of ${agent}`).size;
    const actionCount = sim.actionCounts[index];
    const cap = resolved.caps.flops;
    const lnCost = layerNorm ? layerNormFlops(observationSize) : 0;
    const hidden =
      resolved.hidden === 'auto'
        ? capacityRule(observationSize, actionCount, resolved.layers, cap === undefined ? undefined : cap - lnCost)
        : resolved.hidden;
    const flops = studentFlops(observationSize, hidden, actionCount, layerNorm);
    if (cap !== undefined && flops > cap) {
      throw new Error(`${where}: ${agent}'s student [${[observationSize, ...hidden, actionCount].join('-')}] needs ${flops} FLOPs per decision, over its cap of ${cap}`);
    }
    return { agent, index, type: types[index], view, observationSize, actionCount, hidden, flops, caps: resolved.caps };
  });
}
