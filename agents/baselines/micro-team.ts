import type { Simulation } from '../../server/env/simulation.ts';
import { ORDER, type Battle } from '../../server/smac/battle.ts';
import { SmacSimulation } from '../../server/smac/smac-simulation.ts';
import { ACTION } from '../../shared/smac-actions.ts';
import { anyoneHurt, axisToEnemy, centroidOf, dist, durability, liveUnits, volley } from './battle-measures.ts';
import { MICRO, type MicroVariant } from './micro-settings.ts';
import { TeamMasks } from './team-masks.ts';

/** One plan for the whole team per env step, made on the first agent's decision and read by the others. */
export class MicroTeam {
  /** The `--policy` spec, for errors. */
  private readonly label: string;
  private readonly scenarioName: string;
  private readonly variant: MicroVariant;
  private sim: SmacSimulation | null = null;
  private readonly masks = new TeamMasks();
  private plan = new Int32Array(0);
  private contactRange = 0;
  /** Game seconds per env step: how far an enemy walks before the next plan. */
  private stepSeconds = 0;
  /** The env step `plan` was made for, -1 before the first. */
  private plannedAt = -1;
  /** Sticky for the episode: once the fight starts, the line formation is over. */
  private engaged = false;
  /**
   * Where the line stands, along the axis to the enemy: the rearmost ally's place at the first plan
   * of the episode, moved forward only while the enemy holds. Anchoring it keeps the line from
   * creeping back: an ally stepping back overshoots the rearmost, which then counts as ahead.
   */
  private lineAt: number | null = null;
  /** The enemies' centroid at the previous plan, to tell an enemy walking in from one holding its ground. */
  private lastEnemyCentroid: [number, number] | null = null;

  constructor(label: string, scenarioName: string, variant: MicroVariant) {
    this.label = label;
    this.scenarioName = scenarioName;
    this.variant = variant;
  }

  attach(sim: Simulation): void {
    if (!(sim instanceof SmacSimulation)) {
      throw new Error(`${this.label} reads a SMAC battle's state; it was attached to a simulation of another family while evaluating '${this.scenarioName}'`);
    }
    if (sim === this.sim) return;
    this.sim = sim;
    this.masks.attach(sim);
    this.plan = new Int32Array(sim.agentNames.length);
    // The probe's contact distance was 6, the shoot range of the mask: contact is when a shot becomes possible.
    this.contactRange = sim.ranges[0].attack;
    this.stepSeconds = sim.dt;
    this.reset();
  }

  reset(): void {
    this.plannedAt = -1;
    this.engaged = false;
    this.lineAt = null;
    this.lastEnemyCentroid = null;
  }

  decide(agent: number, mask: Uint8Array): number {
    const sim = this.sim;
    if (!sim) throw new Error(`${this.label} reads the simulation being stepped: call attach(sim) before deciding (evaluate() does)`);
    // A step counter that went back means a new episode began without reset().
    if (sim.t < this.plannedAt) this.reset();
    if (sim.t !== this.plannedAt) this.makePlan(sim);
    const action = this.plan[agent];
    if (mask[action] !== 1) {
      throw new Error(`${this.label}: action ${action} of ${sim.agentNames[agent]} at step ${sim.t} is not in its mask: the policy is reading a different simulation from the one being stepped`);
    }
    return action;
  }

  private makePlan(sim: SmacSimulation): void {
    const b = sim.battle;
    this.plannedAt = sim.t;
    this.masks.read(sim);
    this.plan.fill(ACTION.noop);
    const allies = liveUnits(b, 0, b.nAllies);
    const enemies = liveUnits(b, b.nAllies, b.n);
    if (allies.length === 0) return;
    if (enemies.length === 0) {
      // Only reachable with enemy healers left alone (the episode is over then): hold.
      for (const a of allies) this.plan[a] = ACTION.stop;
      return;
    }
    let closest = Infinity;
    for (const a of allies) for (const e of enemies) closest = Math.min(closest, dist(b, a, e));
    if (!this.engaged && (anyoneHurt(b) || closest <= this.contactRange)) this.engaged = true;
    const centroid = centroidOf(b, enemies);
    const last = this.lastEnemyCentroid;
    this.lastEnemyCentroid = centroid;
    if (!this.engaged) {
      const enemyHolds = last !== null && Math.hypot(centroid[0] - last[0], centroid[1] - last[1]) < MICRO.holdingDrift;
      this.formLine(b, allies, enemies, enemyHolds);
      return;
    }
    this.fight(b, allies, enemies);
    if (allies.length >= 2 && this.variant === 'full') this.retreat(b, allies, enemies);
    this.splitFire(b, allies.filter((a) => b.healer[a] === 0 && this.plan[a] >= ACTION.firstTarget), enemies);
  }

