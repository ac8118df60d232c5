/**
 * The wire protocol between the server and its clients (agent processes, the supervisor, the
 * viewer). One source of truth: every constant and message shape lives here. Frames are binary,
 * msgpack-encoded with `shared/codec.ts` (typed arrays stay typed arrays). The server checks
 * incoming messages against the zod schemas in server/net/protocol-schemas.ts, which must agree
 * with the types here; this file has no runtime dependencies, so the viewer bundles it as is.
 *
 * The spectator part (what the viewer renders and replay files hold) is in spectator-protocol.ts,
 * re-exported here; this file is the handshake, the per-tick frames, supervision and control.
 */
import type { EntityInfo } from './entity-info.ts';
import type { Caps } from './student-profile.ts';
import type { ViewSpec } from './view-spec.ts';

export type { EntityInfo } from './entity-info.ts';
export type { SceneMessage, SceneAgent, SnapshotMessage, LidarReading, ReplayHeader } from './spectator-protocol.ts';
export { REPLAY_FORMAT } from './spectator-protocol.ts';

export const PROTOCOL_VERSION = 1;

export const ROLES = { agent: 'agent', supervisor: 'supervisor', spectator: 'spectator', controller: 'controller' } as const;
export type Role = (typeof ROLES)[keyof typeof ROLES];


// ---------------------------------------------------------------------------------------------
// Network protocol (kdmarl serve / agent / up): handshakes, per-tick frames, control.
// ---------------------------------------------------------------------------------------------

/** Supervisors (teachers) connect here: the only path whose frames may carry a policy file. */
export const SUPERVISOR_PATH = '/supervisor';

/** Application close codes (4000-4999). A client closed with one of these gets a reason string too. */
export const CLOSE_CODES = {
  /** The server is shutting down. */
  serverShutdown: 4000,
  /** The hello's protocol version is not ours. */
  protocolVersion: 4001,
  /** A frame that is not msgpack. */
  badFrame: 4002,
  /** A msgpack value that is not a valid message for this role. */
  badMessage: 4003,
  /** Slot or control token does not match. */
  badToken: 4004,
  /** An action for a slot this client did not claim, or a slot that does not exist. */
  wrongSlot: 4005,
  /** Another connection claimed this slot with the right token (a reconnect took over). */
  slotReplaced: 4006,
  /** Too many messages per second. */
  rateLimit: 4007,
  /** A frame over this role's size limit. */
  tooLarge: 4008,
  /** No hello within the handshake timeout. */
  handshakeTimeout: 4009,
  /** The role may not send this (a spectator acting, an agent sending weights). */
  notAllowed: 4010,
  /** The scenario was switched: the slots and spaces changed, the launcher restarts agents. */
  scenarioChanged: 4011,
  /** An agent process refuses to run (its policy breaks a cap or does not fit the slot). */
  agentRefused: 4012,
  /** A role connected on a path that is not for it (a supervisor must use SUPERVISOR_PATH). */
  wrongPath: 4013,
} as const;
export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/** Close codes after which an agent must not reconnect: the same hello would fail again. */
export const FATAL_AGENT_CLOSE_CODES: readonly number[] = [
  CLOSE_CODES.protocolVersion,
  CLOSE_CODES.badMessage,
  CLOSE_CODES.badToken,
  CLOSE_CODES.wrongSlot,
  CLOSE_CODES.slotReplaced,
  CLOSE_CODES.notAllowed,
  CLOSE_CODES.scenarioChanged,
  CLOSE_CODES.agentRefused,
  CLOSE_CODES.serverShutdown,
];

export function closeCodeName(code: number): string {
  for (const [name, value] of Object.entries(CLOSE_CODES)) if (value === code) return name;
  return String(code);
}

/**
 * Size and rate limits. `maxPayload` is the ws hard limit per path; role limits close with
 * `tooLarge`. Until its hello is accepted a client may send `helloFrameBytes` on any path; the
 * role's own limit applies after that.
 */
