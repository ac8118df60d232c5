import type { PolicyFile } from '../../shared/model-format.ts';
import { Rng, deriveSeed } from '../../shared/rng.ts';
import { evaluate } from '../eval/evaluate.ts';
import { policyFileAgents } from '../eval/policies.ts';
import { createSimulation, resolveScenario } from '../../server/scenarios/registry.ts';
import type { ExportAgent } from './export-agent.ts';

/** Observations one agent meets, in order, with its masks and where episodes start (recurrent nets reset there). */
export type ObservationSample = {
  count: number;
  observations: Float32Array;
  masks: Uint8Array;
  episodeStarts: Uint8Array;
  /** Where they come from, for reports. */
  source: string;
};

/**
 * `count` observations of `agent`: from greedy episodes of the policy itself on its scenario
 * (episode k from deriveSeed(seed, k)), so they are the inputs the exports will meet; random
 * normal inputs with all actions allowed when the scenario is not one this kdmarl knows.
 */
export function sampleObservations(file: PolicyFile, agent: ExportAgent, count: number, seed: number): ObservationSample {
  const obs = agent.observationSize;
  const sample: ObservationSample = { count, observations: new Float32Array(count * obs), masks: new Uint8Array(count * agent.actionCount), episodeStarts: new Uint8Array(count), source: '' };
  let scenario;
  try {
    scenario = resolveScenario(file.scenario);
  } catch {
    return randomSample(sample, obs, seed, `random normal observations (scenario '${file.scenario}' is not known here), random masks, seed ${seed}`);
  }
  const sim = createSimulation(scenario);
  const loaded = policyFileAgents(file, sim, scenario.file.name, 'export');
  const index = sim.agentNames.indexOf(agent.agent);
  let n = 0;
  let episode = 0;
  while (n < count) {
    const agents = loaded.agents.map((a, i) => {
      if (i !== index) return a;
      const inner = a.policy;
      let first = true;
      return {
        ...a,
        policy: {
          ...inner,
          reset: () => inner.reset?.(),
          decide: (o: Float32Array, m: Uint8Array, u: number) => {
            if (n < count) {
              sample.observations.set(o, n * obs);
              sample.masks.set(m, n * agent.actionCount);
              sample.episodeStarts[n] = first ? 1 : 0;
              n++;
            }
            first = false;
            return inner.decide(o, m, u);
          },
        },
      };
    });
    evaluate(scenario, agents, { episodes: 1, seed: deriveSeed(seed, episode++) });
  }
  sample.source = `${count} observations of ${agent.agent} from ${episode} greedy episode(s) of this policy on '${file.scenario}', episode k from deriveSeed(${seed}, k)`;
  return sample;
}

function randomSample(sample: ObservationSample, obs: number, seed: number, source: string): ObservationSample {
  const rng = new Rng(seed);
  for (let i = 0; i < sample.observations.length; i++) sample.observations[i] = rng.normal();
  // Random masks (each action allowed with probability 3/4) so that masked decisions are exercised too.
  for (let i = 0; i < sample.masks.length; i++) sample.masks[i] = rng.uniform() < 0.75 ? 1 : 0;
  // Episodes of 50 steps, so recurrent exports are checked across resets too.
  for (let k = 0; k < sample.count; k += 50) sample.episodeStarts[k] = 1;
  return { ...sample, source };
}