  /**
   * Before contact the allies stand in a line facing the enemy, so it meets all of them at once.
   * While the enemy comes on, the line holds where it formed (allies ahead of it step back), and an
   * ally the enemy could acquire within the step steps back too, so the enemy does not get the
   * first volley at the one ally it reaches first. An enemy that holds its ground (SMAClite's
   * stands at its attack point) is approached instead: the allies at the rear step forward, those
   * ahead of them wait.
   */
  private formLine(b: Battle, allies: number[], enemies: number[], enemyHolds: boolean): void {
    const [ux, uy] = axisToEnemy(b, allies, enemies);
    const along = allies.map((a) => b.x[a] * ux + b.y[a] * uy);
    const rear = Math.min(...along);
    if (this.lineAt === null) this.lineAt = rear;
    if (enemyHolds) {
      this.lineAt = Math.max(this.lineAt, rear);
      allies.forEach((a, i) => {
        this.plan[a] = along[i] - rear > MICRO.lineTolerance ? ACTION.stop : this.masks.moveAlong(a, ux, uy, 1);
      });
      return;
    }
    const lineAt = this.lineAt;
    allies.forEach((a, i) => {
      const aheadOfLine = along[i] - lineAt > MICRO.lineTolerance;
      this.plan[a] = aheadOfLine || this.acquirableThisStep(b, a, enemies) ? this.masks.moveAlong(a, ux, uy, -1) : ACTION.stop;
    });
  }

  /**
   * Some enemy could come within its scan range of ally a during this step (SMAClite's enemy
   * acquires allies within scan range + their radius): it would fire first, from a range the ally
   * cannot answer from (the mask allows shots from the shoot range only at the step's start).
   */
  private acquirableThisStep(b: Battle, a: number, enemies: number[]): boolean {
    return enemies.some((e) => dist(b, a, e) - b.speed[e] * this.stepSeconds < b.scanRange[e] + b.radius[a] + MICRO.acquireMargin);
  }

  /** Fighters shoot the team target, else the weakest enemy in range, else close on the team target; healers heal. */
  private fight(b: Battle, allies: number[], enemies: number[]): void {
    const fighters = allies.filter((a) => b.healer[a] === 0);
    const target = this.teamTarget(b, fighters, enemies);
    for (const a of allies) {
      if (b.healer[a] === 1) {
        this.plan[a] = this.healerAction(b, a, allies);
        continue;
      }
      if (target >= 0 && this.masks.canTarget(a, target)) {
        this.plan[a] = this.masks.targetAction(target);
        continue;
      }
      const weakest = this.weakestInRange(b, a, enemies);
      if (weakest >= 0) this.plan[a] = this.masks.targetAction(weakest);
      else this.plan[a] = target >= 0 ? this.masks.moveAlong(a, b.x[target] - b.x[a], b.y[target] - b.y[a], 1) : ACTION.stop;
    }
  }

  /**
   * Spread the shots so no target takes more than kills it: a shot at a unit that died earlier in
   * the step is not fired (the shooter idles to the step's end), so focus fire past the kill wastes
   * the step. The shooters in range are handed out to the enemies in team-target order, each enemy
   * getting just enough to die (the shooters with the fewest enemies in reach first, or in agent
   * order for the imitable variant); the rest join the enemy in range with the most health left to take.
   * Counting only the weapons ready within the step won no more on the open-field maps (8m 98.9%,
   * 3m 95.5% over 1,000 episodes, seed 777) and hangs the plan on cooldowns no agent observes, which a clone cannot follow.
   */
  private splitFire(b: Battle, fighters: number[], enemies: number[]): void {
    const inRange = fighters.filter((a) => enemies.some((e) => this.masks.canTarget(a, e)));
    if (inRange.length === 0) return;
    const reach = this.variant === 'full' ? new Map(inRange.map((a) => [a, enemies.filter((e) => this.masks.canTarget(a, e)).length])) : null;
    const score = new Map(enemies.map((e) => [e, this.killScore(b, fighters, e)]));
    const order = [...enemies].sort((e, f) => score.get(e)! - score.get(f)!);
    const left = new Map(enemies.map((e) => [e, durability(b, e)]));
    const free = new Set(inRange);
    for (const e of order) {
      const shooters = [...free].filter((a) => this.masks.canTarget(a, e));
      // `inRange` is in agent order already, and so is `free`.
      if (reach) shooters.sort((x, y) => reach.get(x)! - reach.get(y)!);
      for (const a of shooters) {
        if (left.get(e)! <= 0) break;
        this.plan[a] = this.masks.targetAction(e);
        left.set(e, left.get(e)! - volley(b, a, e));
        free.delete(a);
      }
    }
    for (const a of free) {
      let best = -1;
      for (const e of enemies) if (this.masks.canTarget(a, e) && (best < 0 || left.get(e)! > left.get(best)!)) best = e;
      if (best >= 0) this.plan[a] = this.masks.targetAction(best);
    }
  }

