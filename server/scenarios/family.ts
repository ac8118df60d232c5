import type { z } from 'zod';
import type { Simulation } from '../env/simulation.ts';

/**
 * A scenario family turns a validated scenario file into a simulation. `mpe` covers the
 * PettingZoo/MPE2 scenarios, `smac` the SMAC-style battles. A family owns the schema of its
 * family-specific fields; the common fields are in `schema.ts`.
 */
export type ScenarioFamily<File extends { physics: string }> = {
  readonly name: string;
  readonly schema: z.ZodType<File>;
  /** Physics modes this family supports; the first is the default. */
  readonly physicsModes: readonly string[];
  create(file: File, physics: string): Simulation;
  /**
   * The file with parameters applied under the reference implementation's names (rollout's
   * `scenario_kwargs`), validated again; families without such parameters leave it out.
   */
  applyKwargs?(file: File, kwargs: Record<string, unknown>): File;
};
