import { z } from 'zod';

/**
 * A limited (student) view of an agent's observation. Empty means the full (teacher) view.
 * Blocks and features are named by the scenario's layout (see `kdmarl scenarios --json`).
 */
export const viewSpecSchema = z
  .strictObject({
    /** Rows of spatial blocks farther than this are zeroed (or not chosen by `nearest`). */
    sight: z.number().positive().optional(),
    /** Keep only the k nearest visible rows of these spatial blocks, nearest first, zero-padded. */
    nearest: z.record(z.string(), z.number().int().nonnegative()).optional(),
    /** Blocks to keep, in layout order; all when absent. */
    blocks: z.array(z.string()).optional(),
    /** Feature subset per block, in layout order; all features when a block is absent here. */
    features: z.record(z.string(), z.array(z.string()).min(1)).optional(),
  })
  .describe('an observation view');

export type ViewSpec = z.infer<typeof viewSpecSchema>;

export const FULL_VIEW: ViewSpec = Object.freeze({});