  /**
   * A targeted ally low on health (at most `retreatVolleys` volleys of its attackers) that can
   * recover (its shield regenerates, or an allied healer is alive) steps to the move that best
   * opens the distance from them, if some healthier ally is left to take the fire and the move
   * gains enough.
   */
  private retreat(b: Battle, allies: number[], enemies: number[]): void {
    const healerAlive = allies.some((a) => b.healer[a] === 1);
    for (const a of allies) {
      // Stepping back only pays if the unit comes back stronger: SMAClite's enemy keeps a target
      // in reach and walks after it, so a marine without a medivac only loses its shots.
      if (b.maxShield[a] === 0 && !healerAlive) continue;
      const attackers = enemies.filter((e) => b.target[e] === a && b.order[e] === ORDER.attack);
      if (attackers.length === 0) continue;
      let threat = 0;
      for (const e of attackers) threat += MICRO.retreatVolleys * volley(b, e, a);
      if (durability(b, a) > threat) continue;
      if (!allies.some((o) => o !== a && durability(b, o) > durability(b, a))) continue;
      const [move, gain] = this.masks.bestEscape(b, a, attackers);
      if (gain > MICRO.minEscapeGain) this.plan[a] = move;
    }
  }

  /** The enemy the allies kill quickest: fewest volleys to kill per fighter able to shoot it now (ties: nearest on average). */
  private teamTarget(b: Battle, fighters: number[], enemies: number[]): number {
    if (fighters.length === 0) return -1;
    let best = -1;
    let bestScore = Infinity;
    for (const e of enemies) {
      const score = this.killScore(b, fighters, e);
      if (score < bestScore) {
        bestScore = score;
        best = e;
      }
    }
    return best;
  }

  /** Volleys to kill e per fighter able to shoot it now, plus a small distance tie-break: lower is a quicker kill. */
  private killScore(b: Battle, fighters: number[], e: number): number {
    const shooters = fighters.filter((a) => this.masks.canTarget(a, e)).length;
    const meanDistance = fighters.reduce((s, a) => s + dist(b, a, e), 0) / fighters.length;
    const meanVolley = fighters.reduce((s, a) => s + volley(b, a, e), 0) / fighters.length;
    return Math.ceil(durability(b, e) / meanVolley) / Math.max(shooters, 0.5) + MICRO.distanceTieBreak * meanDistance;
  }

  /** The enemy in range with the least health + shield (ties: nearest), -1 if none. */
  private weakestInRange(b: Battle, a: number, enemies: number[]): number {
    let best = -1;
    let bestHealth = Infinity;
    for (const e of enemies) {
      if (!this.masks.canTarget(a, e)) continue;
      const health = durability(b, e) + MICRO.inRangeTieBreak * dist(b, a, e);
      if (health < bestHealth) {
        bestHealth = health;
        best = e;
      }
    }
    return best;
  }

  /** A healer's target slots are allies: heal the most hurt one in reach, else move toward the most hurt fighter, else hold. */
  private healerAction(b: Battle, healer: number, allies: number[]): number {
    let heal = -1;
    let move = -1;
    let healFraction = 1;
    let moveFraction = 1;
    for (const a of allies) {
      const fraction = durability(b, a) / (b.maxHp[a] + b.maxShield[a]);
      if (a < this.masks.nActions - ACTION.firstTarget && this.masks.allowed(healer, ACTION.firstTarget + a) && fraction < healFraction) {
        healFraction = fraction;
        heal = a;
      }
      if (b.healer[a] === 0 && fraction < moveFraction) {
        moveFraction = fraction;
        move = a;
      }
    }
    if (heal >= 0) return ACTION.firstTarget + heal;
    return move >= 0 ? this.masks.moveAlong(healer, b.x[move] - b.x[healer], b.y[move] - b.y[healer], 1) : ACTION.stop;
  }
}
