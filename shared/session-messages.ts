/**
 * Messages a connection sends after its handshake, besides the per-tick frames: agent reports,
 * run control, inspection and overlay requests, weight pushes and their acks, errors.
 */

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
