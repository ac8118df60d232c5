import { existsSync } from 'node:fs';
import type { Simulation } from '../server/env/simulation.ts';
import type { ObservationLayout } from '../server/env/layout.ts';
import type { PolicyFile } from '../shared/model-format.ts';
import type { SlotInfo, WelcomeMessage } from '../shared/handshake-protocol.ts';
import type { ViewSpec } from '../shared/view-spec.ts';
import { lidarReadings } from '../shared/lidar-readings.ts';
import { randomPolicy, type DecisionPolicy } from './baselines/decision-policy.ts';
import { AgentPolicyRuntime, loadPolicyFile, parsePolicyBytes } from './runtime/policy-runtime.ts';

/**
 * `--model PATH|random|scripted` as a source of per-slot `DecisionPolicy`s. What an agent process
 * needs before it connects (the view to ask for, a FLOPs check) is known at load; the policy for
 * a slot is built once the server says which agent the slot is. Nothing here imports tfjs.
 */
export type PolicySource = {
  /** 'student' / 'teacher' (a policy file's role), 'scripted', 'random'. */
  readonly label: string;
  readonly kind: 'file' | 'scripted' | 'random';
  /** The view to claim: a single view, views by agent name (policy files), or neither (default student view). */
  readonly view?: ViewSpec;
  readonly viewByAgent?: Record<string, ViewSpec>;
  /** The policy file's scenario, checked against the server's. */
  readonly scenario?: string;
  /** Actions are samples of the policy (`--sample`), not its greedy choice; pushed weights keep it. */
  readonly sample?: boolean;
  forSlot(info: SlotInfo, welcome: WelcomeMessage): Promise<DecisionPolicy>;
};

/** A policy that can say its masked action distribution (policy files: the net's softmax), for inspection. */
export type DistributionPolicy = DecisionPolicy & {
  /** Masked softmax for this observation, in a buffer the policy owns (read it before the next call). */
  probabilities(observation: Float32Array, mask: Uint8Array): Float32Array;
};

export function hasDistribution(policy: DecisionPolicy): policy is DistributionPolicy {
  return typeof (policy as Partial<DistributionPolicy>).probabilities === 'function';
}

export class CapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CapError';
  }
}

export type SourceOptions = {
  /** FLOPs cap per decision: a policy over it is refused. */
  flopsCap?: number;
  /** Sample from the policy instead of acting greedily. */
  sample?: boolean;
  /**
   * A clause explaining why a net's input size differs from its slot's (server/robots/lidar-mismatch.ts
   * for robots: the lidar sizes). Agent processes go without: it needs the scenario registry.
   */
  inputMismatchNote?: (net: { scenario: string; agent: string; view: ViewSpec; inputSize: number }, world: { scenario: string; labels: readonly string[] }) => string;
};

export async function loadPolicySource(model: string, options: SourceOptions = {}): Promise<PolicySource> {
  if (model === 'random') return randomSource();
  if (model === 'scripted') return scriptedSource();
  if (!existsSync(model)) throw new Error(`--model: '${model}' is not 'random', 'scripted' or an existing policy file`);
  return fileSource(loadPolicyFile(model), model, options);
}

/** A policy file's bytes (pushed weights) as a source, with the same checks as a file on disk. */
export function policyBytesSource(bytes: Uint8Array, options: SourceOptions = {}): PolicySource {
  return fileSource(parsePolicyBytes(bytes, 'pushed weights'), 'pushed weights', options);
}

