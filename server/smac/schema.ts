import { z } from 'zod';
import { scenarioBaseShape } from '../scenarios/schema.ts';
import { ENEMY_AI_MODES } from './enemy-ai.ts';
import { UNIT_TYPES, unitStatsSchema } from './unit-types.ts';

export const SMAC_PHYSICS_MODES = ['matter', 'kinematic'] as const;
export type SmacPhysics = (typeof SMAC_PHYSICS_MODES)[number];

const point = z.tuple([z.number().finite(), z.number().finite()]);

// --- Terrain and clock ---
/** Where the scenario's unit data and time rules come from: SMAClite's scale (the default) or SMAC's. */
export const SMAC_CLOCKS = ['smaclite', 'smac'] as const;
export type SmacClock = (typeof SMAC_CLOCKS)[number];

// A refinement, not .int(): zod's union hides a failed int check behind the union's own message,
// while a refinement's message reaches the error line with its path.
const cellIndex = z
  .number()
  .nonnegative()
  .refine(Number.isInteger, { error: (issue) => `a cell index is a whole number (cells are 1 x 1), got ${String(issue.input)}` });
const cellSpan = z
  .tuple([cellIndex, cellIndex])
  .refine(([a, b]) => a < b, { message: 'a span [from, to) needs from < to' });
const walkableRectSchema = z.strictObject({ x: cellSpan, y: cellSpan });
/**
 * 'open': the whole map is walkable (the field every result before the walkable band was measured
 * on). Otherwise the union of rectangles of whole cells, each x in [x[0], x[1]) and y in [y[0], y[1]).
 */
const terrainSchema = z.union([z.literal('open'), z.strictObject({ walkable: z.array(walkableRectSchema).min(1) })], {
  error: "expected 'open' or { \"walkable\": [{ \"x\": [from, to], \"y\": [from, to] }, ...] } in whole cells",
});
const terrainAndClockShape = {
  /** Walkable cells: the move mask and ground movement keep to them. */
  terrain: terrainSchema.default('open'),
  /**
   * 'smaclite': unit speeds and cooldowns in SMAClite's "Faster" seconds, a timeout truncates (and is
   * bootstrapped), the state cooldown is over the unit's own cooldown. 'smac': SMAC's clock: unit
   * data in "Normal" seconds (speeds / 1.4, cooldowns x 1.4, the medivac 2.75), a timeout
   * terminates, the state cooldown is in game loops over SMAC's fixed frame counts.
   */
  clock: z.enum(SMAC_CLOCKS).default('smaclite'),
};
// --- end of terrain and clock ---

const armySchema = z.strictObject({
  /**
   * Unit types and counts, in agent / enemy index order (SMAC sorts its agents by unit type id,
   * so list types in that order: MMM is marauder, marine, medivac).
   */
  units: z.array(z.strictObject({ type: z.string().min(1), count: z.number().int().min(1).max(64) })).min(1),
  /** Centre of the army's spawn grid. */
  spawn: point,
  /**
   * Each unit's spawn is moved by up to this much on each axis (uniform, from the env's Rng);
   * 0 = SMAClite's exact grid. The built-in maps use 1.5: with exact starts every seed plays one
   * of a handful of battles under a deterministic policy, and a replayed action sequence wins
   * (docs/smac.md, "Why the shipped maps jitter the starts").
   */
  jitter: z.number().finite().nonnegative().default(0),
});

/** A unit type override or a new type: `base` names the type to start from (the type itself when it is built in). */
const unitOverrideSchema = unitStatsSchema.partial().extend({ base: z.string().optional() });

const rewardSchema = z.strictObject({
  /** SMAC reward_death_value: per enemy killed (and, when onlyPositive is false, per ally lost times negativeScale). */
  deathValue: z.number().finite().nonnegative().default(10),
  win: z.number().finite().nonnegative().default(200),
  defeat: z.number().finite().nonpositive().default(0),
  /** SMAC reward_only_positive: the step reward is |enemy damage + kills| (allied losses ignored). */
  onlyPositive: z.boolean().default(true),
  negativeScale: z.number().finite().nonnegative().default(0.5),
  /** SMAC reward_scale: divide by max_reward / scaleRate so a perfect win totals about scaleRate. */
  scale: z.boolean().default(true),
  scaleRate: z.number().finite().positive().default(20),
  /** SMAC reward_sparse: +1 for a win, -1 for a loss, 0 otherwise. */
  sparse: z.boolean().default(false),
});

const rangesSchema = z.strictObject({
  /** SMAC unit_sight_range: observation rows farther than this are zero; distances are divided by it. */
  sight: z.number().finite().positive().default(9),
  /** SMAC unit_shoot_range: attack actions are available up to this centre distance. */
  shoot: z.number().finite().positive().default(6),
  /** SMAC move_amount: a move order targets this far away; the mask checks half of it. */
  moveAmount: z.number().finite().positive().default(2),
});

