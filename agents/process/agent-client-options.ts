import type { Hello } from '../../shared/handshake-protocol.ts';
import { PROTOCOL_VERSION, ROLES } from '../../shared/protocol.ts';
import type { CapsEnforcement } from '../../shared/session-messages.ts';
import type { Caps } from '../../shared/student-profile.ts';
import type { PolicySource } from '../policy-source.ts';
import type { AgentLog } from './agent-log.ts';

export type FaultOptions = {
  /** Added delay on every reply (ms), plus uniform jitter in [0, jitterMs). */
  latencyMs: number;
  jitterMs: number;
  /** Probability that a reply is lost. */
  drop: number;
};

export type AgentClientOptions = {
  url: string;
  /** PEM certificates to trust for a wss:// server instead of the system store (`--ca`). */
  ca?: Buffer;
  /** Which caps the OS enforces and which are emulated, for the report (see shared/cgroup-caps.ts). */
  enforcement?: CapsEnforcement;
  slots: { slot: number; token: string }[];
  source: PolicySource;
  /** The same caps for every slot of this process (each slot keeps its own accounting). */
  caps: Caps;
  log: AgentLog;
  faults?: FaultOptions;
  /** Extra delay before every reply (ms): makes an agent deliberately slower than its deadline. */
  extraDelayMs?: number;
  seed?: number;
  /** Reconnect backoff: first delay, ceiling, and how long to keep trying without a welcome. */
  backoffMs?: number;
  maxBackoffMs?: number;
  giveUpAfterMs?: number;
  reportEveryMs?: number;
};

/** Why the client stopped: 0 clean (server shutdown, scenario switch, stop()), 1 failed, 2 refused (policy does not fit the slot or its caps). */
export type AgentExit = { code: number; reason: string; closeCode?: number };

/** The hello an agent connection opens with: its slots, their caps and the policy's views. */
export function agentHello(options: AgentClientOptions): Hello {
  return {
    kind: 'hello',
    version: PROTOCOL_VERSION,
    role: ROLES.agent,
    pid: process.pid,
    slots: options.slots.map((s) => ({
      slot: s.slot,
      token: s.token,
      caps: options.caps,
      policy: options.source.label,
      ...(options.source.view ? { view: options.source.view } : {}),
      // Only when true: a greedy agent's hello stays what older servers accept.
      ...(options.source.sample ? { sample: true } : {}),
    })),
    // The policy's view table once per hello, not once per slot: with many slots it would grow as slots x agents.
    ...(options.source.viewByAgent ? { viewByAgent: options.source.viewByAgent } : {}),
  };
}
