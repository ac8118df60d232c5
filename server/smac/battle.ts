import type { Rng } from '../../shared/rng.ts';
import type { StepEvents } from '../env/simulation.ts';
import type { EnemyAi } from './enemy-ai.ts';
import {
  ENERGY_PER_SECOND,
  HEAL_PER_ENERGY,
  HEAL_PER_SECOND,
  HEAL_START_ENERGY,
  SHIELD_REGEN_DELAY,
  SHIELD_REGEN_PER_SECOND,
  type UnitStats,
} from './unit-types.ts';

/** SMAClite: 16 game ticks per second, 8 ticks per env step (0.5 s). */
export const TICKS_PER_SECOND = 16;
export const TICK_SECONDS = 1 / TICKS_PER_SECOND;
export const TICKS_PER_STEP = 8;

/** Standing orders; `attack` heals when the unit is a healer. */
export const ORDER = { none: 0, stop: 1, move: 2, attack: 3 } as const;

/** Team indices, as in EntityInfo. */
export const ALLY = 0;
export const ENEMY = 1;

/** How the units move: matter-js bodies or our kinematic push-apart. */
export interface Movement {
  /** Units were placed anew (reset, --init): take positions from the battle, zero velocities, forget contacts. */
  reset(): void;
  /** Unit u died: it no longer moves or blocks. */
  remove(u: number): void;
  /** Move every live unit for one tick toward its goal; write positions and velocities back. */
  advanceTick(): void;
}

export type UnitSpec = { name: string; team: number; type: string; stats: UnitStats };

/**
 * The units of both armies as flat typed arrays (allies first, then enemies), their orders, and
 * one game tick of SMAClite's mechanics: the enemy AI's orders, movement goals, movement,
 * then cooldowns, shield and energy regeneration and attacks in a shuffled unit order.
 */
export class Battle {
  readonly n: number;
  readonly nAllies: number;
  readonly nEnemies: number;
  readonly width: number;
  readonly height: number;
  readonly specs: readonly UnitSpec[];
  readonly team: Uint8Array;
  readonly healer: Uint8Array;
  readonly air: Uint8Array;
  readonly maxHp: Float64Array;
  readonly maxShield: Float64Array;
  readonly maxEnergy: Float64Array;
  readonly startEnergy: Float64Array;
  readonly armor: Float64Array;
  readonly attacks: Int32Array;
  readonly attackRange: Float64Array;
  readonly cooldownMax: Float64Array;
  readonly speed: Float64Array;
  readonly radius: Float64Array;
  readonly sight: Float64Array;
  readonly scanRange: Float64Array;
  /** Raw damage per hit of unit a against unit b (damage + bonuses), at a * n + b. */
  readonly hitDamage: Float64Array;
  /** 1 where unit a can attack (or heal) unit b by plane, at a * n + b. */
  readonly canTarget: Uint8Array;

  readonly x: Float64Array;
  readonly y: Float64Array;
  readonly vx: Float64Array;
  readonly vy: Float64Array;
  readonly hp: Float64Array;
  readonly shield: Float64Array;
  readonly energy: Float64Array;
  readonly cooldown: Float64Array;
  /** Seconds left before the shield starts regenerating. */
  readonly shieldDelay: Float64Array;
  /** Healing bought with energy but not yet given (SMAClite healing_available). */
  readonly healPool: Float64Array;
  /** The unit healed last tick, -1 if none: starting a new heal needs 5 energy. */
  readonly lastHealTarget: Int32Array;
  readonly alive: Uint8Array;
  readonly order: Uint8Array;
  readonly orderX: Float64Array;
  readonly orderY: Float64Array;
  readonly target: Int32Array;
  /** Set by `prepare` when the target is within reach: the unit holds and fires this tick. */
  readonly attacking: Uint8Array;
  /** Movement goal for the current tick; goalSpeed 0 holds the unit in place. */
  readonly goalX: Float64Array;
  readonly goalY: Float64Array;
  readonly goalSpeed: Float64Array;
  /** Speed of the unit's walks: its own speed, or less when the enemy AI slows a healer to its friends' pace. */
  readonly moveSpeed: Float64Array;
  readonly events: StepEvents = { attacks: [], heals: [] };
  attackPointX: number;
  attackPointY: number;
  /** Set by the owner after construction. */
  movement: Movement | null = null;
  /** Set by the owner after construction. */
  enemyAi: EnemyAi | null = null;
  private readonly tickOrder: Int32Array;

