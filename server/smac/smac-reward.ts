import { ENEMY, type Battle } from './battle.ts';
import type { SmacScenarioFile } from './schema.ts';

/**
 * SMAC's team reward: reward_battle (damage and deaths dealt, less those taken unless
 * only-positive) plus the win/defeat terms, scaled by max_reward / scaleRate; or the sparse ±1.
 * `beforeStep` records each unit's health so the step's deltas can be read after it.
 */
export class SmacReward {
  /** SMAC's max_reward: every enemy's death value, the win bonus and the enemies' health and shields. */
  readonly maxReward: number;
  private readonly battle: Battle;
  private readonly settings: SmacScenarioFile['reward'];
  private readonly previousHealth: Float64Array;
  private readonly wasAlive: Uint8Array;

  constructor(battle: Battle, settings: SmacScenarioFile['reward'], enemyUnits: readonly number[]) {
    this.battle = battle;
    this.settings = settings;
    this.previousHealth = new Float64Array(battle.n);
    this.wasAlive = new Uint8Array(battle.n);
    let enemyPool = 0;
    for (const u of enemyUnits) enemyPool += battle.maxHp[u] + battle.maxShield[u];
    this.maxReward = battle.nEnemies * settings.deathValue + settings.win + enemyPool;
  }

  beforeStep(): void {
    const battle = this.battle;
    for (let u = 0; u < battle.n; u++) {
      this.wasAlive[u] = battle.alive[u];
      this.previousHealth[u] = battle.hp[u] + battle.shield[u];
    }
  }

  /** The reward of the step since `beforeStep`. */
  afterStep(won: boolean, lost: boolean): number {
    const battle = this.battle;
    const r = this.settings;
    let reward: number;
    if (r.sparse) {
      reward = won ? 1 : lost ? -1 : 0;
    } else {
      let deltaEnemy = 0;
      let deltaDeaths = 0;
      let deltaAlly = 0;
      for (let u = 0; u < battle.n; u++) {
        if (this.wasAlive[u] === 0) continue;
        const previous = this.previousHealth[u];
        const dead = battle.alive[u] === 0;
        if (battle.team[u] === ENEMY) {
          if (dead) {
            deltaDeaths += r.deathValue;
            deltaEnemy += previous;
          } else {
            deltaEnemy += previous - battle.hp[u] - battle.shield[u];
          }
        } else if (dead) {
          if (!r.onlyPositive) deltaDeaths -= r.deathValue * r.negativeScale;
          deltaAlly += previous * r.negativeScale;
        } else {
          deltaAlly += r.negativeScale * (previous - battle.hp[u] - battle.shield[u]);
        }
      }
      // SMAC takes the absolute value, so enemy shield regeneration and healing also pay.
      reward = r.onlyPositive ? Math.abs(deltaEnemy + deltaDeaths) : deltaEnemy + deltaDeaths - deltaAlly;
      if (won) reward += r.win;
      else if (lost) reward += r.defeat;
    }
    if (r.scale) reward /= this.maxReward / r.scaleRate;
    return reward;
  }
}
