import { MatterRobotPhysics } from './matter-physics.ts';
import type { BodySpec, PhysicsMode, RobotPhysics, WorldSpec } from './types.ts';
import { VmasPhysics } from './vmas-physics.ts';

export { applyDiffDrive } from './diff-drive.ts';
export { circumscribedRadius, momentOfInertia } from './body-table.ts';
export { LINE_CONTACT_RADIUS, VMAS_WORLD_DEFAULTS } from './types.ts';
export type { BodySpec, PhysicsMode, RobotPhysics, ShapeSpec, WorldSpec } from './types.ts';

/** A robot world in `vmas` mode (VMAS's penalty contacts, exactly) or `matter` mode (matter-js rigid contacts). */
export function createRobotPhysics(mode: PhysicsMode, world: WorldSpec, bodies: readonly BodySpec[]): RobotPhysics {
  if (mode === 'vmas') return new VmasPhysics(world, bodies);
  if (mode === 'matter') return new MatterRobotPhysics(world, bodies);
  throw new Error(`physics mode must be vmas or matter, got ${String(mode)}`);
}
