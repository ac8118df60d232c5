import type { Battle } from './battle.ts';
import { ORDER } from './battle.ts';

/** The built-in enemy AIs a scenario can choose (`enemyAi`). */
export const ENEMY_AI_MODES = ['smaclite', 'chase'] as const;
export type EnemyAiMode = (typeof ENEMY_AI_MODES)[number];

/** Sets every live enemy's order, target and move-speed cap once per game tick, before movement. */
export interface EnemyAi {
  orders(): void;
  /** SMAClite heal(): a heal that cannot be given (target at full health, or too little energy) drops the healer's target. */
  readonly dropsFailedHealTarget: boolean;
}

export function makeEnemyAi(mode: EnemyAiMode, battle: Battle): EnemyAi {
  return mode === 'smaclite' ? new SmacliteEnemy(battle) : new ChaseEnemy(battle);
}

/** An ally out of the KD query but attacking the enemy enters SMAClite's candidate list at this distance. */
const FAR_ATTACKER_DISTANCE = 2e9;

/**
 * SMAClite's attack-move (smaclite/env/units/unit_command.py AttackMoveCommand and the target lists
 * built in smaclite/env/smaclite.py SMACliteEnv.__world_step), every game tick:
 * 1. clean_up_target: drop a dead target; keep a live one attacking this unit; else drop it when it
 *    is out of attack range (range + both radii).
 * 2. A fighter without a target picks among allies it can hit (by plane) that are within
 *    scan range + the ally's radius, or that attack it; key (healer ? 0 : 1, distance), so healers
 *    first, then the nearest. An attacker outside scan range + the map's largest radius counts at
 *    distance 2e9. Nothing to pick: walk to the attack point and stand there.
 * 3. While the allies have a live healer, a fighter whose target is not a healer re-picks by the
 *    same key every tick among the allies within scan range + the largest radius (no 2e9 entries),
 *    keeping its target when none qualifies.
 * 4. A healer without a target picks the friend with the lowest health among those within scan
 *    range + the friend's radius that are hurt or have a target; nothing to pick: walk to the
 *    attack point. It moves no faster than the slowest friend within scan range + the largest
 *    radius ("healers shouldn't overtake allies").
 * Healers are handled before fighters, so a healer sees the fighters' targets after clean-up and
 * before their new picks, as SMAClite's MMM does (its medivac is the first enemy).
 */
export class SmacliteEnemy implements EnemyAi {
  readonly dropsFailedHealTarget = true;
  private readonly battle: Battle;
  /** Largest unit radius on the map (SMAClite max_unit_radius), which widens the KD queries. */
  private readonly maxRadius: number;

  constructor(battle: Battle) {
    this.battle = battle;
    this.maxRadius = Math.max(...battle.radius);
  }

  orders(): void {
    const b = this.battle;
    for (let u = b.nAllies; u < b.n; u++) if (b.alive[u] === 1) this.cleanUpTarget(u);
    let allyHealer = false;
    for (let a = 0; a < b.nAllies; a++) if (b.alive[a] === 1 && b.healer[a] === 1) allyHealer = true;
    for (let u = b.nAllies; u < b.n; u++) if (b.alive[u] === 1 && b.healer[u] === 1) this.healerOrder(u);
    for (let u = b.nAllies; u < b.n; u++) {
      if (b.alive[u] === 0 || b.healer[u] === 1) continue;
      const t = b.target[u];
      if (t < 0) {
        const pick = this.pickTarget(u, true);
        if (pick >= 0) this.attack(u, pick);
        else this.moveToAttackPoint(u, b.speed[u]);
      } else {
        if (allyHealer && b.healer[t] === 0) {
          const pick = this.pickTarget(u, false);
          if (pick >= 0) b.target[u] = pick;
        }
        this.attack(u, b.target[u]);
      }
    }
  }

  private cleanUpTarget(u: number): void {
    const b = this.battle;
    const t = b.target[u];
    if (t < 0) return;
    if (b.alive[t] === 0) b.target[u] = -1;
    else if (b.isAttacking(t, u)) return;
    else if (!b.inReach(u, t)) b.target[u] = -1;
  }

  /**
   * SMAClite __pick_target_damage over the potential targets (`withFarAttackers`: allies attacking
   * u from beyond the query radius join at distance 2e9) or over the priority targets (without).
   * Ties keep the lowest ally index, the order SMAClite appends its candidates in.
   */
  pickTarget(u: number, withFarAttackers: boolean): number {
    const b = this.battle;
    const query = b.scanRange[u] + this.maxRadius;
    let best = -1;
    let bestPriority = 2;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let a = 0; a < b.nAllies; a++) {
      if (b.alive[a] === 0 || b.canTarget[u * b.n + a] === 0) continue;
      const d = b.distance(u, a);
      const attacking = b.isAttacking(a, u);
      let key: number;
      if (d <= query) {
        if (!(d < b.scanRange[u] + b.radius[a]) && !attacking) continue;
        key = d;
      } else if (withFarAttackers && attacking) {
        key = FAR_ATTACKER_DISTANCE;
      } else {
        continue;
      }
      const priority = b.healer[a] === 1 ? 0 : 1;
      if (priority < bestPriority || (priority === bestPriority && key < bestDistance)) {
        best = a;
        bestPriority = priority;
        bestDistance = key;
      }
    }
    return best;
  }

  private healerOrder(u: number): void {
    const b = this.battle;
    const query = b.scanRange[u] + this.maxRadius;
    let slowest = Number.POSITIVE_INFINITY;
    let pick = -1;
    let lowest = Number.POSITIVE_INFINITY;
    for (let f = b.nAllies; f < b.n; f++) {
      if (b.alive[f] === 0 || b.canTarget[u * b.n + f] === 0) continue;
      const d = b.distance(u, f);
      if (!(d <= query)) continue;
      slowest = Math.min(slowest, b.speed[f]);
      const wanted = b.hp[f] < b.maxHp[f] || b.target[f] >= 0;
      if (wanted && d < b.scanRange[u] + b.radius[f] && b.hp[f] < lowest) {
        lowest = b.hp[f];
        pick = f;
      }
    }
    const speed = Math.min(b.speed[u], slowest);
    if (b.target[u] >= 0) {
      // A kept target is within reach (clean-up dropped it otherwise): the healer does not move.
      this.attack(u, b.target[u]);
    } else if (pick >= 0) {
      this.attack(u, pick);
      b.moveSpeed[u] = speed;
    } else {
      this.moveToAttackPoint(u, speed);
    }
  }

  private attack(u: number, t: number): void {
    const b = this.battle;
    b.order[u] = ORDER.attack;
    b.target[u] = t;
    b.moveSpeed[u] = b.speed[u];
  }

  private moveToAttackPoint(u: number, speed: number): void {
    const b = this.battle;
    b.order[u] = ORDER.move;
    b.target[u] = -1;
    b.orderX[u] = b.attackPointX;
    b.orderY[u] = b.attackPointY;
    b.moveSpeed[u] = speed;
  }
}