export const LIMITS = {
  /** ws maxPayload on the main path (agents, spectators). */
  maxPayload: 256 * 1024,
  /** ws maxPayload on the supervisor path: an authenticated supervisor's frames (policy files). */
  supervisorMaxPayload: 16 * 1024 * 1024,
  /** Largest frame before the role is known and its token checked, on every path (an agent host's hello lists many slots). */
  helloFrameBytes: 64 * 1024,
  /** Largest frame a spectator may send after its hello (control, inspect). */
  spectatorFrameBytes: 4 * 1024,
  /** Largest frame an agent connection may send, per slot it holds (plus a fixed hello allowance). */
  agentFrameBytesPerSlot: 1024,
  agentFrameBytesBase: 16 * 1024,
  /** Token buckets: burst size and refill per second, per role. */
  spectatorRate: { burst: 200, perSecond: 100 },
  supervisorRate: { burst: 2000, perSecond: 2000 },
  /** Agents answer once per tick (plus reports): enough for ~50k ticks/s, not for a flood. */
  agentRate: { burst: 5000, perSecond: 50_000 },
  handshakeTimeoutMs: 5000,
  heartbeatMs: 10_000,
  /** Spectators: snapshot rate bounds (Hz) and the bufferedAmount above which a snapshot is skipped. */
  spectatorMaxHz: 60,
  spectatorDefaultHz: 20,
  spectatorBufferedBytes: 256 * 1024,
  /** Supervisors get every tick; above this backlog ticks are dropped and counted. */
  supervisorBufferedBytes: 64 * 1024 * 1024,
  maxSlotsPerConnection: 1024,
  /** Most msgpack values (scalars, strings, containers) in one frame: far above any real message, and a bound on decoding work. */
  maxFrameValues: 65_536,
} as const;

/** Hot per-tick frames are msgpack arrays whose first element is one of these tags. */
export const FRAME = {
  /** server -> agent: [FRAME.obs, tick, episode, t, observations Float32Array, masks Uint8Array] */
  obs: 1,
  /**
   * agent -> server: [FRAME.act, tick, actions Int16Array | number[], probabilities?]; -1 = no answer
   * for that slot yet. The optional 4th element (sent only while the server asked with a
   * ProbabilitiesRequest) is a Float32Array of every held slot's action distribution, concatenated
   * in hello order (each slot's actionCount values); a slot's part is read only where its action is not -1.
   */
  act: 2,
  /** server -> supervisor: see SupervisorStepFrame */
  step: 3,
  /** server -> controller: see ControllerResultFrame */
  result: 4,
} as const;

/** Observations and masks of every slot the connection holds, concatenated in hello order. */
export type ObservationFrame = [typeof FRAME.obs, number, number, number, Float32Array, Uint8Array];
export type ActionFrame = [typeof FRAME.act, number, Int16Array | number[]] | [typeof FRAME.act, number, Int16Array | number[], Float32Array];

/**
 * server -> agent: start (`on`) or stop sending action distributions in action frames. The server
 * asks only while a spectator inspects one of the connection's slots or shows the graph/role
 * overlays, so the hot path carries nothing extra otherwise. Agents that do not know it ignore it.
 */
export type ProbabilitiesRequest = { kind: 'probabilities'; on: boolean };

/**
 * What an action distribution is, by what runs the slot: a policy file's masked softmax, the
 * one-hot of a scripted heuristic's chosen action, or uniform over the allowed actions (random).
 */
export const PROBABILITY_KINDS = { softmax: 'softmax', oneHot: 'one-hot', uniform: 'uniform' } as const;
export type ProbabilityKind = (typeof PROBABILITY_KINDS)[keyof typeof PROBABILITY_KINDS];

/**
 * One env step for the supervisor: s_t, every agent's teacher and student observation o_t, masks,
 * the actions applied a_t (after fallbacks), rewards r_t, per-agent miss flags, and whether the
 * step ended the episode. Teacher views concatenated in agent order, student views likewise.
 */
export type SupervisorStepFrame = [
  typeof FRAME.step,
  /** tick */ number,
  /** episode */ number,
  /** t within the episode, before the step */ number,
  /** state */ Float32Array,
  /** teacher observations */ Float32Array,
  /** student observations */ Float32Array,
  /** masks */ Uint8Array,
  /** actions */ Int16Array,
  /** rewards */ Float32Array,
  /** 1 where the action was a fallback (late, missing, invalid) */ Uint8Array,
  /** 0 running, 1 terminated, 2 truncated */ number,
  /** won (terminated episodes) */ boolean,
];

/**
 * What a controller (a client supplying every slot's action: an env over the network) gets after
 * each step, before the next observation frame. `state` is after the step; when the step ended the
 * episode, `finalObservations` holds every agent's student observation after it (laid out like an
 * observation frame) and the next observation frame is the next episode's first.
 */
export type ControllerResultFrame = [
  typeof FRAME.result,
  /** tick */ number,
  /** episode */ number,
  /** t within the episode, before the step */ number,
  /** rewards */ Float32Array,
  /** 0 running, 1 terminated, 2 truncated */ number,
  /** won (terminated episodes) */ boolean,
  /** state after the step */ Float32Array,
  /** final observations (episode ends), else empty */ Float32Array,
  /** 1 where the controller's action was invalid and replaced by the fallback */ Uint8Array,
];

