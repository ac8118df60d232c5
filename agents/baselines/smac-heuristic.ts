import type { DecisionPolicy } from './decision-policy.ts';
import { ACTION } from '../../shared/smac-actions.ts';

const { noop: NOOP, stop: STOP, north: NORTH, south: SOUTH, east: EAST, west: WEST, firstTarget: FIRST_TARGET } = ACTION;
const DIRECTIONS = { north: NORTH, south: SOUTH, east: EAST, west: WEST } as const;
/** Unit types whose target slots heal allies instead of attacking enemies. */
const HEALER_TYPES = ['medivac'];
/** Normalised distance (x sight 9 = 7.5 units) inside which the nearest, not yet attackable, enemy is awaited. */
const HOLD_DISTANCE = 7.5 / 9;
/** A healer with nobody to heal stays within this normalised distance (x sight 9 = 3 units) of the nearest ally. */
const HEALER_FOLLOW_DISTANCE = 1 / 3;
/** A nearest-enemy distance that changed less than this (normalised) over a step the agent stood still: the enemy is not coming. */
const STILL_DISTANCE = 0.005;

/** The parts of a SMAC observation layout the heuristic reads (as `kdmarl scenarios --json` or Simulation.layouts give it). */
export type SmacHeuristicInfo = {
  blocks?: readonly { readonly name: string; readonly rows: number; readonly features: readonly string[] }[];
  /** Where the enemy army starts, for the "no enemy in sight" case; east on the built-in maps. */
  enemySide?: keyof typeof DIRECTIONS;
};

type Parsed = {
  enemyOffset: number;
  enemyStride: number;
  enemyRows: number;
  allyOffset: number;
  allyStride: number;
  allyRows: number;
  /** Feature indices within a row; -1 when absent. */
  shield: number;
  /** Offset of the own block's healer type bit, -1 when the layout has none. */
  healerBit: number;
};

/**
 * A scripted SMAC agent that needs only its own full observation and action mask: attack the
 * attackable enemy with the least health (+ shield), else wait for the nearest visible enemy if
 * it is close and nobody in sight is hurt yet (so the enemy walks into range rather than the agent
 * into the enemy's volley), unless it stayed as far away over a step of waiting (it holds its ground,
 * as SMAClite's enemy does at its attack point), else walk toward it, else walk toward the enemy's
 * side of the map. The only memory is that last waiting distance, forgotten by `reset`. A medivac (recognised by its own type bit, so only
 * with `blocks` given) heals the first healable ally, else follows the nearest ally. It is the
 * labelled stand-in before trained models exist and an evaluation baseline, not a strong player.
 */
