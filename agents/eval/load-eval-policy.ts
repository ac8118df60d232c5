import { existsSync } from 'node:fs';
import type { Simulation } from '../../server/env/simulation.ts';
import { fileURLToPath } from 'node:url';
import type { DecisionPolicy } from '../baselines/decision-policy.ts';
import { policyFileAgents, randomAgents, readPolicyPath, type LoadedEvalPolicy } from './policies.ts';

/**
 * Resolve `--policy`: 'random', 'scripted' (the scenario's scripted baseline from
 * agents/baselines, where one exists), or a path to a checkpoint, run dir or policy file.
 */
export async function loadEvalPolicy(spec: string, scenarioName: string, sim: Simulation): Promise<LoadedEvalPolicy> {
  if (spec === 'random') return randomAgents(sim);
  if (spec === 'scripted') return scriptedAgents(scenarioName, sim);
  if (!existsSync(spec)) throw new Error(`--policy: '${spec}' is not 'random', 'scripted' or an existing file or directory`);
  return policyFileAgents(readPolicyPath(spec), sim, scenarioName, spec);
}

type ScriptedModule = { scriptedPolicies?: (scenario: string, sim: Simulation) => DecisionPolicy[] };

async function scriptedAgents(scenarioName: string, sim: Simulation): Promise<LoadedEvalPolicy> {
  // The scripted baselines are written by another part of the project; loaded by path so eval
  // works (with a clear error) before they exist.
  // Same extension as this module: .ts under vitest, .js from dist.
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const url = new URL(`../baselines/scripted.${ext}`, import.meta.url);
  const path = existsSync(fileURLToPath(url)) ? url.href : undefined;
  if (!path) throw new Error(`--policy scripted: no scripted baselines installed (agents/baselines/scripted.ts)`);
  const mod = (await import(path)) as ScriptedModule;
  if (typeof mod.scriptedPolicies !== 'function') throw new Error(`--policy scripted: ${path} does not export scriptedPolicies(scenario, sim)`);
  const policies = mod.scriptedPolicies(scenarioName, sim);
  return { label: 'scripted', agents: policies.map((policy) => ({ policy })), flopsPerAgent: policies.map((p) => p.flops), flopsPerDecision: 0, params: 0, policyFile: null };
}