/** controller -> server: start a new episode, restarting the env's random stream from `seed` when given. */
export type ResetMessage = { kind: 'reset'; seed?: number };
/** server -> controller, after the reset episode's first observation frame (which carries `round`). */
export type ResetReply = { kind: 'reset'; round: number; state: Float32Array };

/** One slot an agent connection claims in its hello. */
export type SlotClaim = {
  slot: number;
  token: string;
  caps: Caps;
  /** The view this slot's policy was trained on; absent: the scenario's default student view. */
  view?: ViewSpec;
  /** Views by agent name (a policy file's table); the server picks the slot's agent. */
  viewByAgent?: Record<string, ViewSpec>;
  /** What runs the slot ('student', 'scripted', 'random'), for status lines. */
  policy: string;
};

/** The first frame of every connection; its role decides the path (supervisors at SUPERVISOR_PATH). */
export type Hello =
  | {
      kind: 'hello';
      version: number;
      role: typeof ROLES.agent;
      slots: SlotClaim[];
      /** Views by agent name for every slot of this hello (a policy file's table, sent once); a slot's own view or table wins. */
      viewByAgent?: Record<string, ViewSpec>;
      pid?: number;
    }
  | {
      kind: 'hello';
      version: number;
      role: typeof ROLES.spectator;
      /** The control token; without it the spectator is read-only. */
      token?: string;
      /** Snapshot rate in Hz. */
      rate?: number;
    }
  | {
      kind: 'hello';
      version: number;
      role: typeof ROLES.supervisor;
      token: string;
      /** Send teacher (full) observations in step frames (default true). */
      teacherObservations: boolean;
    }
  | {
      kind: 'hello';
      version: number;
      role: typeof ROLES.controller;
      /** The control token. */
      token: string;
    };

/** What a slot looks like to its agent: the answer to its claim. */
export type SlotInfo = {
  slot: number;
  agent: string;
  type: string;
  observationSize: number;
  actionCount: number;
  actionNames: string[];
  /** The effective deadline for this slot (its caps or the server default). */
  deadlineMs: number;
  view: ViewSpec;
  labels: string[];
  /** The agent's full observation layout (block names, rows, features) for scripted policies. */
  layout: { name: string; rows: number; features: string[]; spatial: boolean }[];
};

export type WelcomeMessage = {
  kind: 'welcome';
  version: number;
  role: Role;
  scenario: string;
  family: string;
  mode: TickMode;
  /** Realtime tick rate (Hz); 0 in lockstep. */
  hz: number;
  /** The server's default deadline (ms). */
  deadlineMs: number;
  maxSteps: number;
  dt: number;
  tick: number;
  episode: number;
  agentNames: string[];
  entities: EntityInfo[];
  stateSize: number;
  /** Agents only: one entry per claimed slot, in hello order. */
  slots: SlotInfo[];
  /** Supervisors: every agent's teacher and student observation sizes, in agent order. */
  teacherSizes: number[];
  studentSizes: number[];
  actionCounts: number[];
  /** Spectators: whether control messages will be accepted. */
  control: boolean;
};

export const TICK_MODES = { lockstep: 'lockstep', realtime: 'realtime' } as const;
export type TickMode = (typeof TICK_MODES)[keyof typeof TICK_MODES];

/** The action used when an agent's answer is late, missing or invalid. */
export const FALLBACKS = { hold: 'hold', stop: 'stop' } as const;
export type Fallback = (typeof FALLBACKS)[keyof typeof FALLBACKS];

/** agent -> server, about once a second: what the agent measured itself. */
export type AgentReport = {
  kind: 'report';
  slots: {
    slot: number;
    /** Median decision time over the last window (ms), compute only. */
    decideMs: number;
    /** Median reply delay including the cpu-share emulation (ms). */
    replyMs: number;
    flops: number;
    decisions: number;
  }[];
  rssMb: number;
  heapMb: number;
  /** Weights generation in use (0 = as started). */
  generation: number;
  /** How the process's cpu and memory caps hold, for the caps it has; absent without either cap. */
  enforcement?: CapsEnforcement;
};

/**
 * 'cgroup-v1' / 'cgroup-v2': the OS enforces the cap (a cgroup of the agent process's own: a CPU
 * quota, a memory limit). 'emulated': the agent holds each reply until compute / cpu (cpu), or
 * caps its heap and watches its RSS (memory), where it cannot use a cgroup (not root, no access).
 */
