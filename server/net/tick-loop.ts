import { performance } from 'node:perf_hooks';
import { CLOSE_CODES, FRAME, ROLES } from '../../shared/protocol.ts';
import { actionFrameTick } from '../../shared/frame-guards.ts';
import type { ServerClient } from './client.ts';
import type { Room } from './room.ts';
import { ANSWER } from './slot-table.ts';
import type { EpisodeEnd } from './world-session.ts';

export type TickListeners = {
  /** After each step, before the tick event: the supervisor frame and the snapshots. */
  stepped: (tick: number, episode: number, t: number, end: EpisodeEnd | null, now: number) => void;
  /** A bad action frame: the client is closed with this code. */
  reject: (client: ServerClient, code: number, reason: string) => void;
  /** An episode just ended, before the automatic reset: its last state is still there to read. */
  beforeReset?: () => void;
};

/**
 * Rounds of observations and answers. Lockstep advances as soon as every connected live agent
 * answered, or at the earliest deadline; realtime advances at a fixed rate. A late, missing or bad
 * action is replaced by the fallback and counted, so no client can hold the world.
 */
export class TickLoop {
  /** A round is out: observations sent, answers being collected. */
  inFlight = false;
  started = false;
  /** Paused single steps left to run. */
  stepBudget = 0;
  private pending = 0;
  /** Id of the observation round in flight; agents echo it. */
  private request = 0;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private realtimeTimer: NodeJS.Timeout | null = null;
  private nextTickAt = 0;
  private readonly tickTimes = new Float64Array(64);
  private tickTimeIndex = 0;
  private readonly room: Room;
  private readonly listeners: TickListeners;

  constructor(room: Room, listeners: TickListeners) {
    this.room = room;
    this.listeners = listeners;
  }

  /** The round agents must echo in their action frames. */
  get round(): number {
    return this.request;
  }

  start(): void {
    if (this.started || this.room.closing) return;
    this.started = true;
    this.room.log.info({ mode: this.room.mode, hz: this.room.mode === 'realtime' ? this.room.hz : undefined }, 'world started');
    this.beginRound();
  }

  /** Stop and forget the round in flight (scenario switch). */
  halt(): void {
    this.stopTimers();
    this.inFlight = false;
    this.started = false;
  }

  stopTimers(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    if (this.realtimeTimer) clearTimeout(this.realtimeTimer);
    this.deadlineTimer = null;
    this.realtimeTimer = null;
  }

  private get canAdvance(): boolean {
    return !this.room.paused || this.stepBudget > 0;
  }

  /** Send this tick's observations to every agent connection and start waiting for answers. */
  beginRound(): void {
    const room = this.room;
    if (room.closing) return;
    const { world, slots } = room;
    const sim = world.sim;
    if (room.mode === 'lockstep' && slots.connectedCount() === 0) {
      // Nobody to wait for: idle until an agent claims a slot, instead of spinning through episodes.
      this.inFlight = false;
      return;
    }
    this.request++;
    this.inFlight = true;
    slots.answered.fill(ANSWER.pending);
    slots.missedThisTick.fill(0);
    this.fillObservations();
    const now = performance.now();
    let pending = 0;
    for (let i = 0; i < world.agentCount; i++) {
      if (sim.alive[i] !== 1) {
        slots.answered[i] = ANSWER.answered;
        world.applyDeadAction(i);
      } else if (slots.client[i]) {
        pending++;
      }
    }
    this.pending = pending;
    for (const client of room.clients) if ((client.role === ROLES.agent || client.role === ROLES.controller) && !client.closed) this.sendRoundTo(client, now);
    if (room.mode === 'lockstep') {
      if (this.pending === 0) this.maybeFinish();
      else this.armDeadline(now);
    } else {
      this.scheduleRealtime(now);
    }
  }

  fillObservations(): void {
    const supervised = this.room.hasSupervisor();
    this.room.buffers.fill(supervised, supervised && this.room.wantsTeacher());
  }

  /** Buffers were laid out anew: refill them if a round is in flight (same state, so the same values). */
  refillIfInFlight(): void {
    if (this.inFlight) this.fillObservations();
  }

