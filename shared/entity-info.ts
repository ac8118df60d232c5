/** What the viewer and `kdmarl rollout` need to know about each entity, fixed for an episode. */
export type EntityInfo = {
  readonly name: string;
  /** 'agent' | 'landmark' | 'obstacle' | 'unit' */
  readonly kind: string;
  /** Team index: 0 = the learning side, 1 = the enemy / scripted side, -1 = neutral. */
  readonly team: number;
  /** Unit type or role ('marine', 'stalker', 'speaker', 'adversary', ...). */
  readonly type: string;
  readonly radius: number;
  /** Index into the agent list when this entity is a controllable agent, else -1. */
  readonly agent: number;
  /** RGB in [0, 1] where the reference gives entities a colour (MPE landmarks), else null. */
  readonly color: readonly [number, number, number] | null;
};