export const smacScenarioSchema = z
  .strictObject({
    ...scenarioBaseShape,
    family: z.literal('smac'),
    /** 'matter': units are matter-js circles that push each other; 'kinematic': our own push-apart. */
    physics: z.enum(SMAC_PHYSICS_MODES).default('matter'),
    map: z
      .strictObject({ width: z.number().finite().positive().default(32), height: z.number().finite().positive().default(32) })
      .prefault({}),
    allies: armySchema,
    enemies: armySchema,
    /** Where the enemy army attack-moves to; default: the allies' spawn (SMAC's built-in AI). */
    attackPoint: point.optional(),
    /**
     * SMAC's unit_type_bits as two ordered lists of type names (one-hot order for allied and for
     * enemy units; SMAC orders them differently on the stalker/zealot maps). Absent: no type bits.
     */
    unitTypeBits: z.strictObject({ allies: z.array(z.string()).min(1), enemies: z.array(z.string()).min(1) }).optional(),
    /** Stat overrides per unit type, or new types with a `base`. */
    units: z.record(z.string().regex(/^[A-Za-z0-9_]+$/, 'letters, digits and _ only'), unitOverrideSchema).default({}),
    ranges: rangesSchema.prefault({}),
    reward: rewardSchema.prefault({}),
    ...terrainAndClockShape,

    // --- The enemy and the starts ---
    /**
     * The built-in enemy: 'smaclite' is SMAClite's attack-move (healers first, re-picking targets
     * every tick while the allies have a healer, standing at the attack point when nothing is in
     * scan range); 'chase' is this project's earlier enemy (non-healers first, chasing the nearest
     * ally once past the attack point), kept to evaluate policies trained against it.
     */
    enemyAi: z.enum(ENEMY_AI_MODES).default('smaclite'),
    // --- end of the enemy and the starts ---
  })
  .superRefine((file, ctx) => {
    const known = new Set([...Object.keys(UNIT_TYPES), ...Object.keys(file.units)]);
    for (const [name, override] of Object.entries(file.units)) {
      const base = override.base ?? name;
      if (!(base in UNIT_TYPES)) {
        ctx.addIssue({
          code: 'custom',
          path: ['units', name, 'base'],
          message: `unknown base unit type '${base}' (built in: ${Object.keys(UNIT_TYPES).join(', ')})`,
        });
      }
    }
    for (const side of ['allies', 'enemies'] as const) {
      file[side].units.forEach((group, g) => {
        if (!known.has(group.type)) {
          ctx.addIssue({
            code: 'custom',
            path: [side, 'units', g, 'type'],
            message: `unknown unit type '${group.type}' (known: ${[...known].join(', ')})`,
          });
        }
      });
      const [x, y] = file[side].spawn;
      if (x < 0 || x > file.map.width || y < 0 || y > file.map.height) {
        ctx.addIssue({ code: 'custom', path: [side, 'spawn'], message: `spawn (${x}, ${y}) is outside the ${file.map.width}x${file.map.height} map` });
      }
    }
    if (file.attackPoint) {
      const [x, y] = file.attackPoint;
      if (x < 0 || x > file.map.width || y < 0 || y > file.map.height) {
        ctx.addIssue({ code: 'custom', path: ['attackPoint'], message: `(${x}, ${y}) is outside the ${file.map.width}x${file.map.height} map` });
      }
    }
    if (file.terrain !== 'open') {
      file.terrain.walkable.forEach((rect, k) => {
        if (rect.x[1] > Math.ceil(file.map.width) || rect.y[1] > Math.ceil(file.map.height)) {
          ctx.addIssue({ code: 'custom', path: ['terrain', 'walkable', k], message: `rectangle x [${rect.x.join(', ')}), y [${rect.y.join(', ')}) reaches past the ${file.map.width}x${file.map.height} map` });
        }
      });
    }
    if (file.unitTypeBits) {
      const { allies, enemies } = file.unitTypeBits;
      if (allies.length !== enemies.length) {
        ctx.addIssue({ code: 'custom', path: ['unitTypeBits'], message: `allies and enemies must list the same number of types (SMAC has one unit_type_bits), got ${allies.length} and ${enemies.length}` });
      }
      for (const side of ['allies', 'enemies'] as const) {
        const list = file.unitTypeBits[side];
        if (new Set(list).size !== list.length) ctx.addIssue({ code: 'custom', path: ['unitTypeBits', side], message: 'duplicate type' });
        file[side].units.forEach((group) => {
          if (!list.includes(group.type)) {
            ctx.addIssue({ code: 'custom', path: ['unitTypeBits', side], message: `type '${group.type}' of the ${side} is missing (listed: ${list.join(', ')})` });
          }
        });
      }
    }
  });

export type SmacScenarioFile = z.infer<typeof smacScenarioSchema>;
