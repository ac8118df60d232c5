import { TICK_SECONDS, type Battle, type Movement } from './battle.ts';
import type { Terrain } from './terrain.ts';

/** 2 substeps of 1/32 s per game tick (SMAX integrates 8 substeps of 1/16 s per 0.5 s step). */
export const KINEMATIC_SUBSTEPS_PER_TICK = 2;
const SUBSTEP_SECONDS = TICK_SECONDS / KINEMATIC_SUBSTEPS_PER_TICK;
/** Two push-apart passes per substep keep crowded units within ~6% of touching (one pass: ~12%). */
const PUSH_PASSES = 2;

/**
 * Our own movement, SMAX-style: each unit moves toward its goal at its speed, then every
 * overlapping pair on the same layer (ground or air) is pushed apart symmetrically by half the
 * overlap each, then every unit is kept on the map and every ground unit off unwalkable cells
 * (so a unit pushed toward a cliff stops at its edge). O(N^2) pairs: SMAC maps have at most a
 * few dozen units, where this beats a grid.
 */
export class KinematicMovement implements Movement {
  private readonly battle: Battle;
  private readonly terrain: Terrain;
  private readonly startX: Float64Array;
  private readonly startY: Float64Array;

  constructor(battle: Battle, terrain: Terrain) {
    this.battle = battle;
    this.terrain = terrain;
    this.startX = new Float64Array(battle.n);
    this.startY = new Float64Array(battle.n);
  }

  reset(): void {}

  remove(_u: number): void {}

  advanceTick(): void {
    const battle = this.battle;
    const n = battle.n;
    const { x, y, vx, vy, goalX, goalY, goalSpeed, radius, alive, air } = battle;
    const terrain = this.terrain;
    for (let s = 0; s < KINEMATIC_SUBSTEPS_PER_TICK; s++) {
      for (let u = 0; u < n; u++) {
        if (alive[u] === 0) continue;
        this.startX[u] = x[u];
        this.startY[u] = y[u];
        if (goalSpeed[u] <= 0) continue;
        const dx = goalX[u] - x[u];
        const dy = goalY[u] - y[u];
        const d = Math.sqrt(dx * dx + dy * dy);
        if (d <= 1e-9) continue;
        const step = Math.min(goalSpeed[u] * SUBSTEP_SECONDS, d);
        x[u] += (dx / d) * step;
        y[u] += (dy / d) * step;
      }
      for (let pass = 0; pass < PUSH_PASSES; pass++) this.pushApart();
      for (let u = 0; u < n; u++) {
        if (alive[u] === 0) continue;
        const p = terrain.confine(x[u], y[u], radius[u], air[u] === 0);
        x[u] = p.x;
        y[u] = p.y;
        vx[u] = (x[u] - this.startX[u]) / SUBSTEP_SECONDS;
        vy[u] = (y[u] - this.startY[u]) / SUBSTEP_SECONDS;
      }
    }
  }

  private pushApart(): void {
    const { n, x, y, radius, alive, air } = this.battle;
    for (let a = 0; a < n; a++) {
      if (alive[a] === 0) continue;
      for (let b = a + 1; b < n; b++) {
        if (alive[b] === 0 || air[a] !== air[b]) continue;
        const dx = x[b] - x[a];
        const dy = y[b] - y[a];
        const rsum = radius[a] + radius[b];
        const d2 = dx * dx + dy * dy;
        if (d2 >= rsum * rsum) continue;
        const d = Math.sqrt(d2);
        // Coincident centres: separate along x, lower index to the left, so the result is deterministic.
        const nx = d > 1e-9 ? dx / d : 1;
        const ny = d > 1e-9 ? dy / d : 0;
        const half = (rsum - d) / 2;
        x[a] -= nx * half;
        y[a] -= ny * half;
        x[b] += nx * half;
        y[b] += ny * half;
      }
    }
  }
}
