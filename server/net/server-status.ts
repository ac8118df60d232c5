import { ROLES } from '../../shared/protocol.ts';
import type { CapsEnforcement } from '../../shared/session-messages.ts';
import type { TickMode } from '../../shared/handshake-protocol.ts';
import type { Room } from './room.ts';

export type AgentStatus = {
  slot: number;
  agent: string;
  connected: boolean;
  policy: string;
  latencyMs: number;
  misses: number;
  invalid: number;
  offlineTicks: number;
  claims: number;
  reconnects: number;
  flops: number;
  decideMs: number;
  rssMb: number;
  /** The agent's cpu share and memory cap (MB) from its hello, and how each holds (from its reports). */
  cpuCap: number | null;
  memoryCapMb: number | null;
  enforcement: CapsEnforcement | null;
};

export type ServerStatus = {
  scenario: string;
  mode: TickMode;
  hz: number;
  tick: number;
  episode: number;
  episodes: number;
  wins: number;
  losses: number;
  winRate: number | null;
  lastReturn: number;
  meanReturn: number;
  tickRate: number;
  paused: boolean;
  agents: AgentStatus[];
  /** All slots together: answers received, and live agent-ticks (decisions due). */
  decisions: number;
  due: number;
  misses: number;
  roundTripMs: { p50: number; p99: number; mean: number; count: number };
  spectators: number;
  supervisors: number;
  rejected: Record<string, number>;
};

/** What `/status`, `kdmarl up` and the status line show. */
export function serverStatus(room: Room, tickRate: number): ServerStatus {
  const { world, slots } = room;
  const agents: AgentStatus[] = world.sim.agentNames.map((agent, slot) => ({
    slot,
    agent,
    connected: slots.client[slot] !== null,
    policy: slots.policy[slot],
    latencyMs: slots.recent[slot].median(),
    misses: slots.misses[slot],
    invalid: slots.invalid[slot],
    offlineTicks: slots.offline[slot],
    claims: slots.claims[slot],
    reconnects: Math.max(0, slots.claims[slot] - 1),
    flops: slots.flops[slot],
    decideMs: slots.decideMs[slot],
    rssMb: slots.client[slot]?.rssMb ?? 0,
    cpuCap: slots.client[slot] ? (slots.caps[slot].cpu ?? null) : null,
    memoryCapMb: slots.client[slot] ? (slots.caps[slot].memoryMb ?? null) : null,
    enforcement: slots.client[slot]?.enforcement ?? null,
  }));
  let misses = 0;
  for (let i = 0; i < world.agentCount; i++) misses += slots.misses[i];
  return {
    scenario: world.name,
    mode: room.mode,
    hz: room.mode === 'realtime' ? room.hz : 0,
    tick: world.tick,
    episode: world.episode,
    episodes: world.episodes,
    wins: world.wins,
    losses: world.losses,
    winRate: world.winRate,
    lastReturn: world.lastReturn,
    meanReturn: world.meanReturn,
    tickRate,
    paused: room.paused,
    agents,
    decisions: room.decisions,
    due: room.due,
    misses,
    roundTripMs: { p50: room.roundTrips.quantile(0.5), p99: room.roundTrips.quantile(0.99), mean: room.roundTrips.meanMs, count: room.roundTrips.count },
    spectators: room.countRole(ROLES.spectator),
    supervisors: room.countRole(ROLES.supervisor),
    rejected: { ...room.rejected, deferredSteps: room.deferredSteps },
  };
}
