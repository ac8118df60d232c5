import { existsSync } from 'node:fs';
import type { Simulation } from '../../server/env/simulation.ts';
import { scriptedPolicies } from '../baselines/scripted.ts';
import { MICRO_SPECS, smacMicroPolicies } from '../baselines/smac-micro.ts';
import { policyFileAgents, randomAgents, readPolicyPath, type LoadedEvalPolicy } from './policies.ts';

/**
 * Resolve `--policy`: 'random', 'scripted' (the scenario's scripted baseline from
 * agents/baselines, reading each agent's view), 'scripted-micro' (the privileged SMAC micro
 * baseline, reading the battle state of the simulation evaluate() steps) or
 * 'scripted-micro-imitable' (its plan without what no agent observes, for cloning), or a path to a
 * checkpoint, run dir or policy file (teacher or student).
 */
export async function loadEvalPolicy(spec: string, scenarioName: string, sim: Simulation, flag = '--policy'): Promise<LoadedEvalPolicy> {
  if (spec === 'random') return randomAgents(sim);
  if (spec === 'scripted') {
    const policies = scriptedPolicies(scenarioName, sim);
    return { label: 'scripted', agents: policies.map((policy) => ({ policy })), flopsPerAgent: policies.map((p) => p.flops), flopsPerDecision: 0, params: 0, policyFile: null };
  }
  if (Object.hasOwn(MICRO_SPECS, spec)) {
    const policies = smacMicroPolicies(sim, scenarioName, MICRO_SPECS[spec]);
    return { label: spec, agents: policies.map((policy) => ({ policy })), flopsPerAgent: policies.map(() => 0), flopsPerDecision: 0, params: 0, policyFile: null };
  }
  if (!existsSync(spec)) {
    const named = ['random', 'scripted', ...Object.keys(MICRO_SPECS)].map((name) => `'${name}'`).join(', ');
    throw new Error(`${flag}: '${spec}' is not ${named} or an existing file or directory`);
  }
  return policyFileAgents(readPolicyPath(spec), sim, scenarioName, spec);
}
