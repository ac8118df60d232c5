import { Rng } from '../../shared/rng.ts';
import type { Battle } from './battle.ts';
import type { Terrain } from './terrain.ts';

/** SMAClite's gap between units in a spawn grid. */
const SPAWN_GAP = 0.05;

/** One army's spawn: its units (battle indices), the grid's centre, its jitter, and -1 to mirror the grid (the enemy). */
export type ArmySpawn = { units: readonly number[]; spawn: readonly [number, number]; jitter: number; mirror: number };

/**
 * Where units start: SMAClite's spawn grids, jittered, kept where movement would keep them; and
 * the checks that refuse a start on an unwalkable cell. Ground units only: air units (medivacs)
 * fly over unwalkable cells, as movement lets them.
 */
export class StartPlacement {
  private readonly battle: Battle;
  private readonly terrain: Terrain;
  private readonly armies: readonly ArmySpawn[];

  constructor(battle: Battle, terrain: Terrain, armies: readonly ArmySpawn[]) {
    this.battle = battle;
    this.terrain = terrain;
    this.armies = armies;
  }

  /** Every army's jittered grid, then each unit kept on the map and each ground unit on walkable cells. */
  place(rng: Rng): void {
    for (const army of this.armies) this.placeArmy(army, army.jitter, rng);
    this.confine();
  }

  /**
   * Bad terrain fails at load: the attack point, or a ground unit's start before jitter, on an
   * unwalkable cell. `scenario` and `attackPointName` name them in the error.
   */
  checkAtLoad(scenario: string, attackPoint: readonly [number, number], attackPointName: string): void {
    const [ax, ay] = attackPoint;
    if (!this.terrain.isWalkable(ax, ay)) {
      throw new Error(`scenario '${scenario}': ${attackPointName} (${ax}, ${ay}), where the enemies walk, is in cell (${Math.floor(ax)}, ${Math.floor(ay)}), which the terrain leaves unwalkable`);
    }
    // With jitter 0 the placement draws nothing from its Rng.
    for (const army of this.armies) this.placeArmy(army, 0, new Rng(0));
    for (let u = 0; u < this.battle.n; u++) this.checkUnit(u, `scenario '${scenario}': ${this.battle.specs[u].name} starts`);
  }

  /** Refuse a ground unit on an unwalkable cell; `what` begins the error. */
  checkUnit(u: number, what: string): void {
    const battle = this.battle;
    if (battle.air[u] === 1) return;
    const x = battle.x[u];
    const y = battle.y[u];
    if (!this.terrain.isWalkable(x, y)) {
      throw new Error(`${what} at (${x.toFixed(2)}, ${y.toFixed(2)}) in cell (${Math.floor(x)}, ${Math.floor(y)}), which the terrain leaves unwalkable`);
    }
  }

  /** Jittered starts are kept off unwalkable cells, as movement keeps every ground unit. */
  private confine(): void {
    const battle = this.battle;
    for (let u = 0; u < battle.n; u++) {
      const ground = battle.air[u] === 0;
      if (ground && !this.terrain.isWalkable(battle.x[u], battle.y[u])) {
        const q = this.terrain.nearestWalkable(battle.x[u], battle.y[u]);
        battle.x[u] = q.x;
        battle.y[u] = q.y;
      }
      const p = this.terrain.confine(battle.x[u], battle.y[u], battle.radius[u], ground);
      battle.x[u] = p.x;
      battle.y[u] = p.y;
    }
  }

  /**
   * SMAClite's spawn grid (smaclite/env/smaclite.py __place_group): ceil(sqrt(k)) units per row in
   * index order, rows along x stacked along y, centred on the spawn point, mirrored through it for
   * the enemy so equal armies face each other; then the jitter, if any.
   */
  private placeArmy(army: ArmySpawn, jitter: number, rng: Rng): void {
    const battle = this.battle;
    const { units, spawn, mirror } = army;
    const side = Math.ceil(Math.sqrt(units.length));
    const rows: number[][] = [];
    for (let k = 0; k < units.length; k += side) rows.push(units.slice(k, k + side));
    const rowRadius = rows.map((row) => Math.max(...row.map((u) => battle.radius[u])));
    // As SMAClite __place_group: the height counts all `side` rows of the square (empty ones add
    // only their gap) and the width is the widest row's unit sizes without the gaps.
    const groupHeight = 2 * rowRadius.reduce((a, b) => a + b, 0) + (side - 1) * SPAWN_GAP;
    const groupWidth = Math.max(...rows.map((row) => row.reduce((w, u) => w + 2 * battle.radius[u], 0)));
    let y = spawn[1] - (mirror * groupHeight) / 2;
    rows.forEach((row, r) => {
      y += mirror * rowRadius[r];
      let x = spawn[0] - (mirror * groupWidth) / 2;
      for (const u of row) {
        const radius = battle.radius[u];
        x += mirror * radius;
        let px = x;
        let py = y;
        if (jitter > 0) {
          px += rng.range(-jitter, jitter);
          py += rng.range(-jitter, jitter);
        }
        battle.x[u] = Math.min(Math.max(px, radius), battle.width - radius);
        battle.y[u] = Math.min(Math.max(py, radius), battle.height - radius);
        x += mirror * (radius + SPAWN_GAP);
      }
      y += mirror * (rowRadius[r] + SPAWN_GAP);
    });
  }
}
