import type { Simulation } from './simulation.ts';
import { RawObservation } from './layout.ts';
import { ObservationView } from '../views/view.ts';
import type { ViewSpec } from '../../shared/view-spec.ts';

/** How an invalid action (out of range, masked, not an integer) is handled. */
export type ActionPolicy = 'strict' | 'lenient';

export class InvalidActionError extends Error {
  readonly agent: string;
  readonly action: unknown;
  constructor(agent: string, action: unknown, why: string) {
    super(`invalid action ${String(action)} for ${agent}: ${why}`);
    this.name = 'InvalidActionError';
    this.agent = agent;
    this.action = action;
  }
}

/**
 * The per-agent input/output around a simulation: raw tables, compiled views, action masks and
 * action checking. Shared by the PettingZoo-style env, the vectorised env and the network server,
 * so all three observe and validate the same way.
 */
export class AgentIO {
  readonly sim: Simulation;
  readonly views: readonly ObservationView[];
  readonly raws: readonly RawObservation[];
  /** Offsets of each agent's mask in `masks`. */
  readonly maskOffsets: readonly number[];
  /** All agents' masks, refreshed by `refreshMasks` after every reset and step. */
  readonly masks: Uint8Array;
  /** Per agent: how many actions were replaced in lenient mode this episode. */
  readonly invalidCounts: Int32Array;

  constructor(sim: Simulation, views?: readonly (ViewSpec | undefined)[]) {
    this.sim = sim;
    this.raws = sim.layouts.map((layout) => new RawObservation(layout));
    this.views = sim.layouts.map(
      (layout, i) => new ObservationView(layout, views?.[i] ?? {}, `view of ${sim.agentNames[i]}`),
    );
    const offsets: number[] = [];
    let total = 0;
    for (const n of sim.actionCounts) {
      offsets.push(total);
      total += n;
    }
    this.maskOffsets = offsets;
    this.masks = new Uint8Array(total);
    this.invalidCounts = new Int32Array(sim.agentNames.length);
  }

  refreshMasks(): void {
    const sim = this.sim;
    for (let i = 0; i < sim.agentNames.length; i++) sim.writeMask(i, this.masks, this.maskOffsets[i]);
  }

  /** Write agent i's observation (its view) at `out[offset ..]`. */
  writeObservation(i: number, out: Float32Array, offset: number): void {
    const alive = this.sim.alive[i] === 1;
    if (alive) this.sim.observe(i, this.raws[i]);
    this.views[i].write(this.raws[i], alive, out, offset);
  }

  isAllowed(i: number, action: number): boolean {
    return (
      Number.isInteger(action) &&
      action >= 0 &&
      action < this.sim.actionCounts[i] &&
      this.masks[this.maskOffsets[i] + action] === 1
    );
  }

  /** The action a late, missing or invalid choice is replaced with. */
  fallbackAction(i: number): number {
    return this.sim.alive[i] === 1 ? this.sim.defaultAction[i] : this.sim.deadAction;
  }

  /** Why `action` is not allowed for agent i now (for the strict error). */
  invalidReason(i: number, action: unknown): string {
    const n = this.sim.actionCounts[i];
    if (typeof action !== 'number' || !Number.isInteger(action)) return 'not an integer';
    if (action < 0 || action >= n) return `out of range [0, ${n})`;
    return this.sim.alive[i] === 1 ? 'masked (not available now)' : `agent is dead: only ${this.sim.deadAction} is allowed`;
  }

  /**
   * Check `action` for agent i against the current mask. Strict: throw. Lenient: return the
   * fallback and count it. Returns the action to apply.
   */
  checkAction(i: number, action: unknown, policy: ActionPolicy): { action: number; replaced: boolean } {
    if (typeof action === 'number' && this.isAllowed(i, action)) return { action, replaced: false };
    if (policy === 'strict') throw new InvalidActionError(this.sim.agentNames[i], action, this.invalidReason(i, action));
    this.invalidCounts[i]++;
    return { action: this.fallbackAction(i), replaced: true };
  }
}
