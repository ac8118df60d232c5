/**
 * The rigid bodies behind the `matter` movement, one per unit, in matter-js units (positions
 * times SCALE, velocities per matter-js base delta). Two implementations step them identically
 * bit for bit: matter-js itself (the reference) and a typed-array port of the part of matter-js
 * these bodies use.
 */
export interface UnitBodies {
  /** Matter.Engine.clear (forget contact pairs, empty the collision detector's list), then mark the world modified so the detector takes every body again. */
  clear(): void;
  /** Matter.Composite.add: unit u's body joins the world. */
  add(u: number): void;
  /** Matter.Composite.remove: unit u's body leaves the world. */
  remove(u: number): void;
  /** Matter.Body.setPosition, without inferring a velocity. */
  setPosition(u: number, x: number, y: number): void;
  /** Matter.Body.setVelocity. */
  setVelocity(u: number, x: number, y: number): void;
  /** Zero the solver state a body carries between updates (cached impulses, contact counts). */
  forgetContacts(u: number): void;
  positionX(u: number): number;
  positionY(u: number): number;
  /** One substep: integration, collision detection and the position solver. */
  update(): void;
}
