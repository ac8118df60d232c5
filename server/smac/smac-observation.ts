import { ACTION } from '../../shared/smac-actions.ts';
import { makeLayout, type ObservationLayout, type RawObservation } from '../env/layout.ts';
import { ALLY, ENEMY, TICKS_PER_SECOND, type Battle, type UnitSpec } from './battle.ts';
import type { SmacScenarioFile } from './schema.ts';
import type { Terrain } from './terrain.ts';
import { builtInType } from './unit-stats.ts';
import { SMAC_DEFAULT_COOLDOWN_LOOPS, SMAC_STATE_COOLDOWN_LOOPS } from './unit-types.ts';

/** Unit vectors of the move actions N, S, E, W (SC2 coordinates: north is +y). */
export const MOVE_DX = [0, 0, 1, -1] as const;
export const MOVE_DY = [1, -1, 0, 0] as const;

/**
 * What the agents and the critic see of a SMAC battle: SMAC's observation (with obs_all_health,
 * no obs_last_action), its state (with state_last_action) and its action masks.
 */
export class SmacObservation {
  readonly layout: ObservationLayout;
  readonly stateSize: number;
  readonly nActions: number;
  private readonly battle: Battle;
  private readonly terrain: Terrain;
  private readonly lastActions: Int32Array;
  private readonly nAgents: number;
  private readonly nEnemies: number;
  private readonly sightRange: number;
  private readonly shootRange: number;
  private readonly halfMove: number;
  private readonly shieldBitsAlly: number;
  private readonly shieldBitsEnemy: number;
  private readonly typeBits: number;
  /** Each unit's index in its side's unit type bits, or -1 without them. */
  private readonly typeIndex: Int32Array;
  private readonly enemyStride: number;
  private readonly allyStride: number;
  private readonly allyStateStride: number;
  private readonly enemyStateStride: number;
  /** Per unit: the factor that turns its weapon cooldown (a healer's energy) into SMAC's state feature. */
  private readonly stateCooldownScale: Float64Array;

  /** `lastActions`: the agents' actions of the last step (-1: none yet), which the state carries. */
  constructor(file: SmacScenarioFile, battle: Battle, terrain: Terrain, specs: readonly UnitSpec[], lastActions: Int32Array) {
    this.battle = battle;
    this.terrain = terrain;
    this.lastActions = lastActions;
    this.nAgents = battle.nAllies;
    this.nEnemies = battle.nEnemies;
    this.nActions = ACTION.firstTarget + this.nEnemies;
    this.sightRange = file.ranges.sight;
    this.shootRange = file.ranges.shoot;
    this.halfMove = file.ranges.moveAmount / 2;

    // SMAC gives a side shield features when its race is Protoss; here: when any of its units has shields.
    this.shieldBitsAlly = specs.some((s) => s.team === ALLY && s.stats.shield > 0) ? 1 : 0;
    this.shieldBitsEnemy = specs.some((s) => s.team === ENEMY && s.stats.shield > 0) ? 1 : 0;
    const allyTypes = file.unitTypeBits?.allies ?? [];
    const enemyTypes = file.unitTypeBits?.enemies ?? [];
    this.typeBits = allyTypes.length;
    this.typeIndex = Int32Array.from(specs, (s) => (this.typeBits === 0 ? -1 : (s.team === ALLY ? allyTypes : enemyTypes).indexOf(s.type)));
    const typeNames = (types: readonly string[]): string[] => types.map((t) => `type_${t}`);
    const enemyFeatures = ['available_to_attack', 'distance', 'dx', 'dy', 'health', ...(this.shieldBitsEnemy ? ['shield'] : []), ...typeNames(enemyTypes)];
    const allyFeatures = ['visible', 'distance', 'dx', 'dy', 'health', ...(this.shieldBitsAlly ? ['shield'] : []), ...typeNames(allyTypes)];
    const ownFeatures = ['health', ...(this.shieldBitsAlly ? ['shield'] : []), ...typeNames(allyTypes)];
    this.enemyStride = enemyFeatures.length;
    this.allyStride = allyFeatures.length;
    this.layout = makeLayout([
      { name: 'move', rows: 1, features: ['north', 'south', 'east', 'west'], spatial: false },
      { name: 'enemies', rows: this.nEnemies, features: enemyFeatures, spatial: true },
      { name: 'allies', rows: this.nAgents - 1, features: allyFeatures, spatial: true },
      { name: 'own', rows: 1, features: ownFeatures, spatial: false },
    ]);
    this.allyStateStride = 4 + this.shieldBitsAlly + this.typeBits;
    this.enemyStateStride = 3 + this.shieldBitsEnemy + this.typeBits;
    this.stateSize = this.nAgents * this.allyStateStride + this.nEnemies * this.enemyStateStride + this.nAgents * this.nActions;
    // SMAC's state: weapon_cooldown in game loops (one tick here) over a fixed count per type.
    this.stateCooldownScale = Float64Array.from(specs, (s, u) => {
      if (battle.healer[u] === 1) return battle.maxEnergy[u] > 0 ? 1 / battle.maxEnergy[u] : 0;
      if (file.clock === 'smac') return TICKS_PER_SECOND / (SMAC_STATE_COOLDOWN_LOOPS[builtInType(file, s.type)] ?? SMAC_DEFAULT_COOLDOWN_LOOPS);
      return battle.cooldownMax[u] > 0 ? 1 / battle.cooldownMax[u] : 0;
    });
  }

  /** SMAC can_move: the cell half a move ahead (move_amount / 2) must be on the map and walkable. */
  private canMove(u: number, m: number): boolean {
    const battle = this.battle;
    return this.terrain.isWalkable(battle.x[u] + MOVE_DX[m] * this.halfMove, battle.y[u] + MOVE_DY[m] * this.halfMove);
  }