function fileSource(file: PolicyFile, where: string, options: SourceOptions): PolicySource {
  const cap = options.flopsCap;
  if (cap !== undefined) {
    // Refuse at load when no agent of the file fits; the slot's own net is checked once it is known.
    const fits = Object.keys(file.agents).filter((agent) => new AgentPolicyRuntime(file, agent).flops <= cap);
    if (fits.length === 0) {
      const smallest = Math.min(...Object.keys(file.agents).map((agent) => new AgentPolicyRuntime(file, agent).flops));
      throw new CapError(`${where}: every net needs more than the FLOPs cap (${smallest} > ${cap} FLOPs per decision)`);
    }
  }
  const viewByAgent: Record<string, ViewSpec> = {};
  for (const [agent, spec] of Object.entries(file.agents)) viewByAgent[agent] = spec.view;
  return {
    label: file.role,
    kind: 'file',
    sample: options.sample === true,
    viewByAgent,
    scenario: file.scenario,
    async forSlot(info, welcome) {
      if (file.scenario !== welcome.scenario && !welcome.scenario.startsWith(`${file.scenario}_`)) {
        throw new Error(`${where}: policy for scenario '${file.scenario}', the server runs '${welcome.scenario}'`);
      }
      const runtime = new AgentPolicyRuntime(file, info.agent);
      if (cap !== undefined && runtime.flops > cap) {
        throw new CapError(`${where}: the net for ${info.agent} needs ${runtime.flops} FLOPs per decision, over the cap of ${cap}`);
      }
      if (runtime.observationSize !== info.observationSize) {
        const net = { scenario: file.scenario, agent: info.agent, view: file.agents[info.agent].view, inputSize: runtime.observationSize };
        const readings = lidarReadings(info.labels ?? []);
        const lidar = options.inputMismatchNote?.(net, { scenario: welcome.scenario, labels: info.labels ?? [] }) || (readings > 0 ? ` (${readings} of them lidar readings)` : '');
        throw new Error(`${where}: the net for ${info.agent} takes ${runtime.observationSize} observation values, slot ${info.slot} sends ${info.observationSize}${lidar}`);
      }
      if (runtime.actionCount !== info.actionCount) {
        throw new Error(`${where}: the net for ${info.agent} has ${runtime.actionCount} actions, slot ${info.slot} has ${info.actionCount}`);
      }
      const sample = options.sample === true;
      const policy: DistributionPolicy = {
        label: file.role,
        flops: runtime.flops,
        observationSize: runtime.observationSize,
        decide: sample ? (obs, mask, u) => runtime.actSample(obs, mask, u) : (obs, mask) => runtime.actGreedy(obs, mask),
        probabilities: (obs, mask) => runtime.probabilities(obs, mask),
        reset: () => runtime.reset(),
      };
      return policy;
    },
  };
}

function randomSource(): PolicySource {
  return {
    label: 'random',
    kind: 'random',
    async forSlot(info) {
      return randomPolicy(info.observationSize);
    },
  };
}

type ScriptedModule = { scriptedPolicy?: (sim: Simulation, agent: number) => Promise<DecisionPolicy> | DecisionPolicy };

/** The scripted baselines read the agent's full view, so a scripted slot claims the full view. */
function scriptedSource(): PolicySource {
  return {
    label: 'scripted',
    kind: 'scripted',
    view: {},
    async forSlot(info, welcome) {
      let mod: ScriptedModule;
      try {
        mod = (await import('./baselines/scripted.ts')) as ScriptedModule;
      } catch (error) {
        throw new Error(`--model scripted: no scripted baselines available (agents/baselines/scripted.ts: ${(error as Error).message})`);
      }
      if (typeof mod.scriptedPolicy !== 'function') throw new Error('--model scripted: agents/baselines/scripted.ts does not export scriptedPolicy(sim, agent)');
      const policy = info.layout.some((b) => b.name === 'enemies') ? await smacScripted(info) : await mod.scriptedPolicy(simulationShape(info, welcome), info.slot);
      if (policy.observationSize !== info.observationSize) {
        throw new Error(`--model scripted: the heuristic for ${info.agent} reads ${policy.observationSize} values, the slot sends ${info.observationSize}`);
      }
      return policy;
    },
  };
}

type SmacModule = { smacHeuristic?: (observationSize: number, info: { blocks: SlotInfo['layout'] }) => DecisionPolicy };

/** SMAC-style slots: the SMAC heuristic, given the layout so it can find every block. */
async function smacScripted(info: SlotInfo): Promise<DecisionPolicy> {
  let mod: SmacModule;
  try {
    mod = (await import('./baselines/smac-heuristic.ts')) as SmacModule;
  } catch (error) {
    throw new Error(`--model scripted: no SMAC heuristic available (agents/baselines/smac-heuristic.ts: ${(error as Error).message})`);
  }
  if (typeof mod.smacHeuristic !== 'function') throw new Error('--model scripted: agents/baselines/smac-heuristic.ts does not export smacHeuristic');
  return mod.smacHeuristic(info.observationSize, { blocks: info.layout });
}

/**
 * The scripted baselines pick a heuristic from the agent's names, entities and layout; the agent
 * process has those from the welcome and never builds a simulator (it stays small and fast to start).
 */
function simulationShape(info: SlotInfo, welcome: WelcomeMessage): Simulation {
  const layouts: ObservationLayout[] = [];
  let size = 0;
  const offsets: number[] = [];
  for (const block of info.layout) {
    offsets.push(size);
    size += block.rows * block.features.length;
  }
  layouts[info.slot] = { blocks: info.layout, offsets, size };
  const shape: Pick<Simulation, 'agentNames' | 'entities' | 'layouts' | 'actionCounts' | 'rotations'> = {
    agentNames: welcome.agentNames,
    entities: welcome.entities,
    layouts,
    actionCounts: welcome.actionCounts,
    // Only robot worlds have rotations; the robot heuristics tell a robot world from MPE by them.
    ...(welcome.family === 'robots' ? { rotations: new Float32Array(welcome.entities.length) } : {}),
  };
  return shape as Simulation;
}