/**
 * The enemy this project used before following SMAClite (scenario `enemyAi: "chase"`): keep a live
 * target while it is within reach or attacking this unit, else take the closest ally within scan
 * range (or one attacking this unit), non-healers first; with no target, walk toward the nearest
 * ally in sight, else toward the attack point, and once there toward the nearest ally anywhere.
 * Healers heal the most hurt friend within scan range and otherwise follow the nearest fighter.
 */
export class ChaseEnemy implements EnemyAi {
  readonly dropsFailedHealTarget = false;
  private readonly battle: Battle;

  constructor(battle: Battle) {
    this.battle = battle;
  }

  orders(): void {
    const b = this.battle;
    for (let u = b.nAllies; u < b.n; u++) {
      if (b.alive[u] === 0) continue;
      if (b.healer[u] === 1) this.healerOrder(u);
      else this.attackerOrder(u);
    }
  }

  private attackerOrder(u: number): void {
    const b = this.battle;
    let t = b.target[u];
    if (t >= 0 && (b.alive[t] === 0 || (!b.isAttacking(t, u) && !b.inReach(u, t)))) t = -1;
    if (t < 0) {
      let bestDistance = Number.POSITIVE_INFINITY;
      let bestHealer = 2;
      for (let a = 0; a < b.nAllies; a++) {
        if (b.alive[a] === 0 || b.canTarget[u * b.n + a] === 0) continue;
        const d = b.distance(u, a);
        if (!(d < b.scanRange[u] + b.radius[a]) && !b.isAttacking(a, u)) continue;
        const h = b.healer[a];
        if (h < bestHealer || (h === bestHealer && d < bestDistance)) {
          bestHealer = h;
          bestDistance = d;
          t = a;
        }
      }
    }
    if (t >= 0) {
      b.order[u] = ORDER.attack;
      b.target[u] = t;
      return;
    }
    b.target[u] = -1;
    b.order[u] = ORDER.move;
    const toPoint = Math.hypot(b.attackPointX - b.x[u], b.attackPointY - b.y[u]);
    const nearest = this.nearestAlly(u, toPoint > 1 ? b.sight[u] : Number.POSITIVE_INFINITY);
    if (nearest >= 0) {
      b.orderX[u] = b.x[nearest];
      b.orderY[u] = b.y[nearest];
    } else {
      b.orderX[u] = b.attackPointX;
      b.orderY[u] = b.attackPointY;
    }
  }

  private nearestAlly(u: number, within: number): number {
    const b = this.battle;
    let best = -1;
    let bestDistance = within;
    for (let a = 0; a < b.nAllies; a++) {
      if (b.alive[a] === 0 || b.canTarget[u * b.n + a] === 0) continue;
      const d = b.distance(u, a);
      if (d < bestDistance) {
        bestDistance = d;
        best = a;
      }
    }
    return best;
  }

  private healerOrder(u: number): void {
    const b = this.battle;
    let t = b.target[u];
    const keep = t >= 0 && b.alive[t] === 1 && b.hp[t] < b.maxHp[t] && b.distance(u, t) < b.scanRange[u] + b.radius[t];
    if (!keep) {
      t = -1;
      let lowest = Number.POSITIVE_INFINITY;
      for (let f = b.nAllies; f < b.n; f++) {
        if (b.alive[f] === 0 || b.canTarget[u * b.n + f] === 0 || b.hp[f] >= b.maxHp[f]) continue;
        if (!(b.distance(u, f) < b.scanRange[u] + b.radius[f])) continue;
        if (b.hp[f] < lowest) {
          lowest = b.hp[f];
          t = f;
        }
      }
    }
    if (t >= 0) {
      b.order[u] = ORDER.attack;
      b.target[u] = t;
      return;
    }
    b.target[u] = -1;
    let friend = -1;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let f = b.nAllies; f < b.n; f++) {
      if (f === u || b.alive[f] === 0 || b.healer[f] === 1) continue;
      const d = b.distance(u, f);
      if (d < bestDistance) {
        bestDistance = d;
        friend = f;
      }
    }
    if (friend >= 0 && bestDistance > b.radius[u] + b.radius[friend] + 1) {
      b.order[u] = ORDER.move;
      b.orderX[u] = b.x[friend];
      b.orderY[u] = b.y[friend];
    } else {
      b.order[u] = ORDER.stop;
    }
  }
}
