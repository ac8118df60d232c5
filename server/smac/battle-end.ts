import type { BattleEnd } from '../env/episode-metrics.ts';
import type { EntityInfo } from '../env/simulation.ts';

/**
 * Follows one battle for its end report: which side lost a unit first (watched after every step
 * until the first loss) and, at the end, units and health left per side. Reads the simulation's
 * per-entity health fractions, so it sees what every viewer sees.
 */
export class BattleEndTracker {
  private readonly allies: readonly number[];
  private readonly enemies: readonly number[];
  private readonly health: Float32Array;
  private firstLoss: BattleEnd['firstLoss'] = 'none';
  private decided = false;

  constructor(entities: readonly EntityInfo[], health: Float32Array) {
    const allies: number[] = [];
    const enemies: number[] = [];
    entities.forEach((e, i) => {
      if (e.kind !== 'unit') return;
      if (e.team === 0) allies.push(i);
      else if (e.team === 1) enemies.push(i);
    });
    this.allies = allies;
    this.enemies = enemies;
    this.health = health;
  }

  reset(): void {
    this.firstLoss = 'none';
    this.decided = false;
  }

  afterStep(): void {
    if (this.decided) return;
    const allyDown = this.anyDown(this.allies);
    const enemyDown = this.anyDown(this.enemies);
    if (!allyDown && !enemyDown) return;
    this.decided = true;
    // Both in the same step: the step's order decided it, call it for neither.
    this.firstLoss = allyDown === enemyDown ? 'none' : allyDown ? 'ally' : 'enemy';
  }

  end(): BattleEnd {
    const [alliesLeft, allyHealthLeft] = this.left(this.allies);
    const [enemiesLeft, enemyHealthLeft] = this.left(this.enemies);
    return { alliesLeft, enemiesLeft, allyHealthLeft, enemyHealthLeft, firstLoss: this.firstLoss };
  }

  private anyDown(units: readonly number[]): boolean {
    for (const u of units) if (this.health[u] <= 0) return true;
    return false;
  }

  private left(units: readonly number[]): [number, number] {
    let left = 0;
    let health = 0;
    for (const u of units) {
      if (this.health[u] > 0) left++;
      health += Math.max(0, this.health[u]);
    }
    return [left, health / units.length];
  }
}