  /** A round restarted without stepping (reset control): same tick, fresh observations. */
  restartRound(): void {
    if (!this.inFlight) return;
    this.stopTimers();
    this.inFlight = false;
    this.beginRound();
  }

  private sendRoundTo(client: ServerClient, now: number): void {
    const frame = client.frame;
    if (!frame) return;
    const world = this.room.world;
    this.room.buffers.copyInto(client);
    frame[1] = this.request;
    frame[2] = world.episode;
    frame[3] = world.sim.t;
    client.sentAt = now;
    client.ws.send(this.room.packr.pack(frame));
  }

  /** A connection claimed slots: it answers the round in flight too (its deadline counts from now), or starts one. */
  joined(client: ServerClient): void {
    const { slots, world } = this.room;
    if (!this.started) {
      if (slots.allClaimed()) this.start();
    } else if (this.inFlight) {
      const now = performance.now();
      for (const slot of client.slots) if (world.sim.alive[slot] === 1 && slots.answered[slot] === ANSWER.pending) this.pending++;
      this.sendRoundTo(client, now);
      if (this.room.mode === 'lockstep') this.armDeadline(now);
    } else if (this.room.mode === 'lockstep') {
      this.beginRound();
    }
  }

  /** A slot lost its connection: its decision is no longer awaited. */
  released(slot: number): void {
    const { slots, world } = this.room;
    if (this.inFlight && slots.answered[slot] === ANSWER.pending && world.sim.alive[slot] === 1) this.pending--;
  }

  /** After a connection closed: the round may be complete now. */
  afterRelease(): void {
    if (this.inFlight && this.room.mode === 'lockstep') this.maybeFinish();
  }

