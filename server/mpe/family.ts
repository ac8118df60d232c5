import { z } from 'zod';
import type { ScenarioFamily } from '../scenarios/family.ts';
import { scenarioBaseShape } from '../scenarios/schema.ts';
import type { Simulation } from '../env/simulation.ts';
import { SpreadSimulation } from './spread.ts';
import { SpeakerListenerSimulation } from './speaker-listener.ts';
import { TagSimulation } from './tag.ts';
import { ReferenceSimulation } from './reference.ts';
import type { MpePhysics } from './mpe-simulation.ts';

const PHYSICS_MODES = ['mpe', 'matter'] as const;

const common = {
  ...scenarioBaseShape,
  family: z.literal('mpe'),
  /** 'mpe' reproduces MPE2's point-mass integrator exactly; 'matter' runs the same forces on matter-js. */
  physics: z.enum(PHYSICS_MODES).default('mpe'),
};

const spreadSchema = z.strictObject({
  ...common,
  kind: z.literal('spread'),
  params: z
    .strictObject({
      /** N agents and N landmarks. */
      numAgents: z.number().int().min(2).max(256).default(3),
      /** Weight of the local (collision) reward against the global (coverage) reward. */
      localRatio: z.number().min(0).max(1).default(0.5),
      /** The agents' mass (PettingZoo's 1); a changed world makes them heavier. */
      agentMass: z.number().finite().positive().default(1),
    })
    .default({ numAgents: 3, localRatio: 0.5, agentMass: 1 }),
});

const speakerListenerSchema = z.strictObject({
  ...common,
  kind: z.literal('speaker_listener'),
  params: z.strictObject({}).default({}),
});

const referenceSchema = z.strictObject({
  ...common,
  kind: z.literal('reference'),
  params: z.strictObject({ localRatio: z.number().min(0).max(1).default(0.5) }).default({ localRatio: 0.5 }),
});

const tagSchema = z.strictObject({
  ...common,
  kind: z.literal('tag'),
  params: z
    .strictObject({
      numGood: z.number().int().min(1).max(64).default(1),
      numAdversaries: z.number().int().min(1).max(64).default(3),
      numObstacles: z.number().int().min(0).max(64).default(2),
      /** 'policy': good agents are agents too (PettingZoo); 'scripted': they flee by a fixed rule. */
      prey: z.enum(['policy', 'scripted']).default('policy'),
    })
    .default({ numGood: 1, numAdversaries: 3, numObstacles: 2, prey: 'policy' }),
});

export const mpeScenarioSchema = z.discriminatedUnion('kind', [spreadSchema, speakerListenerSchema, referenceSchema, tagSchema]);
export type MpeScenarioFile = z.infer<typeof mpeScenarioSchema>;

export function createMpeSimulation(file: MpeScenarioFile, physics: MpePhysics): Simulation {
  switch (file.kind) {
    case 'spread':
      return new SpreadSimulation({ ...file.params, maxSteps: file.maxSteps }, physics);
    case 'speaker_listener':
      return new SpeakerListenerSimulation({ maxSteps: file.maxSteps }, physics);
    case 'reference':
      return new ReferenceSimulation({ ...file.params, maxSteps: file.maxSteps }, physics);
    case 'tag':
      return new TagSimulation({ ...file.params, maxSteps: file.maxSteps }, physics);
  }
}

/** The PettingZoo/MPE2 scenarios, on MPE2's exact integrator or on matter-js. */
export const mpeFamily: ScenarioFamily<MpeScenarioFile> = {
  name: 'mpe',
  schema: mpeScenarioSchema,
  physicsModes: PHYSICS_MODES,
  create: (file, physics) => createMpeSimulation(file, physics as MpePhysics),
};
