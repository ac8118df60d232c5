import { Rng } from '../../shared/rng.ts';
import { smacFamily } from '../../server/smac/family.ts';
import type { SmacSimulation } from '../../server/smac/smac-simulation.ts';

/** A SMAC scenario from a partial file (validated by the family's schema), on the given physics. */
export function customBattle(fields: Record<string, unknown>, physics = 'matter'): SmacSimulation {
  const file = smacFamily.schema.parse({ name: 'custom', family: 'smac', maxSteps: 50, ...fields });
  return smacFamily.create(file, physics) as SmacSimulation;
}

/** Reset with a fixed seed, then place units by name. */
export function place(sim: SmacSimulation, positions: Record<string, [number, number]>, seed = 1): void {
  sim.reset(new Rng(seed));
  const entities: Record<string, { pos: [number, number] }> = {};
  for (const [name, pos] of Object.entries(positions)) entities[name] = { pos };
  sim.setInitialState({ entities });
}

export function stepOnce(sim: SmacSimulation, actions: number[]): number[] {
  const rewards = new Float32Array(actions.length);
  sim.step(Int32Array.from(actions), rewards);
  return [...rewards];
}

export function maskOf(sim: SmacSimulation, agent: number): number[] {
  const out = new Uint8Array(sim.actionCounts[agent]);
  sim.writeMask(agent, out, 0);
  return [...out];
}

/** Marines that never move: enemies that stay where a test puts them. */
export const STATIONARY = { units: { post: { base: 'marine', speed: 0 } } };
