import type { Battle } from '../../server/smac/battle.ts';
import type { SmacSimulation } from '../../server/smac/smac-simulation.ts';
import { ACTION } from '../../shared/smac-actions.ts';
import { MICRO } from './micro-settings.ts';

/** The move actions N, S, E, W and their unit vectors (SC2 coordinates: north is +y). */
const MOVES = [
  { action: ACTION.north, dx: 0, dy: 1 },
  { action: ACTION.south, dx: 0, dy: -1 },
  { action: ACTION.east, dx: 1, dy: 0 },
  { action: ACTION.west, dx: -1, dy: 0 },
] as const;

/**
 * Every ally's action mask at the current env step, and the scripted micro's questions about
 * them: may ally a shoot this enemy, which allowed move goes most along a direction, which opens
 * the most distance from its attackers. Every action it answers with is in the ally's mask.
 */
export class TeamMasks {
  nActions = 0;
  private nAllies = 0;
  private masks = new Uint8Array(0);

  /** Size the masks for the simulation's team. */
  attach(sim: SmacSimulation): void {
    this.nAllies = sim.battle.nAllies;
    this.nActions = sim.actionCounts[0];
    this.masks = new Uint8Array(sim.agentNames.length * this.nActions);
  }

  /** Read every live ally's mask of this env step. */
  read(sim: SmacSimulation): void {
    for (let a = 0; a < this.nAllies; a++) sim.writeMask(a, this.masks, a * this.nActions);
  }

  /** The allowed move maximising the distance to the nearest attacker after `escapeLookahead`: [action, gain]; stop if none gains. */
  bestEscape(b: Battle, a: number, attackers: number[]): [number, number] {
    const nearest = (x: number, y: number): number => Math.min(...attackers.map((e) => Math.hypot(b.x[e] - x, b.y[e] - y)));
    const now = nearest(b.x[a], b.y[a]);
    let best: number = ACTION.stop;
    let bestGain = 0;
    for (const m of MOVES) {
      if (!this.allowed(a, m.action)) continue;
      const gain = nearest(b.x[a] + MICRO.escapeLookahead * m.dx, b.y[a] + MICRO.escapeLookahead * m.dy) - now;
      if (gain > bestGain) {
        bestGain = gain;
        best = m.action;
      }
    }
    return [best, bestGain];
  }

  /** The allowed move most along (sign 1) or against (sign -1) the direction (dx, dy); stop if no move is allowed. */
  moveAlong(a: number, dx: number, dy: number, sign: number): number {
    let best: number = ACTION.stop;
    let bestValue = -Infinity;
    // Strict '>' keeps the first of equal moves, in N, S, E, W order, as the probe's stable sort did.
    for (const m of MOVES) {
      const value = sign * (m.dx * dx + m.dy * dy);
      if (this.allowed(a, m.action) && value > bestValue) {
        bestValue = value;
        best = m.action;
      }
    }
    return best;
  }

  /** Enemy units follow the allies in the battle's arrays; target slot j is enemy j. */
  targetAction(enemy: number): number {
    return ACTION.firstTarget + enemy - this.nAllies;
  }

  canTarget(a: number, enemy: number): boolean {
    return this.allowed(a, this.targetAction(enemy));
  }

  allowed(a: number, action: number): boolean {
    return this.masks[a * this.nActions + action] === 1;
  }
}