export type CapEnforcement = 'cgroup-v1' | 'cgroup-v2' | 'emulated';
export type CapsEnforcement = { cpu?: CapEnforcement; memory?: CapEnforcement };

export const CONTROL_ACTIONS = ['pause', 'resume', 'step', 'reset', 'speed', 'scenario'] as const;

/** Spectator or supervisor control, authorised by the control token. */
export type ControlMessage = {
  kind: 'control';
  token: string;
  action: (typeof CONTROL_ACTIONS)[number];
  /** speed: a factor of the server's base realtime rate (the viewer's 0.25x..4x; 0 = lockstep, as fast as agents answer); scenario: a name. */
  value?: number | string;
  /** speed: an absolute realtime rate in Hz instead of a factor (0 = lockstep). */
  hz?: number;
};

/** spectator -> server: inspect one agent (renewed by the viewer while the panel is open). */
export type InspectMessage = { kind: 'inspect'; agent: number };

/**
 * spectator -> server: which overlays this spectator shows. While any spectator shows the graph or
 * the roles, agents send their action distributions and snapshots carry `relations`, `roles` and
 * `roleNames` (computed by the server from those distributions); while one shows all lidar,
 * snapshots carry every agent's scan.
 */
export type OverlaysMessage = {
  kind: 'overlays';
  graph: boolean;
  roles: boolean;
  /** Show every agent's lidar, not only the inspected one's: snapshots then carry all scans. */
  lidar?: boolean;
};

/** supervisor -> server: new weights (a policy file's bytes) for some slots (default all), swapped in at the next episode. */
export type WeightsMessage = { kind: 'weights'; policy: Uint8Array; slots?: number[] };
/** server -> agent: [weights message] with an id the agent echoes in its ack. */
export type WeightsPush = { kind: 'weights'; id: number; policy: Uint8Array };
/** agent -> server, forwarded to supervisors with the slots it was for. */
export type WeightsAck = {
  kind: 'weights-ack';
  id: number;
  ok: boolean;
  error?: string;
  /** Generation the weights will have once swapped in. */
  generation: number;
  slots?: number[];
};

/** Server errors sent before a close, and control replies, so clients can show why. */
export type ErrorMessage = { kind: 'error'; code: number; message: string };
export type ControlReply = { kind: 'control'; action: string; ok: boolean; error?: string };

/**
 * The per-tick action frame guard (no zod on the hot path): returns the tick, or -1 when the
 * value is not an action frame for `slotCount` slots (whose action counts sum to
 * `probabilityCount`, the length the optional distributions element must have). Actions are read by the caller.
 */
export function actionFrameTick(value: unknown, slotCount: number, probabilityCount = -1): number {
  if (!Array.isArray(value) || (value.length !== 3 && value.length !== 4) || value[0] !== FRAME.act) return -1;
  const tick = value[1];
  if (typeof tick !== 'number' || !Number.isInteger(tick) || tick < 0) return -1;
  // Distributions: exactly the held slots' action counts, as a Float32Array (values are sanitised by the reader).
  if (value.length === 4 && !(value[3] instanceof Float32Array && value[3].length === probabilityCount)) return -1;
  const actions = value[2] as unknown;
  if (actions instanceof Int16Array || actions instanceof Int32Array) return actions.length === slotCount ? tick : -1;
  if (!Array.isArray(actions) || actions.length !== slotCount) return -1;
  for (let i = 0; i < actions.length; i++) if (typeof actions[i] !== 'number') return -1;
  return tick;
}

/**
 * Copy one slot's action distribution from the wire into `out` with NaN, infinite and negative
 * values set to 0 and the rest renormalised; returns false (leaving `out` zeroed) when nothing
 * positive remains.
 */
export function readDistribution(wire: Float32Array, from: number, count: number, out: Float32Array, to: number): boolean {
  let sum = 0;
  for (let a = 0; a < count; a++) {
    const v = wire[from + a];
    const p = Number.isFinite(v) && v > 0 ? v : 0;
    out[to + a] = p;
    sum += p;
  }
  if (!(sum > 0) || !Number.isFinite(sum)) {
    out.fill(0, to, to + count);
    return false;
  }
  for (let a = 0; a < count; a++) out[to + a] /= sum;
  return true;
}

/** Clamp a wire number into an action index or -1 (no answer): NaN, fractions and out-of-range become -1. */
export function wireAction(value: number, actionCount: number): number {
  return Number.isInteger(value) && value >= 0 && value < actionCount ? value : -1;
}
