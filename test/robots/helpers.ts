import { RawObservation } from '../../server/env/layout.ts';
import type { InitialState, Simulation } from '../../server/env/simulation.ts';
import { robotsFamily } from '../../server/robots/family.ts';
import { createSimulation, parseScenario, resolveScenario, type LoadedScenario } from '../../server/scenarios/registry.ts';
import { Rng } from '../../shared/rng.ts';

/** A built-in robot scenario, optionally with VMAS kwargs applied, reset with a seed and then placed by `init`. */
export function robotWorld(name: string, init?: InitialState, options: { kwargs?: Record<string, unknown>; physics?: string; seed?: number } = {}): Simulation {
  const builtin = resolveScenario(name);
  const loaded: LoadedScenario = options.kwargs ? { ...builtin, file: robotsFamily.applyKwargs!(builtin.file as never, options.kwargs) as never } : builtin;
  const sim = createSimulation(loaded, options.physics ? { physics: options.physics } : {});
  sim.reset(new Rng(options.seed ?? 1));
  if (init) sim.setInitialState(init);
  return sim;
}

/** One env step with the given actions; returns the rewards. */
export function stepWith(sim: Simulation, actions: readonly number[]): number[] {
  const rewards = new Float32Array(sim.agentNames.length);
  sim.step(Int32Array.from(actions), rewards);
  return Array.from(rewards);
}

export function observation(sim: Simulation, agent: number): Float32Array {
  const raw = new RawObservation(sim.layouts[agent]);
  sim.observe(agent, raw);
  return raw.values;
}

export function position(sim: Simulation, name: string): [number, number] {
  const e = sim.entities.findIndex((x) => x.name === name);
  if (e < 0) throw new Error(`no entity ${name}`);
  return [sim.positions[2 * e], sim.positions[2 * e + 1]];
}

export function distance(a: readonly [number, number], b: readonly [number, number]): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}

/** VMAS action indices: x part a // 3, y part a % 3; 0 none, 1 minus, 2 plus. */
export const ACT = { none: 0, down: 1, up: 2, left: 3, right: 6, rightUp: 8 } as const;

/** The error a scenario file gets, parsing and building it (one line, no stack). */
export function errorOf(json: unknown): string {
  try {
    createSimulation(parseScenario(json, 'bad.json'));
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the scenario to be refused');
}
