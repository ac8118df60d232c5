import type { Simulation } from '../../server/env/simulation.ts';
import type { DecisionPolicy } from './decision-policy.ts';
import { smacHeuristic } from './smac-heuristic.ts';
import { robotHeuristic } from './robot-heuristic.ts';
import { listenerHeuristic, referenceHeuristic, speakerHeuristic, spreadHeuristic, tagChaserHeuristic, tagRunnerHeuristic } from './mpe-heuristic.ts';

/**
 * The scripted baseline for one agent of a scenario, reading the agent's full (teacher) view.
 * Scenarios are recognised by their agents' types and layouts, so user-made variants (8-agent
 * spread, bigger tag) get a heuristic too.
 */
export function scriptedPolicy(sim: Simulation, agent: number): DecisionPolicy {
  const name = sim.agentNames[agent];
  const type = sim.entities.find((e) => e.name === name)?.type ?? 'agent';
  const blocks = sim.layouts[agent].blocks;
  const rows = (block: string) => blocks.find((b) => b.name === block)?.rows ?? 0;
  const robot = robotHeuristic(sim, agent);
  if (robot) return robot;
  if (blocks.some((b) => b.name === 'enemies')) return smacHeuristic(sim.layouts[agent].size, { blocks });
  if (type === 'speaker') return speakerHeuristic();
  if (type === 'listener') return listenerHeuristic();
  if (type === 'adversary' || type === 'good') {
    const numObstacles = rows('obstacles');
    const numGood = sim.entities.filter((e) => e.type === 'good').length;
    const numAdversaries = sim.entities.filter((e) => e.type === 'adversary').length;
    return type === 'adversary' ? tagChaserHeuristic(numAdversaries, numObstacles, numGood) : tagRunnerHeuristic(numAdversaries, numObstacles, numGood);
  }
  if (blocks.some((b) => b.name === 'goal')) return referenceHeuristic();
  if (blocks.some((b) => b.name === 'landmarks') && blocks.some((b) => b.name === 'agents')) return spreadHeuristic(rows('landmarks'));
  throw new Error(`no scripted policy for agent ${name} (type ${type}); use a model or 'random'`);
}

/** Scripted policies for every agent of a scenario (the shape `kdmarl eval --policy scripted` loads). */
export function scriptedPolicies(_scenario: string, sim: Simulation): DecisionPolicy[] {
  return sim.agentNames.map((_, i) => scriptedPolicy(sim, i));
}
