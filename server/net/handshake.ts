import { CLOSE_CODES, PROTOCOL_VERSION, ROLES, SUPERVISOR_PATH } from '../../shared/protocol.ts';
import type { SlotInfo, WelcomeMessage } from '../../shared/handshake-protocol.ts';
import { describeZodError } from '../../shared/zod-error.ts';
import type { ServerClient } from './client.ts';
import type { Hello } from '../../shared/handshake-protocol.ts';
import { helloSchema } from './protocol-schemas.ts';
import type { Room } from './room.ts';

export type Refusal = { code: number; reason: string };

/** A client's first frame: a hello of our protocol version, valid, for a role that connects at this path. */
export function readHello(client: ServerClient, value: unknown): Hello | Refusal {
  if (typeof value !== 'object' || value === null || (value as { kind?: unknown }).kind !== 'hello') {
    return { code: CLOSE_CODES.badMessage, reason: 'the first message must be a hello' };
  }
  const version = (value as { version?: unknown }).version;
  if (version !== PROTOCOL_VERSION) {
    return { code: CLOSE_CODES.protocolVersion, reason: `protocol version ${typeof version === 'number' ? version : typeof version}, this server speaks ${PROTOCOL_VERSION}` };
  }
  const parsed = helloSchema.safeParse(value);
  if (!parsed.success) return { code: CLOSE_CODES.badMessage, reason: `bad hello: ${describeZodError(parsed.error)}` };
  const hello = parsed.data;
  if ((hello.role === ROLES.supervisor) !== (client.path === SUPERVISOR_PATH)) {
    return { code: CLOSE_CODES.wrongPath, reason: hello.role === ROLES.supervisor ? `supervisors connect at ${SUPERVISOR_PATH}` : `${hello.role}s connect at /` };
  }
  return hello;
}

export function isRefusal(value: Hello | Refusal): value is Refusal {
  return 'code' in value;
}

/** The answer to an accepted hello: the world as this role needs to know it. */
export function welcome(room: Room, role: WelcomeMessage['role'], slots: SlotInfo[], control: boolean): WelcomeMessage {
  const world = room.world;
  return {
    kind: 'welcome',
    version: PROTOCOL_VERSION,
    role,
    scenario: world.name,
    family: world.family,
    mode: room.mode,
    hz: room.mode === 'realtime' ? room.hz : 0,
    deadlineMs: room.defaultDeadlineMs,
    maxSteps: world.sim.maxSteps,
    dt: world.sim.dt,
    tick: world.tick,
    episode: world.episode,
    agentNames: [...world.sim.agentNames],
    entities: world.sim.entities.map((e) => ({ ...e })),
    stateSize: world.sim.stateSize,
    slots,
    teacherSizes: world.teacherViews.map((v) => v.size),
    studentSizes: world.studentViews.map((v) => v.size),
    actionCounts: [...world.sim.actionCounts],
    control,
  };
}

/** A message kind for an error reason, without rendering whatever a client put there. */
export function describeKind(kind: unknown): string {
  return typeof kind === 'string' ? kind.slice(0, 40) : typeof kind;
}