export function smacHeuristic(observationSize: number, info: SmacHeuristicInfo = {}): DecisionPolicy {
  const enemySide = DIRECTIONS[info.enemySide ?? 'east'];
  let parsed: Parsed | null = info.blocks ? parseBlocks(info.blocks, observationSize) : null;
  /** The nearest enemy's distance when the agent last waited for it, -1 if it did not wait last step. */
  let waitedAt = -1;
  return {
    label: 'scripted',
    flops: 0,
    observationSize,
    reset() {
      waitedAt = -1;
    },
    decide(observation, mask) {
      if (observation.length !== observationSize) {
        throw new Error(`smac heuristic: observation has ${observation.length} values, expected ${observationSize}`);
      }
      const waitedLastStep = waitedAt;
      waitedAt = -1;
      if (mask[NOOP] === 1) return NOOP;
      let p = parsed;
      if (!p) {
        const fits = layoutFits(observationSize, mask.length - FIRST_TARGET).filter((fit) => consistent(fit, observation));
        if (fits.length === 0) {
          throw new Error(`smac heuristic: a ${observationSize}-value observation with ${mask.length - FIRST_TARGET} enemies does not fit SMAC's layout: pass the layout blocks`);
        }
        p = fits[0];
        // Only a fit that is the sole one consistent with the visible rows is kept; otherwise look again next time.
        if (fits.length === 1) parsed = p;
      }
      if (p.healerBit >= 0 && observation[p.healerBit] === 1) return healerDecision(observation, mask, p);
      let best = -1;
      let bestScore = Number.POSITIVE_INFINITY;
      for (let j = 0; j < mask.length - FIRST_TARGET; j++) {
        if (mask[FIRST_TARGET + j] !== 1) continue;
        let score = 2;
        if (j < p.enemyRows) {
          const base = p.enemyOffset + j * p.enemyStride;
          // A visible row has distance > 0; an attackable enemy out of the row (never in SMAC) sorts last.
          if (observation[base + 1] > 0) score = observation[base + 4] + (p.shield >= 0 ? observation[base + p.shield] : 0);
        }
        if (score < bestScore) {
          bestScore = score;
          best = j;
        }
      }
      if (best >= 0) return FIRST_TARGET + best;
      const nearest = nearestRow(observation, p.enemyOffset, p.enemyStride, p.enemyRows);
      if (nearest >= 0) {
        const base = p.enemyOffset + nearest * p.enemyStride;
        // Walking into the enemy's reach hands it the first volley: wait just outside shooting
        // range until the fight has started, then close in.
        const distance = observation[base + 1];
        const enemyHolds = waitedLastStep >= 0 && Math.abs(distance - waitedLastStep) < STILL_DISTANCE;
        if (distance <= HOLD_DISTANCE && !fightStarted(observation, p) && !enemyHolds) {
          waitedAt = distance;
          return STOP;
        }
        return moveToward(observation[base + 2], observation[base + 3], mask);
      }
      return mask[enemySide] === 1 ? enemySide : STOP;
    },
  };
}

/** Anyone in sight (or this agent) has lost health or shield. */
function fightStarted(observation: Float32Array, p: Parsed): boolean {
  if (observation[p.allyOffset + p.allyRows * p.allyStride] < 1) return true;
  for (let r = 0; r < p.enemyRows; r++) {
    const base = p.enemyOffset + r * p.enemyStride;
    if (observation[base + 1] > 0 && (observation[base + 4] < 1 || (p.shield >= 0 && observation[base + p.shield] < 1))) return true;
  }
  for (let r = 0; r < p.allyRows; r++) {
    const base = p.allyOffset + r * p.allyStride;
    if (observation[base + 1] > 0 && observation[base + 4] < 1) return true;
  }
  return false;
}

function healerDecision(observation: Float32Array, mask: Uint8Array, p: Parsed): number {
  for (let j = 0; j < mask.length - FIRST_TARGET; j++) if (mask[FIRST_TARGET + j] === 1) return FIRST_TARGET + j;
  const nearest = nearestRow(observation, p.allyOffset, p.allyStride, p.allyRows);
  if (nearest < 0) return STOP;
  const base = p.allyOffset + nearest * p.allyStride;
  if (observation[base + 1] <= HEALER_FOLLOW_DISTANCE) return STOP;
  return moveToward(observation[base + 2], observation[base + 3], mask);
}

/** Row with the smallest positive distance feature (feature 1), -1 if none is visible. */
function nearestRow(observation: Float32Array, offset: number, stride: number, rows: number): number {
  let best = -1;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let r = 0; r < rows; r++) {
    const d = observation[offset + r * stride + 1];
    if (d > 0 && d < bestDistance) {
      bestDistance = d;
      best = r;
    }
  }
  return best;
}

/** Move along the larger of dx, dy (north is +y), else the other axis, else stop. */
function moveToward(dx: number, dy: number, mask: Uint8Array): number {
  const horizontal = dx >= 0 ? EAST : WEST;
  const vertical = dy >= 0 ? NORTH : SOUTH;
  const [first, second] = Math.abs(dx) >= Math.abs(dy) ? [horizontal, vertical] : [vertical, horizontal];
  if (mask[first] === 1) return first;
  if (mask[second] === 1) return second;
  return STOP;
}

