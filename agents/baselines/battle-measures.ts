import type { Battle } from '../../server/smac/battle.ts';

/** What the micro script measures on a battle's state: live units, distances, what a unit can take and deal. */

export function liveUnits(b: Battle, start: number, end: number): number[] {
  const units: number[] = [];
  for (let u = start; u < end; u++) if (b.alive[u] === 1) units.push(u);
  return units;
}

export function dist(b: Battle, u: number, v: number): number {
  return Math.hypot(b.x[v] - b.x[u], b.y[v] - b.y[u]);
}

/** Health plus shield: what a unit can still take. */
export function durability(b: Battle, u: number): number {
  return b.hp[u] + b.shield[u];
}

/** Damage of one attack of u on v after armor (marine on marine: 6); floored so a count of volleys stays finite. */
export function volley(b: Battle, u: number, v: number): number {
  return b.attacks[u] * Math.max(0.5, b.hitDamage[u * b.n + v] - b.armor[v]);
}

/** Any unit has taken damage: the fight has started even if nobody is in range now. */
export function anyoneHurt(b: Battle): boolean {
  for (let u = 0; u < b.n; u++) if (durability(b, u) < b.maxHp[u] + b.maxShield[u]) return true;
  return false;
}

export function centroidOf(b: Battle, units: number[]): [number, number] {
  let x = 0;
  let y = 0;
  for (const u of units) {
    x += b.x[u] / units.length;
    y += b.y[u] / units.length;
  }
  return [x, y];
}

/** Unit vector from the allies' centroid to the enemies' centroid. */
export function axisToEnemy(b: Battle, allies: number[], enemies: number[]): [number, number] {
  const [ax, ay] = centroidOf(b, allies);
  const [ex, ey] = centroidOf(b, enemies);
  const d = Math.hypot(ex - ax, ey - ay) || 1;
  return [(ex - ax) / d, (ey - ay) / d];
}