  constructor(specs: readonly UnitSpec[], width: number, height: number, attackPoint: readonly [number, number]) {
    const n = specs.length;
    this.n = n;
    this.specs = specs;
    this.nAllies = specs.filter((s) => s.team === ALLY).length;
    this.nEnemies = n - this.nAllies;
    this.width = width;
    this.height = height;
    this.attackPointX = attackPoint[0];
    this.attackPointY = attackPoint[1];
    const f = (): Float64Array => new Float64Array(n);
    this.team = Uint8Array.from(specs, (s) => s.team);
    this.healer = Uint8Array.from(specs, (s) => (s.stats.role === 'heal' ? 1 : 0));
    this.air = Uint8Array.from(specs, (s) => (s.stats.plane === 'air' ? 1 : 0));
    this.maxHp = Float64Array.from(specs, (s) => s.stats.hp);
    this.maxShield = Float64Array.from(specs, (s) => s.stats.shield);
    this.maxEnergy = Float64Array.from(specs, (s) => s.stats.energy);
    this.startEnergy = Float64Array.from(specs, (s) => s.stats.startEnergy);
    this.armor = Float64Array.from(specs, (s) => s.stats.armor);
    this.attacks = Int32Array.from(specs, (s) => s.stats.attacks);
    this.attackRange = Float64Array.from(specs, (s) => s.stats.attackRange);
    this.cooldownMax = Float64Array.from(specs, (s) => s.stats.cooldown);
    this.speed = Float64Array.from(specs, (s) => s.stats.speed);
    this.radius = Float64Array.from(specs, (s) => s.stats.radius);
    this.sight = Float64Array.from(specs, (s) => s.stats.sight);
    this.scanRange = Float64Array.from(specs, (s) => s.stats.scanRange);
    this.hitDamage = new Float64Array(n * n);
    this.canTarget = new Uint8Array(n * n);
    for (let a = 0; a < n; a++) {
      const sa = specs[a].stats;
      for (let b = 0; b < n; b++) {
        const sb = specs[b].stats;
        let damage = sa.damage;
        for (const attribute of sb.attributes) damage += sa.bonus[attribute] ?? 0;
        this.hitDamage[a * n + b] = damage;
        this.canTarget[a * n + b] = a !== b && sa.targets.includes(sb.plane) ? 1 : 0;
      }
    }
    this.x = f();
    this.y = f();
    this.vx = f();
    this.vy = f();
    this.hp = f();
    this.shield = f();
    this.energy = f();
    this.cooldown = f();
    this.shieldDelay = f();
    this.healPool = f();
    this.lastHealTarget = new Int32Array(n);
    this.alive = new Uint8Array(n);
    this.order = new Uint8Array(n);
    this.orderX = f();
    this.orderY = f();
    this.target = new Int32Array(n);
    this.attacking = new Uint8Array(n);
    this.goalX = f();
    this.goalY = f();
    this.goalSpeed = f();
    this.moveSpeed = Float64Array.from(this.speed);
    this.tickOrder = new Int32Array(n);
  }

  /** Full health, shields and starting energy, no orders; positions are set by the caller. */
  resetUnits(): void {
    this.hp.set(this.maxHp);
    this.shield.set(this.maxShield);
    this.energy.set(this.startEnergy);
    this.cooldown.fill(0);
    this.shieldDelay.fill(0);
    this.healPool.fill(0);
    this.lastHealTarget.fill(-1);
    this.alive.fill(1);
    this.order.fill(ORDER.none);
    this.target.fill(-1);
    this.attacking.fill(0);
    this.vx.fill(0);
    this.vy.fill(0);
    this.moveSpeed.set(this.speed);
  }

  distance(a: number, b: number): number {
    const dx = this.x[b] - this.x[a];
    const dy = this.y[b] - this.y[a];
    return Math.sqrt(dx * dx + dy * dy);
  }

  /** SMAClite has_within_attack_range: attack range plus both radii. */
  inReach(a: number, b: number): boolean {
    const reach = this.attackRange[a] + this.radius[a] + this.radius[b];
    const dx = this.x[b] - this.x[a];
    const dy = this.y[b] - this.y[a];
    return dx * dx + dy * dy <= reach * reach;
  }

  /** True while unit a has a standing order to attack b. */
  isAttacking(a: number, b: number): boolean {
    return this.alive[a] === 1 && this.order[a] === ORDER.attack && this.target[a] === b;
  }

