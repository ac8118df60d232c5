import type { Rng } from '../../shared/rng.ts';
import { makeLayout, type ObservationLayout, type RawObservation } from '../env/layout.ts';
import type { EntityInfo, EpisodeMetrics, InitialState, Simulation, StepEvents } from '../env/simulation.ts';
import { BattleEndTracker } from './battle-end.ts';
import { ALLY, Battle, ENEMY, ORDER, TICKS_PER_SECOND, TICKS_PER_STEP, TICK_SECONDS, type Movement, type UnitSpec } from './battle.ts';
import { makeEnemyAi } from './enemy-ai.ts';
import { KinematicMovement } from './kinematic-movement.ts';
import { MATTER_SETTINGS, MatterMovement, type MatterSettings } from './matter-movement.ts';
import type { SmacPhysics, SmacScenarioFile } from './schema.ts';
import { StartPlacement } from './starts.ts';
import { Terrain } from './terrain.ts';
import { ACTION } from '../../shared/smac-actions.ts';
import { SMAC_DEFAULT_COOLDOWN_LOOPS, SMAC_STATE_COOLDOWN_LOOPS, toSmacClock, UNIT_TYPES, type UnitStats } from './unit-types.ts';

export { ACTION };

/** Unit vectors of the move actions N, S, E, W (SC2 coordinates: north is +y). */
const MOVE_DX = [0, 0, 1, -1] as const;
const MOVE_DY = [1, -1, 0, 0] as const;

/**
 * A unit type's stats after the scenario's overrides (`units.<type>`, optionally from a `base`).
 * On SMAC's clock the built-in stats are converted to Normal seconds first; overrides are taken
 * as written, in the scenario's clock.
 */
export function resolveUnitStats(file: SmacScenarioFile, type: string): UnitStats {
  const override = file.units[type];
  const baseName = builtInType(file, type);
  const builtIn = UNIT_TYPES[baseName];
  if (!builtIn) throw new Error(`scenario '${file.name}': unknown unit type '${type}'`);
  const base = file.clock === 'smac' ? toSmacClock(baseName, builtIn) : builtIn;
  const { base: _base, ...stats } = override ?? {};
  return { ...base, ...stats };
}

/** The built-in type a scenario's unit type starts from. */
function builtInType(file: SmacScenarioFile, type: string): string {
  return file.units[type]?.base ?? type;
}

/**
 * A SMAC-style battle as a Simulation: SMAC's observation, state, action and mask layouts (with
 * obs_all_health, no obs_last_action, state_last_action), SMAC's shaped reward, SMAClite's unit
 * mechanics at 16 ticks/s with 8 ticks per env step, movement on matter-js or kinematic.
 */
export class SmacSimulation implements Simulation {
  readonly agentNames: readonly string[];
  readonly actionCounts: readonly number[];
  readonly actionNames: readonly (readonly string[])[];
  readonly layouts: readonly ObservationLayout[];
  readonly stateSize: number;
  readonly maxSteps: number;
  readonly dt = TICKS_PER_STEP * TICK_SECONDS;
  readonly defaultAction: readonly number[];
  readonly deadAction = ACTION.noop;
  readonly entities: readonly EntityInfo[];
  readonly bounds: readonly [number, number, number, number];
  readonly ranges: readonly { readonly sight: number; readonly attack: number }[];
  readonly alive: Uint8Array;
  readonly positions: Float32Array;
  readonly velocities: Float32Array;
  readonly health: Float32Array;
  readonly shield: Float32Array;
  readonly events: StepEvents;
  t = 0;
  terminated = false;
  won = false;

  readonly battle: Battle;
  readonly physics: SmacPhysics;
  readonly terrain: Terrain;
  /** max_reward of SMAC: kills, win and every enemy's health and shield. */
  readonly maxReward: number;
  private readonly file: SmacScenarioFile;
  private readonly movement: Movement;
  private readonly nAgents: number;
  private readonly nEnemies: number;
  private readonly nActions: number;
  private readonly sightRange: number;
  private readonly shootRange: number;
  private readonly halfMove: number;
  private readonly shieldBitsAlly: number;
  private readonly shieldBitsEnemy: number;
  private readonly typeBits: number;
  /** Per unit: index of its type in its side's one-hot, -1 without type bits. */
  private readonly typeIndex: Int32Array;
  private readonly enemyStride: number;
  private readonly allyStride: number;
  private readonly allyStateStride: number;
  private readonly enemyStateStride: number;
  /** Per unit: what its state cooldown (or a healer's energy) is multiplied by. */
  private readonly stateCooldownScale: Float64Array;
  /**
   * On SMAC's clock, reaching maxSteps sets `terminated` (SMAC's continuing_episode False: learners
   * do not bootstrap a timeout); on SMAClite's the env truncates there, and learners bootstrap.
   */
  private readonly timeoutTerminates: boolean;
  private readonly lastActions: Int32Array;
  private readonly previousHealth: Float64Array;
  private readonly wasAlive: Uint8Array;
  private readonly entityIndex: ReadonlyMap<string, number>;
  private readonly starts: StartPlacement;
  private rng: Rng | null = null;
  private readonly battleEnd: BattleEndTracker;

