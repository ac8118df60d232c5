import { Rng, deriveSeed } from '../../shared/rng.ts';
import type { ViewSpec } from '../../shared/view-spec.ts';
import type { DecisionPolicy } from '../baselines/decision-policy.ts';
import { AgentIO } from '../../server/env/agent-io.ts';
import { EnvCore } from '../../server/env/env-core.ts';
import { createSimulation, type LoadedScenario } from '../../server/scenarios/registry.ts';
import type { Simulation } from '../../server/env/simulation.ts';
import { summarizeEpisodes, type EpisodeOutcome, type EvalSummary } from './metrics.ts';

/** What plays one agent in an evaluation: a decision policy and the view it observes through. */
export type EvalAgent = { policy: DecisionPolicy; view?: ViewSpec };

export type EvaluateOptions = {
  episodes: number;
  seed: number;
  /** Pick the argmax of stochastic policies (they ignore `u`): callers build greedy policies. */
  physics?: string;
  /** Called after each episode (progress output), with the simulation as the episode left it. */
  onEpisode?: (index: number, outcome: EpisodeOutcome, sim: Simulation) => void;
  /** A second set of agents deciding on every step beside the evaluated ones (kdmarl handover). */
  overseer?: Overseer;
};

/**
 * Another policy for every agent (through its own views), asked on every step; `choose` picks
 * which of the two actions is applied. It answers "which decisions cost the wins": let a teacher
 * take over one phase of a student's episodes and see how much of the gap closes.
 */
export type Overseer = {
  agents: readonly EvalAgent[];
  choose: (agent: number, own: number, overseer: number, mask: Uint8Array) => number;
};

export type EvaluationResult = EvalSummary & { outcomes: EpisodeOutcome[] };

/**
 * The one evaluation routine: episode i is reset from `deriveSeed(seed, i)`, so every policy
 * meets the same list of starts, and every policy (and overseer) is `reset()` before it. Each agent acts through its own view; dead agents are given their
 * mask's only action by the policy itself. Episodes run to termination or the step limit
 * (timeout = loss).
 */
export function evaluate(scenario: string | LoadedScenario, agents: readonly EvalAgent[], options: EvaluateOptions): EvaluationResult {
  const sim = createSimulation(scenario, options.physics ? { physics: options.physics } : {});
  const n = sim.agentNames.length;
  if (agents.length !== n) throw new Error(`evaluate: ${agents.length} policies for ${n} agents (${sim.agentNames.join(', ')})`);
  const core = new EnvCore(sim, { views: agents.map((a) => a.view) });
  const io = core.io;
  agents.forEach((a, i) => {
    if (a.policy.observationSize !== io.views[i].size) {
      throw new Error(`evaluate: ${sim.agentNames[i]}'s policy expects ${a.policy.observationSize} observation values, its view gives ${io.views[i].size}`);
    }
  });
  // Privileged baselines read this simulation's state, not the one they were built on.
  for (const a of agents) a.policy.attach?.(sim);
  if (options.overseer) for (const a of options.overseer.agents) a.policy.attach?.(sim);
  const observations = io.views.map((v) => new Float32Array(v.size));
  const overseer = options.overseer ? { ...options.overseer, io: new AgentIO(sim, options.overseer.agents.map((a) => a.view)) } : null;
  const overseerObservations = overseer ? overseer.io.views.map((v) => new Float32Array(v.size)) : [];
  const outcomes: EpisodeOutcome[] = [];
  for (let episode = 0; episode < options.episodes; episode++) {
    const episodeSeed = deriveSeed(options.seed, episode);
    // A separate stream for stochastic baselines, so the env's draws do not depend on the policy.
    const decisionRng = new Rng(deriveSeed(episodeSeed, 0x5eed));
    // The overseer draws from its own stream, so asking it leaves the evaluated agents' draws as they were.
    const overseerRng = new Rng(deriveSeed(episodeSeed, 0x0bee));
    core.reset(episodeSeed);
    // Recurrent policies start each episode from a zero state, as in training.
    for (const a of agents) a.policy.reset?.();
    if (overseer) for (const a of overseer.agents) a.policy.reset?.();
    do {
      for (let a = 0; a < n; a++) {
        io.writeObservation(a, observations[a], 0);
        const count = sim.actionCounts[a];
        const mask = io.masks.subarray(io.maskOffsets[a], io.maskOffsets[a] + count);
        let action = agents[a].policy.decide(observations[a], mask, decisionRng.uniform());
        if (overseer) {
          overseer.io.writeObservation(a, overseerObservations[a], 0);
          action = overseer.choose(a, action, overseer.agents[a].policy.decide(overseerObservations[a], mask, overseerRng.uniform()), mask);
        }
        core.setAction(a, action, 'lenient');
      }
    } while (!core.step());
    const end = core.episodeEnd();
    const outcome: EpisodeOutcome = { teamReturn: end.teamReturn, length: end.length, won: end.won, ...end.metrics };
    outcomes.push(outcome);
    options.onEpisode?.(episode, outcome, sim);
  }
  return { ...summarizeEpisodes(outcomes), outcomes };
}
