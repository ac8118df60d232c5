import { BodyTable } from './body-table.ts';
import { vmasDistance, vmasOverlapping } from './distance.ts';
import { LidarCaster } from './lidar.ts';
import type { BodySpec, PhysicsMode, RobotPhysics, WorldSpec } from './types.ts';

/** State arrays, lidar and distances: what both physics modes share, as geometry on the state. */
export abstract class PhysicsBase implements RobotPhysics {
  abstract readonly mode: PhysicsMode;
  readonly table: BodyTable;
  readonly bodies: readonly BodySpec[];
  readonly posX: Float64Array;
  readonly posY: Float64Array;
  readonly velX: Float64Array;
  readonly velY: Float64Array;
  readonly rot: Float64Array;
  readonly angVel: Float64Array;
  readonly forceX: Float64Array;
  readonly forceY: Float64Array;
  readonly torque: Float64Array;
  readonly inertia: Float64Array;
  private readonly caster: LidarCaster;

  constructor(world: WorldSpec, bodies: readonly BodySpec[]) {
    const table = new BodyTable(world, bodies);
    this.table = table;
    this.bodies = bodies;
    this.posX = table.posX;
    this.posY = table.posY;
    this.velX = table.velX;
    this.velY = table.velY;
    this.rot = table.rot;
    this.angVel = table.angVel;
    this.forceX = table.forceX;
    this.forceY = table.forceY;
    this.torque = table.torque;
    this.inertia = table.inertia;
    this.caster = new LidarCaster(table);
  }

  abstract syncFromState(): void;
  abstract step(): void;

  lidar(from: number, rays: number, range: number, sees: Uint8Array, out: Float32Array, offset: number): void {
    this.caster.cast(from, rays, range, sees, out, offset);
  }

  distance(a: number, b: number): number {
    return vmasDistance(this.table, a, b);
  }

  overlapping(a: number, b: number): boolean {
    return vmasOverlapping(this.table, a, b);
  }
}