  private armDeadline(now: number): void {
    const slots = this.room.slots;
    let earliest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < slots.count; i++) {
      const client = slots.client[i];
      if (slots.answered[i] !== ANSWER.pending || !client) continue;
      const due = client.sentAt + slots.deadlineMs[i];
      if (due < earliest) earliest = due;
    }
    if (earliest === Number.POSITIVE_INFINITY) return;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => this.onDeadline(), Math.max(0, earliest - now));
  }

  private onDeadline(): void {
    this.deadlineTimer = null;
    if (!this.inFlight) return;
    const slots = this.room.slots;
    const now = performance.now();
    for (let i = 0; i < slots.count; i++) {
      const client = slots.client[i];
      if (slots.answered[i] !== ANSWER.pending || !client) continue;
      if (now - client.sentAt >= slots.deadlineMs[i] - 0.5) {
        // Resolved as a miss: the fallback is applied when the round finishes.
        slots.answered[i] = ANSWER.missed;
        this.pending--;
      }
    }
    if (this.pending <= 0) this.maybeFinish();
    else this.armDeadline(now);
  }

  /** An agent connection's action frame for the round it was sent. */
  onAction(client: ServerClient, frame: unknown[], now: number): void {
    const room = this.room;
    const held = client.slots;
    const request = actionFrameTick(frame, held.length, client.distributionCount);
    if (request < 0) {
      this.listeners.reject(client, CLOSE_CODES.badMessage, `bad action frame: expected [${FRAME.act}, tick, ${held.length} actions, optional Float32Array of ${client.distributionCount} probabilities]`);
      return;
    }
    if (request !== this.request || !this.inFlight) {
      room.count('staleActions');
      return;
    }
    const actions = frame[2] as ArrayLike<number>;
    const slots = room.slots;
    if (frame.length === 4) room.distributions.store(held, actions, frame[3] as Float32Array, request, slots.client, client);
    const rt = now - client.sentAt;
    for (let k = 0; k < held.length; k++) {
      const raw = actions[k];
      if (raw === -1) continue;
      const i = held[k];
      if (slots.answered[i] !== ANSWER.pending || slots.client[i] !== client) continue;
      this.pending--;
      slots.recent[i].add(rt);
      room.roundTrips.add(rt);
      room.decisions++;
      if (rt > slots.deadlineMs[i]) {
        // Arrived after its deadline (the timer had not fired yet): still a miss.
        slots.answered[i] = ANSWER.missed;
      } else if (room.world.applyAction(i, raw)) {
        slots.answered[i] = ANSWER.answered;
      } else {
        // A bad action is replaced like a late one, but counted as invalid, not as a deadline miss.
        slots.invalid[i]++;
        slots.answered[i] = ANSWER.invalid;
      }
    }
    if (this.pending <= 0 && room.mode === 'lockstep') this.maybeFinish();
  }

  private maybeFinish(): void {
    // Rounds cut short by shutting down are not stepped, so their missing answers are not counted.
    if (!this.inFlight || this.pending > 0 || !this.canAdvance || this.room.closing) return;
    this.finishRound();
    if (this.room.paused && this.stepBudget === 0) return;
    this.beginRound();
  }

  /** Resume after pause/step: finish a round that is ready, or start one. */
  resume(): void {
    if (!this.started) return;
    if (this.room.mode === 'lockstep') {
      if (this.inFlight) this.maybeFinish();
      else this.beginRound();
    } else if (!this.realtimeTimer) {
      this.scheduleRealtime(performance.now());
    }
  }

  /** Realtime at `hz`, or lockstep when hz is 0. */
  setSpeed(hz: number): void {
    const room = this.room;
    this.stopTimers();
    this.nextTickAt = 0;
    if (hz === 0) {
      room.mode = 'lockstep';
    } else {
      room.mode = 'realtime';
      room.hz = Math.min(1000, hz);
    }
    this.inFlight = false;
    if (this.started) this.beginRound();
  }

  /** Apply answers (fallbacks for the rest), step, book-keep, stream. */
  private finishRound(): void {
    if (this.deadlineTimer) {
      clearTimeout(this.deadlineTimer);
      this.deadlineTimer = null;
    }
    this.inFlight = false;
    if (this.stepBudget > 0) this.stepBudget--;
    const room = this.room;
    const { world, slots } = room;
    const sim = world.sim;
    for (let i = 0; i < world.agentCount; i++) {
      if (sim.alive[i] === 1) room.due++;
      const answer = slots.answered[i];
      if (answer === ANSWER.answered) continue;
      world.applyFallback(i);
      if (sim.alive[i] !== 1) continue;
      slots.missedThisTick[i] = 1;
      if (answer === ANSWER.invalid) continue;
      slots.misses[i]++;
      if (!slots.client[i]) slots.offline[i]++;
    }
    const t = sim.t;
    const episode = world.episode;
    if (room.hasSupervisor()) world.writeActions(room.buffers.actions);
    const end = world.step(this.listeners.beforeReset);
    const now = performance.now();
    this.tickTimes[this.tickTimeIndex++ & 63] = now;
    this.listeners.stepped(world.tick, episode, t, end, now);
    room.events.emit('tick', world.tick);
  }

  private scheduleRealtime(now: number): void {
    const room = this.room;
    const period = 1000 / room.hz;
    if (this.nextTickAt === 0 || this.nextTickAt < now - period * (room.options.maxCatchUp ?? 3)) {
      if (this.nextTickAt !== 0) {
        const dropped = Math.floor((now - this.nextTickAt) / period);
        room.deferredSteps += dropped;
        room.log.warn({ dropped, behindMs: Math.round(now - this.nextTickAt) }, 'realtime: fell behind, dropping steps');
      }
      this.nextTickAt = now + period;
    }
    const delay = Math.max(0, this.nextTickAt - now);
    this.realtimeTimer = setTimeout(() => this.onRealtimeTick(), delay);
  }

  private onRealtimeTick(): void {
    this.realtimeTimer = null;
    const room = this.room;
    if (room.closing || room.mode !== 'realtime') return;
    this.nextTickAt += 1000 / room.hz;
    if (!this.canAdvance) {
      this.nextTickAt = 0;
      return;
    }
    if (this.inFlight) this.finishRound();
    // Observations go out even when this was a single step while paused, so the next step has answers.
    this.beginRound();
  }

  /** Ticks per second over the last 64 ticks (0 when idle for more than 2 s). */
  tickRate(): number {
    const count = Math.min(this.tickTimeIndex, 64);
    if (count < 2) return 0;
    const newest = this.tickTimes[(this.tickTimeIndex - 1) & 63];
    const oldest = this.tickTimes[(this.tickTimeIndex - count) & 63];
    if (performance.now() - newest > 2000 || newest === oldest) return 0;
    return ((count - 1) * 1000) / (newest - oldest);
  }
}
