import { PROBABILITY_KINDS, type ProbabilityKind } from '../../shared/protocol.ts';
import { readDistribution } from '../../shared/frame-guards.ts';
import { DistributionStructure } from '../../shared/relations.ts';

export type SnapshotStructure = { relations: Float32Array; roles: Int32Array; roleNames: string[]; probabilities: Float32Array };

/** A distribution older than this many observation rounds is not shown (the agent stopped sending it). */
const FRESH_ROUNDS = 2;

/**
 * The agents' latest action distributions as their action frames carried them (each slot's part
 * laid out like the masks), and the relation matrix and roles the viewer's overlays draw,
 * computed from them. Buffers are made once per scenario: storing and computing allocate nothing.
 */
export class AgentDistributions {
  readonly structure: DistributionStructure;
  /** What a snapshot carries: the structure, and the distributions it came from (zeros where none is current). */
  readonly snapshot: SnapshotStructure;
  /** Every agent's distribution back to back (agent i from `offsets[i]`). */
  private readonly values: Float32Array;
  private readonly offsets: readonly number[];
  private readonly counts: readonly number[];
  /** Observation round (request id) each agent's distribution answered; 0 = none. */
  private readonly round: Int32Array;
  private readonly live: Uint8Array;

  constructor(actionNames: readonly (readonly string[])[], actionCounts: readonly number[], maskOffsets: readonly number[]) {
    this.counts = [...actionCounts];
    this.offsets = [...maskOffsets];
    this.values = new Float32Array(actionCounts.reduce((sum, c) => sum + c, 0));
    this.round = new Int32Array(actionCounts.length);
    this.live = new Uint8Array(actionCounts.length);
    // Scenarios without action names still get one category per action ('other').
    this.structure = new DistributionStructure(actionCounts.map((count, i) => actionNames[i]?.length === count ? actionNames[i] : Array.from({ length: count }, () => '')));
    this.snapshot = { relations: this.structure.relations, roles: this.structure.roles, roleNames: [...this.structure.roleNames], probabilities: new Float32Array(this.values.length) };
  }

  /**
   * Keep the distributions of a connection's action frame: `wire` holds its slots' parts in hello
   * order; a slot's part is read where its action is not -1 (an answer) and `holders[slot]` is
   * `holder` (the connection still holds it). No callback: this runs for every frame while on.
   */
  store<T>(slots: readonly number[], actions: ArrayLike<number>, wire: Float32Array, request: number, holders: readonly (T | null)[], holder: T): void {
    let from = 0;
    for (let k = 0; k < slots.length; k++) {
      const i = slots[k];
      const count = this.counts[i];
      if (actions[k] !== -1 && holders[i] === holder) this.round[i] = readDistribution(wire, from, count, this.values, this.offsets[i]) ? request : 0;
      from += count;
    }
  }

  /** A slot changed hands (claim, release): its old distribution is not its new policy's. */
  forget(slot: number): void {
    this.round[slot] = 0;
  }

  fresh(agent: number, request: number): boolean {
    return this.round[agent] > 0 && request - this.round[agent] <= FRESH_ROUNDS;
  }

  /** A copy of one agent's current distribution, or null (for inspect replies, not per tick). */
  of(agent: number, request: number): Float32Array | null {
    if (!this.fresh(agent, request)) return null;
    return this.values.slice(this.offsets[agent], this.offsets[agent] + this.counts[agent]);
  }

  /** Relations, roles and distributions over agents that are alive and have a current distribution; null when none has. */
  compute(alive: Uint8Array, request: number): SnapshotStructure | null {
    const shown = this.snapshot.probabilities;
    for (let i = 0; i < this.live.length; i++) {
      const live = alive[i] === 1 && this.fresh(i, request);
      this.live[i] = live ? 1 : 0;
      const from = this.offsets[i];
      for (let a = 0; a < this.counts[i]; a++) shown[from + a] = live ? this.values[from + a] : 0;
    }
    return this.structure.compute(this.values, this.offsets, this.live) > 0 ? this.snapshot : null;
  }
}

/** What a slot's distribution is, from what its hello said runs it ('scripted', 'random', or a policy file's role). */
export function probabilityKind(policy: string): ProbabilityKind {
  if (policy === 'random') return PROBABILITY_KINDS.uniform;
  if (policy === 'scripted') return PROBABILITY_KINDS.oneHot;
  return PROBABILITY_KINDS.softmax;
}
