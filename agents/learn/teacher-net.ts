import { createSimulation, type LoadedScenario } from '../../server/scenarios/registry.ts';
import { VecEnv } from '../../server/env/vec-env.ts';
import { FULL_VIEW_SET } from './rollout.ts';
import type { Simulation } from '../../server/env/simulation.ts';
import type { TrainConfig } from './config.ts';
import { ActorCritic, type ScenarioShape } from './actor-critic.ts';
import { loadStudentProfile, planStudents, type StudentPlan } from '../distill/student-plan.ts';

export function scenarioShape(sim: Simulation): ScenarioShape {
  return { agentNames: [...sim.agentNames], observationSizes: sim.layouts.map((l) => l.size), actionCounts: [...sim.actionCounts], stateSize: sim.stateSize };
}

/**
 * The actor-critic a config asks for on a scenario: full-view actors (MAPPO), or with actorViews
 * 'student' each agent's own actor on its student view and size (the method's (docs/method.md §5) from-scratch baseline).
 */
export function buildTeacherNet(config: TrainConfig, scenario: LoadedScenario, probe: Simulation): { net: ActorCritic; shape: ScenarioShape; students: StudentPlan[] | null } {
  // actorViews 'student': the method's (docs/method.md §5) from-scratch baseline, each agent's own actor on its student
  // view with its student's size; the centralized critic still sees the state.
  const students = config.actorViews === 'student' ? planStudents(loadStudentProfile(config.studentProfile, scenario.file.name).profile, scenario, probe, config.layerNorm, config.studentProfile) : null;
  const shape = students ? { ...scenarioShape(probe), observationSizes: students.map((p) => p.observationSize) } : scenarioShape(probe);
  const net = new ActorCritic(shape, {
    actorHidden: config.actorHidden,
    criticHidden: config.criticHidden,
    layerNorm: config.layerNorm,
    shareActor: students ? false : config.shareActor,
    denseMode: config.denseMode === 'stock' ? 'stock' : 'custom',
    seed: config.seed,
    recurrent: config.recurrent,
    // An 'agent_state' critic reads full views even beside student-view actors.
    criticInput: config.criticInput,
    criticObservationSizes: probe.layouts.map((l) => l.size),
    ...(students ? { perAgentHidden: students.map((p) => p.hidden), views: students.map((p) => p.view) } : {}),
  });
  return { net, shape, students };
}

/**
 * The VecEnv of one rank's `numEnvs` envs: student views for student actors, and the full views
 * beside them when an 'agent_state' critic reads those.
 */
export function trainingEnvs(config: TrainConfig, scenario: LoadedScenario, students: StudentPlan[] | null, numEnvs: number, seed: number): VecEnv {
  return new VecEnv(() => createSimulation(scenario), {
    numEnvs,
    seed,
    ...(students ? { viewSets: { student: students.map((p) => p.view), ...(config.criticInput === 'agent_state' ? { [FULL_VIEW_SET]: [] } : {}) } } : {}),
  });
}
