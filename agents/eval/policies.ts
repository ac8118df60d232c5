import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from '../../shared/codec.ts';
import { STUDENT_POLICY_FILE, type PolicyFile } from '../../shared/model-format.ts';
import { netParams } from '../../shared/flops.ts';
import { randomPolicy, type DecisionPolicy } from '../baselines/decision-policy.ts';
import { AgentPolicyRuntime, parsePolicyBytes } from '../runtime/policy-runtime.ts';
import type { Simulation } from '../../server/env/simulation.ts';
import { AgentIO } from '../../server/env/agent-io.ts';
import { ObservationView } from '../../server/views/view.ts';
import { lidarMismatch } from '../../server/robots/lidar-mismatch.ts';
import { CHECKPOINT_FILE, CHECKPOINT_FORMAT, POLICY_FILE, checkpointToPolicyFile, parseCheckpoint } from '../learn/checkpoint.ts';
import type { EvalAgent } from './evaluate.ts';

/** The agents of an evaluation plus the figures a report prints about the policy. */
export type LoadedEvalPolicy = {
  label: string;
  agents: EvalAgent[];
  /** FLOPs per decision per agent (actor only); 0 for baselines. */
  flopsPerAgent: number[];
  /** Mean over agents of FLOPs per decision. */
  flopsPerDecision: number;
  /** Parameters of every distinct net in the deployed file (0 for baselines). */
  params: number;
  policyFile: PolicyFile | null;
};

/** Greedy (argmax over allowed actions) decisions on the typed-array runtime; `reset` zeroes a recurrent net's state. */
export function greedyAgentPolicy(file: PolicyFile, agent: string): DecisionPolicy {
  const runtime = new AgentPolicyRuntime(file, agent);
  return {
    label: file.role,
    flops: runtime.flops,
    observationSize: runtime.observationSize,
    decide: (observation, mask) => runtime.actGreedy(observation, mask),
    reset: () => runtime.reset(),
  };
}

/** Build eval agents for every agent of `sim` from a deployed policy file. */
export function policyFileAgents(file: PolicyFile, sim: Simulation, scenarioName: string, where: string): LoadedEvalPolicy {
  if (file.scenario !== scenarioName) {
    throw new Error(`${where}: policy was made for scenario '${file.scenario}', not '${scenarioName}'${lidarNote(file, sim, scenarioName)}`);
  }
  const missing = sim.agentNames.filter((a) => !file.agents[a]);
  if (missing.length) throw new Error(`${where}: policy has no entry for agent(s) ${missing.join(', ')} of '${scenarioName}'`);
  const io = new AgentIO(sim, sim.agentNames.map((a) => file.agents[a].view));
  const agents: EvalAgent[] = sim.agentNames.map((name, i) => {
    const policy = greedyAgentPolicy(file, name);
    if (policy.observationSize !== io.views[i].size) {
      const lidar = lidarMismatch({ scenario: file.scenario, agent: name, view: file.agents[name].view, inputSize: policy.observationSize }, { scenario: scenarioName, labels: io.views[i].labels });
      throw new Error(`${where}: ${name}'s net expects ${policy.observationSize} observation values but its view of '${scenarioName}' gives ${io.views[i].size}${lidar}`);
    }
    return { policy, view: file.agents[name].view };
  });
  const flopsPerAgent = agents.map((a) => a.policy.flops);
  const params = Object.values(file.nets).reduce((n, net) => n + netParams(net), 0);
  return { label: file.role, agents, flopsPerAgent, flopsPerDecision: flopsPerAgent.reduce((a, b) => a + b, 0) / flopsPerAgent.length, params, policyFile: file };
}

/** For a policy of another scenario: whether the first agent both share has another lidar size ('' if not, or unknown). */
function lidarNote(file: PolicyFile, sim: Simulation, scenarioName: string): string {
  const agent = sim.agentNames.findIndex((name) => file.agents[name]);
  if (agent < 0) return '';
  const name = sim.agentNames[agent];
  const spec = file.agents[name];
  try {
    const labels = new ObservationView(sim.layouts[agent], spec.view).labels;
    return lidarMismatch({ scenario: file.scenario, agent: name, view: spec.view, inputSize: greedyAgentPolicy(file, name).observationSize }, { scenario: scenarioName, labels });
  } catch {
    return '';
  }
}

export function randomAgents(sim: Simulation): LoadedEvalPolicy {
  const io = new AgentIO(sim);
  const agents = sim.agentNames.map((_, i) => ({ policy: randomPolicy(io.views[i].size) }));
  return { label: 'random', agents, flopsPerAgent: agents.map(() => 0), flopsPerDecision: 0, params: 0, policyFile: null };
}

/** What `distill` writes in its run dir: the deployed students. */
export { STUDENT_POLICY_FILE };

/**
 * The files a run dir or models/<scenario> dir is searched for, in order: a teacher run's
 * checkpoint, its deployed teacher, then a distill run's students.
 */
export const RUN_DIR_POLICIES: readonly string[] = [CHECKPOINT_FILE, POLICY_FILE, STUDENT_POLICY_FILE];

/**
 * Read a policy given on the command line: a run dir or models/<scenario> dir (see RUN_DIR_POLICIES),
 * a checkpoint file, or a deployed policy file (teacher or student). The format is recognised
 * from the content, not the extension.
 */
export function readPolicyPath(path: string): PolicyFile {
  let file = path;
  if (existsSync(path) && statSync(path).isDirectory()) {
    const found = RUN_DIR_POLICIES.find((name) => existsSync(join(path, name)));
    if (!found) throw new Error(`${path}: no policy in this directory (looked for ${RUN_DIR_POLICIES.join(', ')})`);
    file = join(path, found);
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new Error(`${file}: cannot read policy (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let raw: unknown;
  try {
    raw = decode(bytes);
  } catch (error) {
    throw new Error(`${file}: neither a kdmarl checkpoint nor a policy file (msgpack decode failed: ${(error as Error).message})`);
  }
  if (typeof raw === 'object' && raw !== null && (raw as { format?: unknown }).format === CHECKPOINT_FORMAT) {
    return checkpointToPolicyFile(parseCheckpoint(bytes, file), file);
  }
  return parsePolicyBytes(bytes, file);
}