  /** `matterSettings` tunes the `matter` movement; only the benchmark's reference and tests change it. */
  constructor(file: SmacScenarioFile, physics: SmacPhysics, matterSettings: MatterSettings = MATTER_SETTINGS) {
    this.file = file;
    this.physics = physics;
    const specs: UnitSpec[] = [];
    const expand = (side: 'allies' | 'enemies', team: number, prefix: string): number[] => {
      const indices: number[] = [];
      let k = 0;
      for (const group of file[side].units) {
        const stats = resolveUnitStats(file, group.type);
        for (let c = 0; c < group.count; c++) {
          indices.push(specs.length);
          specs.push({ name: `${prefix}_${k++}`, team, type: group.type, stats });
        }
      }
      return indices;
    };
    const allyUnits = expand('allies', ALLY, 'agent');
    const enemyUnits = expand('enemies', ENEMY, 'enemy');
    const attackPoint = file.attackPoint ?? file.allies.spawn;
    this.battle = new Battle(specs, file.map.width, file.map.height, attackPoint);
    const battle = this.battle;
    this.nAgents = battle.nAllies;
    this.nEnemies = battle.nEnemies;
    this.nActions = ACTION.firstTarget + this.nEnemies;
    if (this.nAgents > this.nEnemies && specs.some((s) => s.team === ALLY && s.stats.role === 'heal')) {
      throw new Error(
        `scenario '${file.name}': an allied healer's heal actions use the ${this.nEnemies} target slots (SMAC's n_actions = 6 + n_enemies), so the allies (${this.nAgents}) must not outnumber the enemies`,
      );
    }
    this.terrain = new Terrain(file.terrain, file.map.width, file.map.height);
    this.starts = new StartPlacement(battle, this.terrain, [
      { units: allyUnits, spawn: file.allies.spawn, jitter: file.allies.jitter, mirror: 1 },
      { units: enemyUnits, spawn: file.enemies.spawn, jitter: file.enemies.jitter, mirror: -1 },
    ]);
    this.movement = physics === 'matter' ? new MatterMovement(battle, this.terrain, matterSettings) : new KinematicMovement(battle, this.terrain);
    battle.movement = this.movement;
    battle.enemyAi = makeEnemyAi(file.enemyAi, battle);
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
    const layout = makeLayout([
      { name: 'move', rows: 1, features: ['north', 'south', 'east', 'west'], spatial: false },
      { name: 'enemies', rows: this.nEnemies, features: enemyFeatures, spatial: true },
      { name: 'allies', rows: this.nAgents - 1, features: allyFeatures, spatial: true },
      { name: 'own', rows: 1, features: ownFeatures, spatial: false },
    ]);
    this.layouts = allyUnits.map(() => layout);
    this.allyStateStride = 4 + this.shieldBitsAlly + this.typeBits;
    this.enemyStateStride = 3 + this.shieldBitsEnemy + this.typeBits;
    this.stateSize = this.nAgents * this.allyStateStride + this.nEnemies * this.enemyStateStride + this.nAgents * this.nActions;

    this.agentNames = allyUnits.map((u) => specs[u].name);
    this.actionCounts = allyUnits.map(() => this.nActions);
    this.actionNames = allyUnits.map((u) => {
      const heals = specs[u].stats.role === 'heal';
      return [
        'no_op', 'stop', 'move_north', 'move_south', 'move_east', 'move_west',
        ...Array.from({ length: this.nEnemies }, (_, j) => (heals ? `heal_agent_${j}` : `attack_enemy_${j}`)),
      ];
    });
    this.defaultAction = allyUnits.map(() => ACTION.stop);
    this.maxSteps = file.maxSteps;
    this.entities = specs.map((s, u) => ({
      name: s.name,
      kind: 'unit',
      team: s.team,
      type: s.type,
      radius: s.stats.radius,
      agent: s.team === ALLY ? u : -1,
      color: null,
    }));
    this.entityIndex = new Map(specs.map((s, u) => [s.name, u]));
    this.bounds = [0, 0, file.map.width, file.map.height];
    this.ranges = allyUnits.map(() => ({ sight: this.sightRange, attack: this.shootRange }));
    const n = specs.length;
    this.alive = new Uint8Array(this.nAgents);
    this.positions = new Float32Array(2 * n);
    this.velocities = new Float32Array(2 * n);
    this.health = new Float32Array(n);
    this.shield = new Float32Array(n);
    this.events = battle.events;
    this.lastActions = new Int32Array(this.nAgents).fill(-1);
    this.previousHealth = new Float64Array(n);
    this.wasAlive = new Uint8Array(n);
    this.battleEnd = new BattleEndTracker(this.entities, this.health);
    const { deathValue, win } = file.reward;
    let enemyPool = 0;
    for (const u of enemyUnits) enemyPool += battle.maxHp[u] + battle.maxShield[u];
    this.maxReward = this.nEnemies * deathValue + win + enemyPool;
    this.timeoutTerminates = file.clock === 'smac';
    // SMAC's state: weapon_cooldown in game loops (one tick here) over a fixed count per type.
    this.stateCooldownScale = Float64Array.from(specs, (s, u) => {
      if (battle.healer[u] === 1) return battle.maxEnergy[u] > 0 ? 1 / battle.maxEnergy[u] : 0;
      if (file.clock === 'smac') return TICKS_PER_SECOND / (SMAC_STATE_COOLDOWN_LOOPS[builtInType(file, s.type)] ?? SMAC_DEFAULT_COOLDOWN_LOOPS);
      return battle.cooldownMax[u] > 0 ? 1 / battle.cooldownMax[u] : 0;
    });
    this.starts.checkAtLoad(file.name, attackPoint, file.attackPoint ? 'attackPoint' : 'attackPoint (default: the allies\' spawn)');
  }

