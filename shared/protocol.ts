/**
 * The wire protocol between the server and its clients (agent processes, the supervisor, the
 * viewer). One source of truth: every constant and message shape lives here or in the siblings
 * named below. Frames are binary,
 * msgpack-encoded with `shared/codec.ts` (typed arrays stay typed arrays). The server checks
 * incoming messages against the zod schemas in server/net/protocol-schemas.ts, which must agree
 * with the types here; this file has no runtime dependencies, so the viewer bundles it as is.
 *
 * The spectator part (what the viewer renders and replay files hold) is in spectator-protocol.ts,
 * re-exported here; the handshake is in handshake-protocol.ts, the other messages of a session in
 * session-messages.ts, the hot-path frame checks in frame-guards.ts. This file is the version,
 * roles, paths, close codes, limits and the per-tick frames.
 */
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
 * the actions applied a_t (after fallbacks), rewards r_t, per-agent miss flags, whether the step
 * ended the episode, and which agents sample their actions. Teacher views concatenated in agent
 * order, student views likewise.
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
  /** 1 where the slot's agent samples its actions from its policy (`kdmarl agent --sample`); absent (older servers): greedy */ Uint8Array?,
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
