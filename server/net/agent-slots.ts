import { performance } from 'node:perf_hooks';
import { CLOSE_CODES, LIMITS, ROLES } from '../../shared/protocol.ts';
import type { Hello, SlotInfo } from '../../shared/handshake-protocol.ts';
import type { ViewSpec } from '../../shared/view-spec.ts';
import { describeZodError } from '../../shared/zod-error.ts';
import type { ObservationView } from '../views/view.ts';
import { TokenBucket, type ServerClient } from './client.ts';
import type { Connections } from './connections.ts';
import { describeKind, welcome } from './handshake.ts';
import { agentReportSchema, weightsAckSchema } from './protocol-schemas.ts';
import type { Room } from './room.ts';
import type { TickLoop } from './tick-loop.ts';
import { tokensEqual } from './tokens.ts';

/**
 * The agent role: connections claim slots with their tokens, answer each round with an action
 * frame, report what they measured and acknowledge weights. A slot claimed again by another
 * connection with the right token moves to it (a reconnect takes over).
 */
export class AgentSlots {
  private readonly room: Room;
  private readonly connections: Connections;
  private readonly ticks: TickLoop;
  /** Which connections hold slots changed: distribution requests may change. */
  private readonly holdersChanged: () => void;

  constructor(room: Room, connections: Connections, ticks: TickLoop, holdersChanged: () => void) {
    this.room = room;
    this.connections = connections;
    this.ticks = ticks;
    this.holdersChanged = holdersChanged;
  }

  hello(client: ServerClient, hello: Extract<Hello, { role: 'agent' }>): void {
    const { room, connections } = this;
    const world = room.world;
    const seen = new Set<number>();
    const views: (ViewSpec | undefined)[] = [];
    for (const claim of hello.slots) {
      if (claim.slot >= world.agentCount) {
        return connections.reject(client, CLOSE_CODES.wrongSlot, `slot ${claim.slot} does not exist (scenario '${world.name}' has slots 0-${world.agentCount - 1})`);
      }
      if (seen.has(claim.slot)) return connections.reject(client, CLOSE_CODES.badMessage, `slot ${claim.slot} claimed twice in one hello`);
      seen.add(claim.slot);
      if (!tokensEqual(claim.token, room.tokens[claim.slot])) return connections.reject(client, CLOSE_CODES.badToken, `bad token for slot ${claim.slot}`);
      const agent = world.sim.agentNames[claim.slot];
      let view = claim.view;
      const table = claim.viewByAgent ?? (claim.view ? undefined : hello.viewByAgent);
      if (table) {
        view = table[agent];
        if (!view) {
          return connections.reject(client, CLOSE_CODES.agentRefused, `the policy has no entry for ${agent} (slot ${claim.slot}); it has: ${Object.keys(table).join(', ')}`);
        }
      }
      views.push(view);
    }
    // Compile every view before touching any slot, so a bad view leaves the world as it was.
    const compiled: ObservationView[] = [];
    for (let k = 0; k < hello.slots.length; k++) {
      try {
        compiled.push(world.compileStudentView(hello.slots[k].slot, views[k]));
      } catch (error) {
        return connections.reject(client, CLOSE_CODES.badMessage, `slot ${hello.slots[k].slot}: ${(error as Error).message}`);
      }
    }
    if (client.handshakeTimer) clearTimeout(client.handshakeTimer);
    client.role = ROLES.agent;
    client.slots = hello.slots.map((c) => c.slot);
    client.frameLimit = LIMITS.agentFrameBytesBase + LIMITS.agentFrameBytesPerSlot * client.slots.length;
    client.distributionCount = client.slots.reduce((sum, s) => sum + world.sim.actionCounts[s], 0);
    client.bucket = new TokenBucket(LIMITS.agentRate, performance.now());
    hello.slots.forEach((claim, k) => world.setStudentView(claim.slot, compiled[k]));
    const infos = hello.slots.map((claim) => this.claim(client, claim, hello.pid));
    room.buffers.layout(room.clients);
    this.ticks.refillIfInFlight();
    room.send(client, welcome(room, ROLES.agent, infos, false));
    this.holdersChanged();
    this.ticks.joined(client);
  }