  /** Whether agent i may use target slot j now (attack enemy j, or heal ally j for a healer). */
  private slotAvailable(i: number, j: number): boolean {
    const battle = this.battle;
    if (battle.healer[i] === 1) {
      // SMAC: medivacs heal allies, but not themselves or other medivacs (air units).
      if (j >= this.nAgents || battle.alive[j] === 0 || battle.canTarget[i * battle.n + j] === 0) return false;
      return battle.distance(i, j) <= this.shootRange;
    }
    const e = this.nAgents + j;
    return battle.alive[e] === 1 && battle.distance(i, e) <= this.shootRange;
  }

  writeMask(agent: number, out: Uint8Array, offset: number): void {
    out.fill(0, offset, offset + this.nActions);
    if (this.battle.alive[agent] === 0) {
      out[offset + ACTION.noop] = 1;
      return;
    }
    out[offset + ACTION.stop] = 1;
    for (let m = 0; m < 4; m++) if (this.canMove(agent, m)) out[offset + ACTION.north + m] = 1;
    for (let j = 0; j < this.nEnemies; j++) if (this.slotAvailable(agent, j)) out[offset + ACTION.firstTarget + j] = 1;
  }

  observe(agent: number, out: RawObservation): void {
    const battle = this.battle;
    const values = out.values;
    values.fill(0);
    const sight = this.sightRange;
    const i = agent;
    for (let m = 0; m < 4; m++) values[m] = this.canMove(i, m) ? 1 : 0;
    let row = out.rowStart[1];
    let o = out.layout.offsets[1];
    for (let j = 0; j < this.nEnemies; j++, row++, o += this.enemyStride) {
      const e = this.nAgents + j;
      const d = battle.distance(i, e);
      out.distance[row] = d;
      if (battle.alive[e] === 0 || !(d < sight)) {
        out.present[row] = 0;
        continue;
      }
      out.present[row] = 1;
      // SMAC copies avail_actions[6 + j]: for a medivac that is the heal slot of ally j.
      values[o] = this.slotAvailable(i, j) ? 1 : 0;
      values[o + 1] = d / sight;
      values[o + 2] = (battle.x[e] - battle.x[i]) / sight;
      values[o + 3] = (battle.y[e] - battle.y[i]) / sight;
      this.writeUnitFeatures(e, values, o + 4, this.shieldBitsEnemy);
    }
    row = out.rowStart[2];
    o = out.layout.offsets[2];
    for (let a = 0; a < this.nAgents; a++) {
      if (a === i) continue;
      const d = battle.distance(i, a);
      out.distance[row] = d;
      if (battle.alive[a] === 0 || !(d < sight)) {
        out.present[row] = 0;
      } else {
        out.present[row] = 1;
        values[o] = 1;
        values[o + 1] = d / sight;
        values[o + 2] = (battle.x[a] - battle.x[i]) / sight;
        values[o + 3] = (battle.y[a] - battle.y[i]) / sight;
        this.writeUnitFeatures(a, values, o + 4, this.shieldBitsAlly);
      }
      row++;
      o += this.allyStride;
    }
    this.writeUnitFeatures(i, values, out.layout.offsets[3], this.shieldBitsAlly);
  }

  /** health, [shield], [type one-hot] of unit u at values[o ..]. */
  private writeUnitFeatures(u: number, values: Float32Array, o: number, shieldBits: number): void {
    const battle = this.battle;
    values[o] = battle.hp[u] / battle.maxHp[u];
    this.writeShieldAndType(u, values, o + 1, shieldBits);
  }

  /** [shield], [type one-hot] of unit u from out[k ..]: the tail of its observation and state rows. */
  private writeShieldAndType(u: number, out: Float32Array, k: number, shieldBits: number): void {
    const battle = this.battle;
    if (shieldBits === 1) out[k] = battle.maxShield[u] > 0 ? battle.shield[u] / battle.maxShield[u] : 0;
    const type = this.typeIndex[u];
    if (type >= 0) out[k + shieldBits + type] = 1;
  }

  writeState(out: Float32Array, offset: number): void {
    const battle = this.battle;
    out.fill(0, offset, offset + this.stateSize);
    const cx = battle.width / 2;
    const cy = battle.height / 2;
    let o = offset;
    for (let a = 0; a < this.nAgents; a++, o += this.allyStateStride) {
      if (battle.alive[a] === 0) continue;
      out[o] = battle.hp[a] / battle.maxHp[a];
      // SMAC: weapon cooldown (a medivac's energy) over a per-type maximum.
      out[o + 1] = (battle.healer[a] === 1 ? battle.energy[a] : battle.cooldown[a]) * this.stateCooldownScale[a];
      out[o + 2] = (battle.x[a] - cx) / battle.width;
      out[o + 3] = (battle.y[a] - cy) / battle.height;
      this.writeShieldAndType(a, out, o + 4, this.shieldBitsAlly);
    }
    for (let j = 0; j < this.nEnemies; j++, o += this.enemyStateStride) {
      const e = this.nAgents + j;
      if (battle.alive[e] === 0) continue;
      out[o] = battle.hp[e] / battle.maxHp[e];
      out[o + 1] = (battle.x[e] - cx) / battle.width;
      out[o + 2] = (battle.y[e] - cy) / battle.height;
      this.writeShieldAndType(e, out, o + 3, this.shieldBitsEnemy);
    }
    for (let i = 0; i < this.nAgents; i++, o += this.nActions) {
      const action = this.lastActions[i];
      if (action >= 0) out[o + action] = 1;
    }
  }
}
