import type { PolicyFile } from '../../shared/model-format.ts';
import { AgentPolicyRuntime } from '../runtime/policy-runtime.ts';
import { evaluate, type EvalAgent } from '../eval/evaluate.ts';
import { policyFileAgents, randomAgents } from '../eval/policies.ts';
import { returnRetention, winRateRetention } from '../eval/metrics.ts';
import { createSimulation, resolveScenario, scenarioHasWins } from '../../server/scenarios/registry.ts';
import type { ExportAgent } from './export-agent.ts';
import { greedy, Int8Runtime, type QuantizedDense } from './quantize.ts';
import type { ObservationSample } from './sample-observations.ts';

/** How far an int8 agent is from its float self on the same observations. */
export type Int8Agreement = { agent: string; observations: number; actionAgreement: number; maxLogitError: number; source: string };

export function int8Agreement(file: PolicyFile, agent: ExportAgent, quantized: Map<number, QuantizedDense>, sample: ObservationSample): Int8Agreement {
  const float = new AgentPolicyRuntime(file, agent.agent);
  const int8 = new Int8Runtime(agent, quantized);
  const obs = agent.observationSize;
  const A = agent.actionCount;
  let agree = 0;
  let maxError = 0;
  for (let k = 0; k < sample.count; k++) {
    const o = sample.observations.subarray(k * obs, (k + 1) * obs);
    const mask = sample.masks.subarray(k * A, (k + 1) * A);
    const zf = float.logits(o);
    const zq = int8.logits(o);
    for (let a = 0; a < A; a++) maxError = Math.max(maxError, Math.abs(zf[a] - zq[a]));
    if (greedy(zf, mask) === greedy(zq, mask)) agree++;
  }
  return { agent: agent.agent, observations: sample.count, actionAgreement: agree / sample.count, maxLogitError: maxError, source: sample.source };
}

export type Int8Retention = {
  episodes: number;
  seed: number;
  on: 'winRate' | 'return';
  float: { winRate: number; meanReturn: number };
  int8: { winRate: number; meanReturn: number };
  random?: { meanReturn: number };
  retention: number;
  note: string;
};

/**
 * Greedy evaluation of the float policy and of the same policy with the exported agents on int8
 * weights (the others float), on one seed list: evaluate()'s episode i from deriveSeed(seed, i).
 * Retention is int8 over float win rate where the scenario has wins, else the return retention
 * against the uniform-random policy (as `kdmarl report`). Null when the scenario is not known here.
 */
export function int8Retention(file: PolicyFile, agents: ExportAgent[], quantized: Map<string, Map<number, QuantizedDense>>, episodes: number, seed: number): Int8Retention | null {
  let scenario;
  try {
    scenario = resolveScenario(file.scenario);
  } catch {
    return null;
  }
  const sim = createSimulation(scenario);
  const floatAgents = policyFileAgents(file, sim, scenario.file.name, 'export').agents;
  const int8Agents: EvalAgent[] = floatAgents.map((a, i) => {
    const exported = agents.find((x) => x.agent === sim.agentNames[i]);
    if (!exported) return a;
    const runtime = new Int8Runtime(exported, quantized.get(exported.agent)!);
    return { ...a, policy: { ...a.policy, label: 'int8', decide: (o: Float32Array, m: Uint8Array) => runtime.actGreedy(o, m) } };
  });
  const options = { episodes, seed };
  const float = evaluate(scenario, floatAgents, options);
  const int8 = evaluate(scenario, int8Agents, options);
  const summary = (e: { winRate: number; meanReturn: number }) => ({ winRate: e.winRate, meanReturn: Number(e.meanReturn.toFixed(4)) });
  const note = `${episodes} greedy episodes, evaluate() seed ${seed}; ${agents.length === sim.agentNames.length ? 'every agent int8' : `int8: ${agents.map((a) => a.agent).join(', ')}; the others float`}`;
  if (scenarioHasWins(scenario)) {
    return { episodes, seed, on: 'winRate', float: summary(float), int8: summary(int8), retention: winRateRetention(int8.winRate, float.winRate), note };
  }
  const random = evaluate(scenario, randomAgents(sim).agents, options);
  return { episodes, seed, on: 'return', float: summary(float), int8: summary(int8), random: { meanReturn: Number(random.meanReturn.toFixed(4)) }, retention: returnRetention(int8.meanReturn, float.meanReturn, random.meanReturn), note };
}
