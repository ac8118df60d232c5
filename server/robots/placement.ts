import type { Rng } from '../../shared/rng.ts';
import type { RobotPhysics } from './physics/index.ts';
import type { RobotAgent, RobotBody } from './bodies.ts';
import { signedSurfaceDistance } from './surface-distance.ts';

const FREE_SPAWN_TRIES = 10000;

/** Where and how far apart a scenario spawns a body, with the fields that set it (named when no position is free). */
export type SpawnArea = {
  /** Half-widths of the box positions are drawn from. */
  x: number;
  y: number;
  /** The fields that set the box, if the file sets it. */
  boxFrom?: string;
  /** Centres placed so far this reset (x, y pairs); the new body's is appended. */
  occupied: number[];
  minDist: number;
  /** The fields that set `minDist`. */
  minDistFrom: string;
  /** Surface distance kept from statics and the file's movable bodies. */
  clearance: number;
};

/** The largest robot radius and the field it comes from (spawn spacing follows it). */
export function largestRobot(robots: readonly RobotAgent[]): { radius: number; field: string } {
  const best = robots.reduce((a, b) => (b.spec.radius > a.spec.radius ? b : a));
  return { radius: best.spec.radius, field: `robots[${best.group}].radius` };
}

function short(value: number): string {
  return String(Number(value.toPrecision(3)));
}

/**
 * Where bodies start: the file's bodies where it puts them and apart from each other, random
 * spawns clear of obstacles, init positions not inside a static. The file's statics and movable
 * bodies are the last `fileStatics + fileBodies` bodies, in that order.
 */
export class Placement {
  private readonly physics: RobotPhysics;
  private readonly bodies: readonly RobotBody[];
  private readonly fileFirst: number;
  private readonly fileStatics: number;
  /** Indices of static bodies (scenario walls and file statics): init positions must keep out of them. */
  private readonly statics: readonly number[];
  /**
   * What random spawns keep clear of: the statics and the file's movable bodies, which are in place
   * before the scenario spawns anything (its own packages are spawned, and spaced, with the rest).
   */
  private readonly spawnBlockers: readonly number[];

  constructor(physics: RobotPhysics, bodies: readonly RobotBody[], fileStatics: number, fileBodies: number) {
    this.physics = physics;
    this.bodies = bodies;
    this.fileFirst = bodies.length - fileStatics - fileBodies;
    this.fileStatics = fileStatics;
    this.statics = bodies.flatMap((b, i) => (!b.movable && b.collide ? [i] : []));
    this.spawnBlockers = bodies.flatMap((b, i) => (b.collide && b.category !== 'robot' && (!b.movable || b.fixed) ? [i] : []));
  }

  /**
   * A uniform position in the area's box for body `e` at least `minDist` from every centre in
   * `occupied` (VMAS's find_random_pos_for_entity) and at least `clearance` from every static body
   * and every movable body of the file. When no draw is free, the error names what ruled them out:
   * the obstacle most draws fell near, or else the spacing and the box.
   */
  spawnFree(rng: Rng, e: number, area: SpawnArea): void {
    const p = this.physics;
    const { x, y, occupied, minDist, clearance } = area;
    const nearBlocker = new Map<number, number>();
    for (let tries = 0; tries < FREE_SPAWN_TRIES; tries++) {
      const px = rng.range(-x, x);
      const py = rng.range(-y, y);
      let free = true;
      for (let k = 0; k < occupied.length && free; k += 2) {
        if (Math.hypot(occupied[k] - px, occupied[k + 1] - py) < minDist) free = false;
      }
      if (!free) continue;
      p.posX[e] = px;
      p.posY[e] = py;
      for (const s of this.spawnBlockers) {
        if (s !== e && p.distance(e, s) < clearance) {
          nearBlocker.set(s, (nearBlocker.get(s) ?? 0) + 1);
          free = false;
          break;
        }
      }
      if (!free) continue;
      occupied.push(px, py);
      return;
    }
    const name = this.bodies[e].name;
    const box = `the spawn box |x| ≤ ${short(x)}, |y| ≤ ${short(y)}${area.boxFrom ? ` (${area.boxFrom})` : ''}`;
    const blocked = [...nearBlocker].reduce((best, next) => (next[1] > best[1] ? next : best), [-1, 0]);
    if (blocked[0] >= 0) {
      const [s, count] = blocked;
      const field = s >= this.fileFirst ? this.fileField(s) : 'world';
      throw new Error(
        `${field}: no free spawn position for '${name}' in ${FREE_SPAWN_TRIES} tries: '${this.bodies[s].name}' covers ${box} (${count} draws came within ${short(clearance)} of it)`,
      );
    }
    throw new Error(
      `${area.minDistFrom}: no free spawn position for '${name}' in ${FREE_SPAWN_TRIES} tries: it must start ${short(minDist)} from the centres of the ${occupied.length / 2} bodies placed before it, in ${box}`,
    );
  }

  /** Puts the file's statics and movable bodies where the file says (at load and every reset). */
  placeFixedBodies(): void {
    const p = this.physics;
    this.bodies.forEach((b, i) => {
      if (!b.fixed) return;
      p.posX[i] = b.fixed.pos[0];
      p.posY[i] = b.fixed.pos[1];
      p.rot[i] = b.fixed.rot;
    });
  }

  /**
   * The file's statics may not overlap each other, nor its movable bodies a static (the scenario's
   * own walls are placed at reset). `fieldOf` names where a body's position came from (an init
   * file's entry rather than the scenario file, when it moved the body).
   */
  checkFileBodiesApart(fieldOf: (body: number) => string = (i) => this.fileField(i)): void {
    for (let a = this.fileFirst; a < this.bodies.length; a++) {
      for (let b = this.fileFirst; b < a; b++) {
        if (this.bodies[a].movable && this.bodies[b].movable) continue;
        if (this.physics.overlapping(a, b)) throw new Error(`${fieldOf(a)}: '${this.bodies[a].name}' overlaps '${this.bodies[b].name}' (${fieldOf(b)})`);
      }
    }
  }

  /**
   * A robot or goal may touch a static body (VMAS's own resets leave robots touching the floor)
   * but its centre must stay more than half its radius from the static's surface: deeper is inside.
   */
  checkNotInside(e: number, field: string): void {
    const p = this.physics;
    const shape = this.bodies[e].shape;
    if (shape.kind !== 'sphere') return;
    for (const s of this.statics) {
      if (s === e) continue;
      const d = signedSurfaceDistance(this.bodies[s].shape, p.posX[s], p.posY[s], p.rot[s], p.posX[e], p.posY[e]);
      if (d < shape.radius / 2) {
        throw new Error(`${field}: inside the static body '${this.bodies[s].name}' (centre ${d.toFixed(4)} from its surface, at least half the radius ${(shape.radius / 2).toFixed(4)} needed)`);
      }
    }
  }

  /** The scenario-file field a file body comes from. */
  fileField(i: number): string {
    const k = i - this.fileFirst;
    return k < this.fileStatics ? `world.statics[${k}]` : `world.bodies[${k - this.fileStatics}]`;
  }
}
