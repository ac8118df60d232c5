import { z } from 'zod';
import { viewSpecSchema } from '../../shared/view-spec.ts';

/** Fields every scenario file has, whatever its family. */
export const scenarioBaseShape = {
  /** Unique name, used as `--scenario NAME`. */
  name: z.string().regex(/^[A-Za-z0-9_]+$/, 'letters, digits and _ only'),
  description: z.string().default(''),
  /** Episode length in env steps (MPE max_cycles, SMAC episode limit). */
  maxSteps: z.number().int().positive(),
  /**
   * Default limited (student) views: `default` for every agent, then per agent name or per unit
   * type / role. Student profiles may override them.
   */
  studentViews: z
    .strictObject({
      default: viewSpecSchema.optional(),
      byAgent: z.record(z.string(), viewSpecSchema).optional(),
      byType: z.record(z.string(), viewSpecSchema).optional(),
    })
    .optional(),
};