  reset(rng: Rng): void {
    this.rng = rng;
    const battle = this.battle;
    battle.resetUnits();
    this.starts.place(rng);
    this.movement.reset();
    this.t = 0;
    this.terminated = false;
    this.won = false;
    this.lastActions.fill(-1);
    battle.events.attacks.length = 0;
    battle.events.heals.length = 0;
    this.syncOutputs();
    this.battleEnd.reset();
  }

  step(actions: Int32Array, rewards: Float32Array): void {
    const battle = this.battle;
    const rng = this.rng;
    if (!rng) throw new Error('step() before reset()');
    battle.events.attacks.length = 0;
    battle.events.heals.length = 0;
    const n = battle.n;
    for (let u = 0; u < n; u++) {
      this.wasAlive[u] = battle.alive[u];
      this.previousHealth[u] = battle.hp[u] + battle.shield[u];
    }
    for (let i = 0; i < this.nAgents; i++) {
      const action = actions[i];
      this.lastActions[i] = action;
      if (battle.alive[i] === 0) continue;
      this.applyAction(i, action);
    }
    for (let k = 0; k < TICKS_PER_STEP; k++) {
      battle.tick(rng);
      if (this.sideDefeated(ALLY) || this.sideDefeated(ENEMY)) break;
    }
    this.t++;
    const alliesDown = this.sideDefeated(ALLY);
    const enemiesDown = this.sideDefeated(ENEMY);
    this.terminated = alliesDown || enemiesDown || (this.timeoutTerminates && this.t >= this.maxSteps);
    this.won = enemiesDown && !alliesDown;
    const lost = alliesDown && !enemiesDown;
    const reward = this.teamReward(this.won, lost);
    for (let i = 0; i < this.nAgents; i++) rewards[i] = reward;
    this.syncOutputs();
    this.battleEnd.afterStep();
  }

  episodeMetrics(): EpisodeMetrics {
    return { end: this.battleEnd.end() };
  }

  private applyAction(i: number, action: number): void {
    const battle = this.battle;
    if (action === ACTION.noop) return;
    if (action === ACTION.stop) {
      battle.order[i] = ORDER.stop;
      battle.target[i] = -1;
    } else if (action < ACTION.firstTarget) {
      const m = action - ACTION.north;
      battle.order[i] = ORDER.move;
      battle.target[i] = -1;
      battle.orderX[i] = battle.x[i] + MOVE_DX[m] * 2 * this.halfMove;
      battle.orderY[i] = battle.y[i] + MOVE_DY[m] * 2 * this.halfMove;
    } else {
      const j = action - ACTION.firstTarget;
      battle.order[i] = ORDER.attack;
      battle.target[i] = battle.healer[i] === 1 ? j : this.nAgents + j;
    }
  }

