import type { ScenarioFamily } from '../scenarios/family.ts';
import { SMAC_PHYSICS_MODES, smacScenarioSchema, type SmacPhysics, type SmacScenarioFile } from './schema.ts';
import { SmacSimulation } from './smac-simulation.ts';

/** The SMAC-style battles (3m, 8m, 2s3z, 3s5z, MMM, 5m_vs_6m, 3s_vs_5z, or any map file). */
export const smacFamily: ScenarioFamily<SmacScenarioFile> = {
  name: 'smac',
  schema: smacScenarioSchema,
  physicsModes: SMAC_PHYSICS_MODES,
  create: (file, physics) => new SmacSimulation(file, physics as SmacPhysics),
};