  /** One game tick; returns nothing, the caller reads health and deaths afterwards. */
  tick(rng: Rng): void {
    this.enemyAi!.orders();
    this.prepareGoals();
    this.movement!.advanceTick();
    const n = this.n;
    let live = 0;
    for (let u = 0; u < n; u++) if (this.alive[u] === 1) this.tickOrder[live++] = u;
    // SMAClite shuffles the unit order every tick so no unit always fires first.
    for (let i = live - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const swap = this.tickOrder[i];
      this.tickOrder[i] = this.tickOrder[j];
      this.tickOrder[j] = swap;
    }
    for (let k = 0; k < live; k++) {
      const u = this.tickOrder[k];
      if (this.hp[u] <= 0) continue;
      this.regenerate(u);
      if (this.attacking[u] === 1) this.execute(u);
    }
    for (let u = 0; u < n; u++) {
      if (this.alive[u] === 1 && this.hp[u] <= 0) {
        this.alive[u] = 0;
        this.vx[u] = 0;
        this.vy[u] = 0;
        this.attacking[u] = 0;
        this.movement!.remove(u);
      }
    }
  }

  private regenerate(u: number): void {
    if (this.cooldown[u] > 0) this.cooldown[u] = Math.max(0, this.cooldown[u] - TICK_SECONDS);
    if (this.shieldDelay[u] > 0) this.shieldDelay[u] = Math.max(0, this.shieldDelay[u] - TICK_SECONDS);
    if (this.shieldDelay[u] === 0 && this.shield[u] < this.maxShield[u]) {
      this.shield[u] = Math.min(this.maxShield[u], this.shield[u] + SHIELD_REGEN_PER_SECOND * TICK_SECONDS);
    }
    if (this.energy[u] < this.maxEnergy[u]) {
      this.energy[u] = Math.min(this.maxEnergy[u], this.energy[u] + ENERGY_PER_SECOND * TICK_SECONDS);
    }
  }

  private execute(u: number): void {
    const t = this.target[u];
    if (t < 0 || this.hp[t] <= 0) return;
    if (this.healer[u] === 1) {
      this.heal(u, t);
      return;
    }
    if (this.cooldown[u] > 0) return;
    this.cooldown[u] = this.cooldownMax[u];
    const amount = this.hitDamage[u * this.n + t];
    for (let k = 0; k < this.attacks[u]; k++) this.damage(t, amount);
    this.events.attacks.push(u, t);
  }

  /** SMAClite take_damage: shields absorb first, armor is subtracted from what gets through. */
  damage(t: number, amount: number): void {
    if (this.hp[t] <= 0) return;
    if (this.maxShield[t] > 0) this.shieldDelay[t] = SHIELD_REGEN_DELAY;
    let rest = amount;
    if (this.shield[t] > 0) {
      const absorbed = Math.min(rest, this.shield[t]);
      this.shield[t] -= absorbed;
      rest -= absorbed;
    }
    const dealt = Math.max(0, Math.min(rest - this.armor[t], this.hp[t]));
    this.hp[t] -= dealt;
  }

  /** SMAClite heal: 9 HP/s paid with energy (1 energy per 3 HP); a new target needs 5 energy. */
  private heal(u: number, t: number): void {
    if ((this.lastHealTarget[u] !== t && this.energy[u] < HEAL_START_ENERGY) || this.hp[t] >= this.maxHp[t]) {
      this.lastHealTarget[u] = -1;
      // An ally's target is its standing order, which outlives a failed heal.
      if (this.team[u] === ENEMY && this.enemyAi!.dropsFailedHealTarget) this.target[u] = -1;
      return;
    }
    const desired = Math.min(this.maxHp[t] - this.hp[t], HEAL_PER_SECOND * TICK_SECONDS);
    if (this.healPool[u] < desired) {
      const spent = Math.min(1, this.energy[u]);
      this.energy[u] -= spent;
      this.healPool[u] += spent * HEAL_PER_ENERGY;
    }
    const amount = Math.min(desired, this.healPool[u]);
    this.healPool[u] -= amount;
    this.hp[t] += amount;
    this.lastHealTarget[u] = t;
    this.events.heals.push(u, t);
  }

  /** Turn standing orders into this tick's movement goal and attacking flag (SMAClite prepare_velocity). */
  private prepareGoals(): void {
    const n = this.n;
    for (let u = 0; u < n; u++) {
      this.attacking[u] = 0;
      this.goalSpeed[u] = 0;
      if (this.alive[u] === 0) continue;
      const order = this.order[u];
      if (order === ORDER.move) {
        this.setGoal(u, this.orderX[u], this.orderY[u]);
      } else if (order === ORDER.attack) {
        const t = this.target[u];
        if (t < 0 || this.alive[t] === 0) continue;
        if (this.canTarget[u * n + t] === 1 && this.inReach(u, t)) this.attacking[u] = 1;
        // Out of reach, or a target this unit cannot hit (a marauder ordered onto a medivac): close in.
        else this.setGoal(u, this.x[t], this.y[t]);
      }
    }
  }

  private setGoal(u: number, gx: number, gy: number): void {
    this.goalX[u] = gx;
    this.goalY[u] = gy;
    this.goalSpeed[u] = this.moveSpeed[u];
  }
}