  /** A side is beaten when none of its non-healers is alive (SMAC: only medivacs left counts as beaten). */
  private sideDefeated(team: number): boolean {
    const battle = this.battle;
    const start = team === ALLY ? 0 : this.nAgents;
    const end = team === ALLY ? this.nAgents : battle.n;
    for (let u = start; u < end; u++) if (battle.alive[u] === 1 && battle.healer[u] === 0) return false;
    return true;
  }

  /** SMAC reward_battle plus the win/defeat terms, scaled by max_reward / scaleRate. */
  private teamReward(won: boolean, lost: boolean): number {
    const battle = this.battle;
    const r = this.file.reward;
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
    if (shieldBits === 1) values[o + 1] = battle.maxShield[u] > 0 ? battle.shield[u] / battle.maxShield[u] : 0;
    const type = this.typeIndex[u];
    if (type >= 0) values[o + 1 + shieldBits + type] = 1;
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
      let k = o + 4;
      if (this.shieldBitsAlly === 1) out[k++] = battle.maxShield[a] > 0 ? battle.shield[a] / battle.maxShield[a] : 0;
      if (this.typeIndex[a] >= 0) out[k + this.typeIndex[a]] = 1;
    }
    for (let j = 0; j < this.nEnemies; j++, o += this.enemyStateStride) {
      const e = this.nAgents + j;
      if (battle.alive[e] === 0) continue;
      out[o] = battle.hp[e] / battle.maxHp[e];
      out[o + 1] = (battle.x[e] - cx) / battle.width;
      out[o + 2] = (battle.y[e] - cy) / battle.height;
      let k = o + 3;
      if (this.shieldBitsEnemy === 1) out[k++] = battle.maxShield[e] > 0 ? battle.shield[e] / battle.maxShield[e] : 0;
      if (this.typeIndex[e] >= 0) out[k + this.typeIndex[e]] = 1;
    }
    for (let i = 0; i < this.nAgents; i++, o += this.nActions) {
      const action = this.lastActions[i];
      if (action >= 0) out[o + action] = 1;
    }
  }

  setInitialState(init: InitialState): void {
    const battle = this.battle;
    for (const [name, value] of Object.entries(init.entities ?? {})) {
      const u = this.entityIndex.get(name);
      if (u === undefined) throw new Error(`init.entities: unknown entity '${name}' (entities: ${[...this.entityIndex.keys()].join(', ')})`);
      if (value.pos) {
        const x = finite(value.pos[0], `init.entities.${name}.pos[0]`);
        const y = finite(value.pos[1], `init.entities.${name}.pos[1]`);
        if (x < 0 || x > battle.width || y < 0 || y > battle.height) {
          throw new Error(`init.entities.${name}.pos: (${x}, ${y}) is outside the ${battle.width}x${battle.height} map`);
        }
        battle.x[u] = x;
        battle.y[u] = y;
        this.starts.checkUnit(u, `init.entities.${name}.pos: ${name}`);
      }
      // Units have no momentum (they move by orders), so only a zero velocity means anything.
      if (value.vel && (value.vel[0] !== 0 || value.vel[1] !== 0)) {
        throw new Error(`init.entities.${name}.vel: SMAC units have no momentum (they move by orders): give only pos, or vel [0, 0]`);
      }
    }
    if (init.goals && Object.keys(init.goals).length > 0) throw new Error('init.goals: SMAC scenarios have no goals');
    this.movement.reset();
    this.syncOutputs();
  }

  private syncOutputs(): void {
    const battle = this.battle;
    for (let u = 0; u < battle.n; u++) {
      this.positions[2 * u] = battle.x[u];
      this.positions[2 * u + 1] = battle.y[u];
      this.velocities[2 * u] = battle.vx[u];
      this.velocities[2 * u + 1] = battle.vy[u];
      this.health[u] = battle.hp[u] / battle.maxHp[u];
      this.shield[u] = battle.maxShield[u] > 0 ? battle.shield[u] / battle.maxShield[u] : 0;
    }
    for (let i = 0; i < this.nAgents; i++) this.alive[i] = battle.alive[i];
  }
}

function finite(value: number, where: string): number {
  if (!Number.isFinite(value)) throw new Error(`${where}: must be a finite number, got ${value}`);
  return value;
}
