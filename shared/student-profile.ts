import { z } from 'zod';
import { viewSpecSchema, type ViewSpec } from './view-spec.ts';
import { mlpFlops } from './flops.ts';

/**
 * A student profile says, per agent, what the student sees (its view), how big it is, and the
 * compute cap of the process that will run it. It is resolved per agent: `byAgent` over `byType`
 * over `default`. Used by `kdmarl distill` (sizes, views), `kdmarl up` and `kdmarl agent` (caps).
 */
export const capsSchema = z.strictObject({
  /** Max FLOPs per decision; a model over it is refused at load. */
  flops: z.number().int().positive().optional(),
  /** Ms the server waits for this agent's action each tick before using the default action. */
  deadlineMs: z.number().positive().max(60_000).optional(),
  /** Fraction of a core: replies are delayed to measured_compute / cpu. */
  cpu: z.number().positive().max(1).optional(),
  /** Heap cap (MB) plus an RSS watchdog for the agent process. */
  memoryMb: z.number().int().min(16).max(65_536).optional(),
});
export type Caps = z.infer<typeof capsSchema>;

const studentSpecSchema = z.strictObject({
  /** The student's view; absent: the scenario's default student view for that agent. */
  view: viewSpecSchema.optional(),
  /** Hidden layer widths, or 'auto' for the capacity rule (docs/method.md §4). */
  hidden: z.union([z.literal('auto'), z.array(z.number().int().min(1).max(4096)).max(4)]).optional(),
  /** Hidden layers used by the capacity rule (1 or 2). */
  layers: z.number().int().min(1).max(2).optional(),
  caps: capsSchema.optional(),
});
export type StudentSpec = z.infer<typeof studentSpecSchema>;

export const studentProfileSchema = z.strictObject({
  /** The scenario this profile is for; distilling with another scenario is refused. */
  scenario: z.string(),
  description: z.string().default(''),
  default: studentSpecSchema.default({}),
  byType: z.record(z.string(), studentSpecSchema).default({}),
  byAgent: z.record(z.string(), studentSpecSchema).default({}),
});
export type StudentProfile = z.infer<typeof studentProfileSchema>;

export type ResolvedStudent = {
  agent: string;
  type: string;
  /** null: use the scenario's default student view. */
  view: ViewSpec | null;
  hidden: 'auto' | number[];
  layers: number;
  caps: Caps;
};

/** Merge the profile's entries for one agent: byAgent over byType over default, field by field. */
export function resolveStudent(profile: StudentProfile, agent: string, type: string): ResolvedStudent {
  const layers = [profile.default, profile.byType[type] ?? {}, profile.byAgent[agent] ?? {}];
  const pick = <K extends keyof StudentSpec>(key: K): StudentSpec[K] => {
    let value: StudentSpec[K] = undefined;
    for (const layer of layers) if (layer[key] !== undefined) value = layer[key];
    return value;
  };
  const caps: Caps = {};
  for (const layer of layers) Object.assign(caps, layer.caps ?? {});
  return { agent, type, view: pick('view') ?? null, hidden: pick('hidden') ?? 'auto', layers: pick('layers') ?? 1, caps };
}

/** The smallest power of two >= x. */
export function nextPow2(x: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, x)));
}

/**
 * The capacity rule (docs/method.md §4): width h = clamp(nextPow2(obsDim / 2), 8, 64) for one or two hidden
 * layers, then halved until the actor fits the FLOPs cap. Throws when even the narrowest student
 * (width 1) does not fit, so an impossible profile fails before training starts.
 */
export function capacityRule(observationSize: number, actionCount: number, layers: number, flopsCap?: number): number[] {
  let width = Math.min(64, Math.max(8, nextPow2(observationSize / 2)));
  const sizes = (w: number) => [observationSize, ...Array.from({ length: layers }, () => w), actionCount];
  while (flopsCap !== undefined && mlpFlops(sizes(width)) > flopsCap && width > 1) width = Math.floor(width / 2);
  if (flopsCap !== undefined && mlpFlops(sizes(width)) > flopsCap) {
    throw new Error(`no student with ${layers} hidden layer(s) fits ${flopsCap} FLOPs for ${observationSize} inputs and ${actionCount} actions (the smallest needs ${mlpFlops(sizes(width))})`);
  }
  return Array.from({ length: layers }, () => width);
}
