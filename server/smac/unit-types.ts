import { z } from 'zod';

/** SC2 unit attributes that bonus damage keys on. */
export const ATTRIBUTES = ['light', 'armored', 'biological', 'mechanical', 'massive', 'psionic'] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

export const PLANES = ['ground', 'air'] as const;
export type Plane = (typeof PLANES)[number];

/** What a unit does with its target: shoot enemies or heal friends (the medivac). */
export const ROLES = ['attack', 'heal'] as const;
export type Role = (typeof ROLES)[number];

/**
 * One unit type's stats. Times in seconds, distances in map units, rates per second. The
 * attack reach is `attackRange` plus both units' radii (SMAClite); shields absorb damage before
 * armor, and armor is subtracted from every hit that gets through.
 */
export type UnitStats = {
  hp: number;
  shield: number;
  armor: number;
  /** Damage per hit (0 for healers). */
  damage: number;
  /** Hits per attack (zealot: 2). */
  attacks: number;
  /** Extra damage per hit against targets with the attribute. */
  bonus: Partial<Record<Attribute, number>>;
  attackRange: number;
  cooldown: number;
  speed: number;
  radius: number;
  /** The unit's own sight (the enemy AI looks for allies this far); the agents' observation uses the scenario's sight range. */
  sight: number;
  /** The enemy AI acquires targets within this range plus the target's radius (SMAClite minimum_scan_range). */
  scanRange: number;
  attributes: Attribute[];
  plane: Plane;
  /** Planes this unit can attack or heal. */
  targets: Plane[];
  role: Role;
  /** Energy pool of healers; 0 for the others. */
  energy: number;
  startEnergy: number;
};

const finiteNonNegative = z.number().finite().nonnegative();

export const unitStatsSchema = z.strictObject({
  hp: z.number().finite().positive(),
  shield: finiteNonNegative,
  armor: finiteNonNegative,
  damage: finiteNonNegative,
  attacks: z.number().int().min(1),
  bonus: z.partialRecord(z.enum(ATTRIBUTES), finiteNonNegative),
  attackRange: finiteNonNegative,
  cooldown: finiteNonNegative,
  speed: finiteNonNegative,
  radius: z.number().finite().positive(),
  sight: z.number().finite().positive(),
  scanRange: finiteNonNegative,
  attributes: z.array(z.enum(ATTRIBUTES)),
  plane: z.enum(PLANES),
  targets: z.array(z.enum(PLANES)).min(1),
  role: z.enum(ROLES),
  energy: finiteNonNegative,
  startEnergy: finiteNonNegative,
});

/** SMAClite's melee range (zealot). */
const MELEE = 0.1;

/**
 * SMAClite's unit table (uoe-agents/smaclite `smaclite_units/*.json` @d2fcde0, values from
 * Liquipedia LotV "Faster"): radius = size / 2; sight from the older JSON (@aa2bcb2);
 * scan range SMAClite's default 5.
 */
export const UNIT_TYPES: Readonly<Record<string, Readonly<UnitStats>>> = Object.freeze({
  marine: {
    hp: 45, shield: 0, armor: 0, damage: 6, attacks: 1, bonus: {}, attackRange: 5, cooldown: 0.61, speed: 3.15,
    radius: 0.375, sight: 9, scanRange: 5, attributes: ['light', 'biological'], plane: 'ground',
    targets: ['ground', 'air'], role: 'attack', energy: 0, startEnergy: 0,
  },
  marauder: {
    hp: 125, shield: 0, armor: 1, damage: 10, attacks: 1, bonus: { armored: 10 }, attackRange: 6, cooldown: 1.07,
    speed: 3.15, radius: 0.5625, sight: 10, scanRange: 5, attributes: ['armored', 'biological'], plane: 'ground',
    targets: ['ground'], role: 'attack', energy: 0, startEnergy: 0,
  },
  medivac: {
    hp: 150, shield: 0, armor: 1, damage: 0, attacks: 1, bonus: {}, attackRange: 4, cooldown: 0, speed: 3.5,
    radius: 0.75, sight: 11, scanRange: 5, attributes: ['armored', 'mechanical'], plane: 'air',
    targets: ['ground'], role: 'heal', energy: 200, startEnergy: 50,
  },
  stalker: {
    hp: 80, shield: 80, armor: 1, damage: 13, attacks: 1, bonus: { armored: 5 }, attackRange: 6, cooldown: 1.34,
    speed: 4.13, radius: 0.625, sight: 10, scanRange: 5, attributes: ['armored', 'mechanical'], plane: 'ground',
    targets: ['ground', 'air'], role: 'attack', energy: 0, startEnergy: 0,
  },
  zealot: {
    hp: 100, shield: 50, armor: 1, damage: 8, attacks: 2, bonus: {}, attackRange: MELEE, cooldown: 0.86, speed: 3.15,
    radius: 0.5, sight: 9, scanRange: 5, attributes: ['light', 'biological'], plane: 'ground', targets: ['ground'],
    role: 'attack', energy: 0, startEnergy: 0,
  },
} satisfies Record<string, UnitStats>);

/** SMAClite healing: 9 HP/s, 1 energy buys 3 HP, energy regenerates at 0.5625/s; a new heal needs 5 energy. */
export const HEAL_PER_SECOND = 9;
export const HEAL_PER_ENERGY = 3;
export const ENERGY_PER_SECOND = 0.5625;
export const HEAL_START_ENERGY = 5;
/** Shields regenerate at 2/s once a unit has taken no damage for 10 s. */
export const SHIELD_REGEN_PER_SECOND = 2;
export const SHIELD_REGEN_DELAY = 10;

/**
 * SC2 runs 16 game loops per "Normal" game second and 22.4 per "Faster" second. SMAClite's table
 * gives speeds and cooldowns in Faster seconds on a 16-tick second; SMAC steps 8 game loops with
 * SC2's own data, so on SMAC's clock speeds are divided and cooldowns multiplied by 1.4. Shield,
 * energy and healing rates are already in Normal seconds in SMAClite's table and stay.
 */
export const FASTER_PER_NORMAL = 1.4;

/** Speeds on SMAC's clock that are not SMAClite's divided by 1.4 (SMAC's medivac: 2.75 Normal, 3.85 Faster). */
const SMAC_CLOCK_SPEEDS: Readonly<Record<string, number>> = { medivac: 2.75 };

/** A built-in type's stats in Normal seconds, for SMAC's clock. */
export function toSmacClock(type: string, stats: Readonly<UnitStats>): UnitStats {
  return {
    ...stats,
    speed: SMAC_CLOCK_SPEEDS[type] ?? stats.speed / FASTER_PER_NORMAL,
    cooldown: stats.cooldown * FASTER_PER_NORMAL,
  };
}

/**
 * SMAC's unit_max_cooldown: the fixed game-loop counts its state divides weapon_cooldown (in game
 * loops) by; SMAC divides the medivac's energy by 200 instead, and any other type by 15.
 */
export const SMAC_STATE_COOLDOWN_LOOPS: Readonly<Record<string, number>> = { marine: 15, marauder: 25, stalker: 35, zealot: 22 };
export const SMAC_DEFAULT_COOLDOWN_LOOPS = 15;
