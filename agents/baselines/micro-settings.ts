/**
 * The best setting the 3m headroom probe found on the previous open-field maps ('lineRetreat
 * lineTol=0.5 esc=1 rk=12 minGain=0.6', 96.0% over kdmarl eval's 200-episode list before fire was
 * split), fixed here so the figures in the docs are reproducible. A probe on 8m found wider lines,
 * tighter lines and other retreat thresholds no better; split fire was the gain. On the band maps,
 * before the step-back of `acquireMargin`, line tolerances 0.3-1.1 gave 3m 85.0-88.5% and 8m
 * 90.5-96.0% (200 episodes each), no clear gain over 0.5 (88.5%, 93.0%).
 */
export const MICRO = {
  /** Before contact, an ally more than this far ahead of the rearmost (toward the enemy) steps back into line. */
  lineTolerance: 0.5,
  /**
   * A targeted ally retreats when its health + shield is at most this many volleys of its attackers
   * (the probe's 12 HP per attacking marine is two 6-damage marine shots).
   */
  retreatVolleys: 2,
  /** ... and only if its best move gains more than this distance from the attackers: a step that gains little only loses shots. */
  minEscapeGain: 0.6,
  /** How far a move is looked ahead when judging an escape: about one env step of a marine (3.15 units/s x 0.5 s). */
  escapeLookahead: 1.5,
  /** Weight of the mean ally distance in the team target's score: only breaks ties between equally quick kills. */
  distanceTieBreak: 0.01,
  /** Weight of the distance when picking the weakest enemy in range: only breaks health ties. */
  inRangeTieBreak: 1e-3,
  /**
   * Before contact, an ally that an oncoming enemy could get this close to its scan range within the
   * step steps back. On the band maps this pulls the line back until the enemy stands at its
   * attack point, then the line advances on it together: 3m 99.0% and 8m 100% over the 200-episode
   * list, against 88.5% and 93.0% standing still (margin 0: 89.0%, 94.0%; 0.7: 93.0%, 98.0%;
   * 1.5: 99.5%, 100%; 2.5: 97.0%, 100%).
   */
  acquireMargin: 1.0,
  /** Before contact, an enemy centroid that moved less than this in one env step is holding its ground, not coming on. */
  holdingDrift: 0.1,
} as const;

/**
 * 'full' plays the best micro we found. 'imitable' is the same plan without what no agent's
 * observation holds, for `kdmarl imitate` to clone: no retreat (it reads which ally each enemy is
 * targeting) and split fire hands the shooters out by agent index, which each agent knows from
 * its id, instead of by how many enemies each shooter can reach. On 8m its clone agreed with it on
 * 93.1% of held-out decisions after 4 DAgger rounds, the full plan's on 87.4% after 7
 * (models/8m/open-field/TRAINED.md).
 */
export type MicroVariant = 'full' | 'imitable';
