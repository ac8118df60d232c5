import type { Rng } from '../../shared/rng.ts';
import { ACTION } from '../../shared/smac-actions.ts';
import type { ObservationLayout, RawObservation } from '../env/layout.ts';
import type { EntityInfo, EpisodeMetrics, InitialState, Simulation, StepEvents } from '../env/simulation.ts';
import { BattleEndTracker } from './battle-end.ts';
import { ALLY, Battle, ENEMY, ORDER, TICKS_PER_STEP, TICK_SECONDS, type Movement, type UnitSpec } from './battle.ts';
import { makeEnemyAi } from './enemy-ai.ts';
import { KinematicMovement } from './kinematic-movement.ts';
import { MATTER_SETTINGS, MatterMovement, type MatterSettings } from './matter-movement.ts';
import type { SmacPhysics, SmacScenarioFile } from './schema.ts';
import { MOVE_DX, MOVE_DY, SmacObservation } from './smac-observation.ts';
import { SmacReward } from './smac-reward.ts';
import { StartPlacement } from './starts.ts';
import { Terrain } from './terrain.ts';
import { resolveUnitStats } from './unit-stats.ts';

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
  private readonly halfMove: number;
  private readonly observation: SmacObservation;
  private readonly reward: SmacReward;
  /**
   * On SMAC's clock, reaching maxSteps sets `terminated` (SMAC's continuing_episode False: learners
   * do not bootstrap a timeout); on SMAClite's the env truncates there, and learners bootstrap.
   */
  private readonly timeoutTerminates: boolean;
  private readonly lastActions: Int32Array;
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
    this.halfMove = file.ranges.moveAmount / 2;
    this.lastActions = new Int32Array(this.nAgents).fill(-1);
    this.observation = new SmacObservation(file, battle, this.terrain, specs, this.lastActions);
    const nActions = this.observation.nActions;
    this.layouts = allyUnits.map(() => this.observation.layout);
    this.stateSize = this.observation.stateSize;

    this.agentNames = allyUnits.map((u) => specs[u].name);
    this.actionCounts = allyUnits.map(() => nActions);
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
    this.ranges = allyUnits.map(() => ({ sight: file.ranges.sight, attack: file.ranges.shoot }));
    const n = specs.length;
    this.alive = new Uint8Array(this.nAgents);
    this.positions = new Float32Array(2 * n);
    this.velocities = new Float32Array(2 * n);
    this.health = new Float32Array(n);
    this.shield = new Float32Array(n);
    this.events = battle.events;
    this.battleEnd = new BattleEndTracker(this.entities, this.health);
    this.reward = new SmacReward(battle, file.reward, enemyUnits);
    this.maxReward = this.reward.maxReward;
    this.timeoutTerminates = file.clock === 'smac';
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
    this.reward.beforeStep();
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
    const reward = this.reward.afterStep(this.won, lost);
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

  writeMask(agent: number, out: Uint8Array, offset: number): void {
    this.observation.writeMask(agent, out, offset);
  }

  observe(agent: number, out: RawObservation): void {
    this.observation.observe(agent, out);
  }

  writeState(out: Float32Array, offset: number): void {
    this.observation.writeState(out, offset);
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
