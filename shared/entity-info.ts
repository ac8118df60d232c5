/**
 * A body's outline in the plane, as VMAS defines its shapes. Lengths run along the body's own x
 * axis (the direction of its rotation), widths along its y axis; a sphere's size is `radius`.
 */
export type EntityShape = { kind: 'sphere' } | { kind: 'box'; length: number; width: number } | { kind: 'line'; length: number };

/** What the viewer and `kdmarl rollout` need to know about each entity, fixed for an episode. */
export type EntityInfo = {
  readonly name: string;
  /**
   * 'agent' | 'landmark' | 'obstacle' | 'unit' | 'wall' | 'body' | 'goal': walls and obstacles are
   * static, bodies are movable (packages, the balance plank), goals are targets nothing collides with.
   */
  readonly kind: string;
  /** Team index: 0 = the learning side, 1 = the enemy / scripted side, -1 = neutral. */
  readonly team: number;
  /** Unit type or role ('marine', 'stalker', 'speaker', 'adversary', ...). */
  readonly type: string;
  /** A sphere's radius; for boxes and lines, the radius of the circle around them. */
  readonly radius: number;
  /** Index into the agent list when this entity is a controllable agent, else -1. */
  readonly agent: number;
  /** RGB in [0, 1] where the reference gives entities a colour (MPE landmarks), else null. */
  readonly color: readonly [number, number, number] | null;
  /** The body's outline where it is not a circle of `radius` (robot worlds); absent: a sphere. */
  readonly shape?: EntityShape;
};
