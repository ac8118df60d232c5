/**
 * What a scenario measures when an episode ends, beside return, length and win. Each simulation
 * family fills the fields that mean something for it (`Simulation.episodeMetrics`); evaluation
 * summarises whichever are present in every episode.
 */
export type EpisodeMetrics = {
  /** SMAC-style battles: how the battle ended. */
  end?: BattleEnd;
  /** spread: fraction of landmarks with an agent within COVER_DISTANCE at the last step. */
  landmarksCovered?: number;
  /** speaker_listener: the listener's distance to its goal at the last step. */
  goalDistance?: number;
  /** Robot tasks: 1 when the episode met the scenario's success measure (goals reached, package delivered), else 0. */
  success?: number;
};

/**
 * Spread's task is every landmark occupied: a landmark counts as covered at an episode's last step
 * when some agent's centre is within this distance of it (landmarks and agents have radius 0.05
 * and 0.15 in MPE2, so the agent then sits on it). speaker_listener's listener has reached its
 * goal when it ends within the same distance.
 */
export const COVER_DISTANCE = 0.1;

/**
 * How a battle ended, for scenarios with units that can die (SMAC): units left and their mean
 * health fraction per side (dead units count 0, shields not counted), and which side lost a unit first.
 * It tells a close loss (one enemy left on its last hit points) from a rout.
 */
export type BattleEnd = {
  alliesLeft: number;
  enemiesLeft: number;
  allyHealthLeft: number;
  enemyHealthLeft: number;
  firstLoss: 'ally' | 'enemy' | 'none';
};
