import { z } from 'zod';
import { LIMITS, ROLES, type ResetMessage } from '../../shared/protocol.ts';
import { CONTROL_ACTIONS, type AgentReport, type ControlMessage, type InspectMessage, type OverlaysMessage, type WeightsAck, type WeightsMessage } from '../../shared/session-messages.ts';
import type { Hello, SlotClaim } from '../../shared/handshake-protocol.ts';
import { capsSchema } from '../../shared/student-profile.ts';
import { viewSpecSchema } from '../../shared/view-spec.ts';

/**
 * What the server accepts from clients, checked with zod. The message types themselves live in
 * shared/protocol.ts and its siblings (the clients use them without zod); the `Agrees` lines below
 * fail to compile when a schema and its type drift apart.
 */

const slotClaimSchema = z.strictObject({
  slot: z.number().int().min(0).max(65_535),
  token: z.string().min(1).max(256),
  caps: capsSchema.default({}),
  view: viewSpecSchema.optional(),
  viewByAgent: z.record(z.string(), viewSpecSchema).optional(),
  policy: z.string().max(64).default('unknown'),
  sample: z.boolean().optional(),
});

export const helloSchema = z.discriminatedUnion('role', [
  z.strictObject({
    kind: z.literal('hello'),
    version: z.number(),
    role: z.literal(ROLES.agent),
    slots: z.array(slotClaimSchema).min(1).max(LIMITS.maxSlotsPerConnection),
    viewByAgent: z.record(z.string(), viewSpecSchema).optional(),
    pid: z.number().int().optional(),
  }),
  z.strictObject({
    kind: z.literal('hello'),
    version: z.number(),
    role: z.literal(ROLES.spectator),
    token: z.string().max(256).optional(),
    rate: z.number().optional(),
  }),
  z.strictObject({
    kind: z.literal('hello'),
    version: z.number(),
    role: z.literal(ROLES.supervisor),
    token: z.string().min(1).max(256),
    teacherObservations: z.boolean().default(true),
  }),
  z.strictObject({
    kind: z.literal('hello'),
    version: z.number(),
    role: z.literal(ROLES.controller),
    token: z.string().min(1).max(256),
  }),
]);

export const resetSchema = z.strictObject({ kind: z.literal('reset'), seed: z.number().int().min(0).max(0xffffffff).optional() });

export const agentReportSchema = z.strictObject({
  kind: z.literal('report'),
  slots: z
    .array(
      z.strictObject({
        slot: z.number().int().min(0),
        decideMs: z.number().min(0).max(1e6),
        replyMs: z.number().min(0).max(1e6),
        flops: z.number().min(0),
        decisions: z.number().int().min(0),
      }),
    )
    .max(LIMITS.maxSlotsPerConnection),
  rssMb: z.number().min(0),
  heapMb: z.number().min(0),
  generation: z.number().int().min(0).default(0),
  enforcement: z.strictObject({ cpu: z.enum(['cgroup-v1', 'cgroup-v2', 'emulated']).optional(), memory: z.enum(['cgroup-v1', 'cgroup-v2', 'emulated']).optional() }).optional(),
});

export const controlSchema = z.strictObject({
  kind: z.literal('control'),
  token: z.string().max(256),
  action: z.enum(CONTROL_ACTIONS),
  value: z.union([z.number(), z.string().max(256)]).optional(),
  hz: z.number().min(0).max(1000).optional(),
});

export const inspectSchema = z.strictObject({ kind: z.literal('inspect'), agent: z.number().int().min(0) });

export const overlaysSchema = z.strictObject({ kind: z.literal('overlays'), graph: z.boolean(), roles: z.boolean(), lidar: z.boolean().optional() });

export const weightsSchema = z.strictObject({
  kind: z.literal('weights'),
  policy: z.instanceof(Uint8Array),
  slots: z.array(z.number().int().min(0)).optional(),
});

export const weightsAckSchema = z.strictObject({
  kind: z.literal('weights-ack'),
  id: z.number().int(),
  ok: z.boolean(),
  error: z.string().max(2000).optional(),
  generation: z.number().int().min(0),
});

/** True when a schema's parsed output and the shared type are the same shape (both ways). */
type Agrees<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const agreements: [
  Agrees<z.output<typeof slotClaimSchema>, SlotClaim>,
  Agrees<z.output<typeof helloSchema>, Hello>,
  Agrees<z.output<typeof agentReportSchema>, AgentReport>,
  Agrees<z.output<typeof controlSchema>, ControlMessage>,
  Agrees<z.output<typeof inspectSchema>, InspectMessage>,
  Agrees<z.output<typeof overlaysSchema>, OverlaysMessage>,
  Agrees<z.output<typeof resetSchema>, ResetMessage>,
  // zod types the bytes as Uint8Array<ArrayBuffer>, a narrower Uint8Array: one way is enough.
  [z.output<typeof weightsSchema>] extends [WeightsMessage] ? true : false,
  Agrees<z.output<typeof weightsAckSchema>, Omit<WeightsAck, 'slots'>>,
] = [true, true, true, true, true, true, true, true, true];
void agreements;
