import { FRAME } from '../../shared/protocol.ts';
import type { ServerClient } from './client.ts';
import type { WorldSession } from './world-session.ts';

/**
 * The tick's observations of every agent, concatenated (student views and, for supervisors,
 * teacher views), with the copies the supervisor frame carries (state, masks, actions, rewards).
 * Agent connections holding contiguous slots send views into these buffers; others get a copy plan.
 */
export class ObservationBuffers {
  studentOffsets: number[] = [];
  student = new Float32Array(0);
  teacherOffsets: number[] = [];
  teacher = new Float32Array(0);
  readonly state: Float32Array;
  readonly masks: Uint8Array;
  readonly actions: Int16Array;
  readonly rewards: Float32Array;
  private readonly world: WorldSession;

  constructor(world: WorldSession) {
    this.world = world;
    this.state = new Float32Array(world.sim.stateSize);
    this.masks = new Uint8Array(world.masks.length);
    this.actions = new Int16Array(world.agentCount);
    this.rewards = new Float32Array(world.agentCount);
  }

  /** Recompute the concatenated buffers after a view changed, and each agent connection's slice of them. */
  layout(clients: Iterable<ServerClient>): void {
    const world = this.world;
    this.studentOffsets = offsetsOf(world.studentViews.map((v) => v.size));
    this.student = new Float32Array(this.studentOffsets[world.agentCount]);
    this.teacherOffsets = offsetsOf(world.teacherViews.map((v) => v.size));
    this.teacher = new Float32Array(this.teacherOffsets[world.agentCount]);
    const masks = world.masks;
    const maskOffsets = [...world.maskOffsets, masks.length];
    for (const client of clients) {
      // Agents and controllers (which hold every slot) get observation frames.
      if ((client.role !== 'agent' && client.role !== 'controller') || client.closed) continue;
      const slots = client.slots;
      const contiguous = slots.every((s, k) => k === 0 || s === slots[k - 1] + 1);
      if (contiguous) {
        // Views into the shared buffers: nothing to copy per tick.
        const first = slots[0];
        const last = slots[slots.length - 1];
        client.observations = this.student.subarray(this.studentOffsets[first], this.studentOffsets[last + 1]);
        client.masks = masks.subarray(maskOffsets[first], maskOffsets[last + 1]);
        client.copyPlan = null;
      } else {
        const obsSize = slots.reduce((sum, s) => sum + world.studentViews[s].size, 0);
        const maskSize = slots.reduce((sum, s) => sum + world.sim.actionCounts[s], 0);
        client.observations = new Float32Array(obsSize);
        client.masks = new Uint8Array(maskSize);
        client.copyPlan = slots.map((s) => ({ from: this.studentOffsets[s], size: world.studentViews[s].size, maskFrom: maskOffsets[s], maskSize: world.sim.actionCounts[s] }));
      }
      client.frame = [FRAME.obs, 0, 0, 0, client.observations, client.masks];
    }
  }

  /** This tick's student views (and teacher views, state and masks when a supervisor listens). */
  fill(supervised: boolean, wantTeacher: boolean): void {
    const world = this.world;
    world.writeObservations(this.student, this.studentOffsets, supervised && wantTeacher ? this.teacher : null, this.teacherOffsets);
    if (supervised) {
      world.writeState(this.state);
      this.masks.set(world.masks);
    }
  }

  /** A connection holding non-contiguous slots gets its slots' parts copied into its own frame. */
  copyInto(client: ServerClient): void {
    const plan = client.copyPlan;
    if (!plan) return;
    let o = 0;
    let m = 0;
    const masks = this.world.masks;
    for (const p of plan) {
      for (let k = 0; k < p.size; k++) client.observations[o++] = this.student[p.from + k];
      for (let k = 0; k < p.maskSize; k++) client.masks[m++] = masks[p.maskFrom + k];
    }
  }
}

function offsetsOf(sizes: number[]): number[] {
  const offsets = [0];
  for (const size of sizes) offsets.push(offsets[offsets.length - 1] + size);
  return offsets;
}