  /** Give `slot` to `client` (closing a previous holder with slotReplaced); what the welcome says about it. */
  claim(client: ServerClient, claim: Extract<Hello, { role: 'agent' }>['slots'][number], pid: number | undefined): SlotInfo {
    const { room } = this;
    const { world, slots } = room;
    const slot = claim.slot;
    const previous = slots.client[slot];
    if (previous && previous !== client) {
      room.log.info({ slot, previous: previous.id, client: client.id }, 'slot taken over by a new connection');
      this.connections.closeClient(previous, CLOSE_CODES.slotReplaced, `slot ${slot} claimed by another connection`, true);
    }
    const reconnect = slots.claims[slot] > 0;
    slots.claims[slot]++;
    slots.client[slot] = client;
    slots.connected[slot] = 1;
    slots.policy[slot] = claim.policy;
    slots.sampling[slot] = claim.sample ? 1 : 0;
    slots.caps[slot] = { ...claim.caps };
    slots.deadlineMs[slot] = claim.caps.deadlineMs ?? room.defaultDeadlineMs;
    slots.recent[slot].clear();
    room.distributions.forget(slot);
    const view = world.studentViews[slot];
    room.log.info({ slot, agent: world.sim.agentNames[slot], client: client.id, policy: claim.policy, pid, reconnect }, 'agent slot claimed');
    room.events.emit('claim', slot, reconnect);
    return {
      slot,
      agent: world.sim.agentNames[slot],
      type: world.agentTypes[slot],
      observationSize: view.size,
      actionCount: world.sim.actionCounts[slot],
      actionNames: [...(world.sim.actionNames?.[slot] ?? [])],
      deadlineMs: slots.deadlineMs[slot],
      view: view.spec,
      labels: [...view.labels],
      layout: world.sim.layouts[slot].blocks.map((b) => ({ name: b.name, rows: b.rows, features: [...b.features], spatial: b.spatial })),
    };
  }

  /** After the hello: action frames (arrays), reports and weights acks. */
  message(client: ServerClient, value: unknown, now: number): void {
    if (Array.isArray(value)) return this.ticks.onAction(client, value, now);
    const { room, connections } = this;
    const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
    if (kind === 'report') {
      const report = agentReportSchema.safeParse(value);
      if (!report.success) return connections.reject(client, CLOSE_CODES.badMessage, `bad report: ${describeZodError(report.error)}`);
      client.rssMb = report.data.rssMb;
      client.heapMb = report.data.heapMb;
      client.enforcement = report.data.enforcement ?? null;
      for (const s of report.data.slots) {
        if (room.slots.client[s.slot] !== client) return connections.reject(client, CLOSE_CODES.wrongSlot, `report for slot ${s.slot}, which this connection does not hold`);
        room.slots.flops[s.slot] = s.flops;
        room.slots.decideMs[s.slot] = s.decideMs;
      }
      return;
    }
    if (kind === 'weights-ack') {
      const ack = weightsAckSchema.safeParse(value);
      if (!ack.success) return connections.reject(client, CLOSE_CODES.badMessage, `bad weights-ack: ${describeZodError(ack.error)}`);
      const slots = client.pendingWeights.get(ack.data.id);
      if (!slots) return;
      client.pendingWeights.delete(ack.data.id);
      const forward = { ...ack.data, slots };
      room.events.emit('weightsAck', forward);
      for (const c of room.clients) if (c.role === ROLES.supervisor) room.send(c, forward);
      return;
    }
    if (kind === 'weights') return connections.reject(client, CLOSE_CODES.notAllowed, 'agents cannot send weights: supervisors do, at /supervisor');
    return connections.reject(client, CLOSE_CODES.badMessage, `agents send action frames, reports and weights-acks, not '${describeKind(kind)}'`);
  }

  /** The client is gone: its slots fall back to the default action from now on. */
  release(client: ServerClient): void {
    const { room } = this;
    const slots = room.slots;
    for (const slot of client.slots) {
      if (slots.client[slot] !== client) continue;
      slots.client[slot] = null;
      slots.connected[slot] = 0;
      slots.sampling[slot] = 0;
      this.ticks.released(slot);
      room.distributions.forget(slot);
      room.log.info({ slot, agent: room.world.sim.agentNames[slot] }, 'agent slot released');
      room.events.emit('release', slot);
    }
  }
}