function parseBlocks(blocks: NonNullable<SmacHeuristicInfo['blocks']>, observationSize: number): Parsed {
  let offset = 0;
  const at: Record<string, { offset: number; rows: number; features: readonly string[] }> = {};
  for (const block of blocks) {
    at[block.name] = { offset, rows: block.rows, features: block.features };
    offset += block.rows * block.features.length;
  }
  if (offset !== observationSize) throw new Error(`smac heuristic: layout has ${offset} values, observation size is ${observationSize}`);
  const enemies = at.enemies;
  const allies = at.allies;
  const own = at.own;
  if (!enemies || !allies || !own) throw new Error(`smac heuristic: layout needs blocks enemies, allies and own (got ${blocks.map((b) => b.name).join(', ')})`);
  const expected = ['distance', 'dx', 'dy', 'health'];
  expected.forEach((name, k) => {
    if (enemies.features[k + 1] !== name || allies.features[k + 1] !== name) {
      throw new Error(`smac heuristic: expected SMAC's full row layout (feature ${k + 1} '${name}'), got enemies [${enemies.features.join(', ')}]`);
    }
  });
  let healerBit = -1;
  for (const type of HEALER_TYPES) {
    const k = own.features.indexOf(`type_${type}`);
    if (k >= 0) healerBit = own.offset + k;
  }
  return {
    enemyOffset: enemies.offset,
    enemyStride: enemies.features.length,
    enemyRows: enemies.rows,
    allyOffset: allies.offset,
    allyStride: allies.features.length,
    allyRows: allies.rows,
    shield: enemies.features.indexOf('shield'),
    healerBit,
  };
}

/**
 * Without a layout: SMAC's obs is 4 + nE * sE + (nA - 1) * sA + (sA - 4), with row strides of
 * 5 + shield bit + type bits (the same type bits on both sides). nE comes from the mask.
 */
function layoutFits(observationSize: number, nEnemies: number): Parsed[] {
  const fits: Parsed[] = [];
  for (let typeBits = 0; typeBits <= 4; typeBits++) {
    for (let shieldE = 0; shieldE <= 1; shieldE++) {
      for (let shieldA = 0; shieldA <= 1; shieldA++) {
        const sE = 5 + shieldE + typeBits;
        const sA = 5 + shieldA + typeBits;
        const rest = observationSize - nEnemies * sE;
        if (rest <= 0 || rest % sA !== 0) continue;
        const nAgents = rest / sA;
        fits.push({
          enemyOffset: 4,
          enemyStride: sE,
          enemyRows: nEnemies,
          allyOffset: 4 + nEnemies * sE,
          allyStride: sA,
          allyRows: nAgents - 1,
          shield: shieldE === 1 ? 5 : -1,
          healerBit: -1,
        });
      }
    }
  }
  return fits;
}

/** Every visible row of a fit must have distance = hypot(dx, dy) > 0 and health in (0, 1]; hidden rows are zero. */
function consistent(fit: Parsed, observation: Float32Array): boolean {
  const rowOk = (base: number): boolean => {
    const d = observation[base + 1];
    if (d === 0) return observation[base + 2] === 0 && observation[base + 3] === 0 && observation[base + 4] === 0;
    const health = observation[base + 4];
    return d > 0 && Math.abs(d - Math.hypot(observation[base + 2], observation[base + 3])) < 1e-4 && health > 0 && health <= 1;
  };
  for (let r = 0; r < fit.enemyRows; r++) if (!rowOk(fit.enemyOffset + r * fit.enemyStride)) return false;
  for (let r = 0; r < fit.allyRows; r++) {
    const base = fit.allyOffset + r * fit.allyStride;
    if (observation[base] !== 0 && observation[base] !== 1) return false;
    if (!rowOk(base) || (observation[base] === 1) !== (observation[base + 1] > 0)) return false;
  }
  return true;
}
