import { z } from 'zod';
import { resolveUnitStats } from '../smac/unit-stats.ts';
import type { SmacScenarioFile } from '../smac/schema.ts';
import { obstacleLayout, OBSTACLE_LAYOUT_SCENARIO, withObstacles } from '../robots/added-obstacles.ts';
import type { NavigationFile } from '../robots/schema.ts';
import { parseScenario, type LoadedScenario, type ScenarioFile } from './registry.ts';

/** A factor that multiplies a quantity: a number in (0, 10], else why not. */
function scaleFactor(factor: number): string | null {
  return Number.isFinite(factor) && factor > 0 && factor <= 10 ? null : 'the factor must be a number in (0, 10]';
}

/** A count of obstacles from navigation_obstacles' layout, else why not. */
function obstacleCount(factor: number): string | null {
  const most = obstacleLayout().length;
  return Number.isInteger(factor) && factor >= 1 && factor <= most ? null : `the count must be a whole number from 1 to ${most} (${OBSTACLE_LAYOUT_SCENARIO} has ${most} obstacles)`;
}

type ChangeSpec = {
  applies: string;
  doc: string;
  /** Why the number after '=' does not fit this change, or null. */
  check: (factor: number) => string | null;
  /** The scenario file (as JSON) with the change applied. */
  apply: (file: ScenarioFile, factor: number, where: string) => unknown;
};

/**
 * Changes a running world can take without changing any space (observation sizes, action counts,
 * state size): the agents keep running and meet a world that behaves differently. Each names the
 * family and kind it applies to, what its number means, and how it changes the file.
 */
export const WORLD_CHANGES = {
  'enemy-health': {
    applies: 'smac',
    doc: "the enemies' hit points (and shields) times the factor",
    check: scaleFactor,
    apply: (file, factor) => changedEnemies(file as unknown as SmacScenarioFile, (stats) => ({ hp: stats.hp * factor, shield: stats.shield * factor })),
  },
  'enemy-speed': {
    applies: 'smac',
    doc: "the enemies' movement speed times the factor",
    check: scaleFactor,
    apply: (file, factor) => changedEnemies(file as unknown as SmacScenarioFile, (stats) => ({ speed: stats.speed * factor })),
  },
  'agent-mass': {
    applies: 'mpe spread',
    doc: "the agents' mass times the factor (heavier: slower to accelerate and to stop)",
    check: scaleFactor,
    apply: heavierAgents,
  },
  obstacles: {
    applies: 'robots navigation',
    doc: `N, a whole number: adds the first N static obstacles in ${OBSTACLE_LAYOUT_SCENARIO}'s file between the spawns and goals, and makes the lidars see obstacles (same ray count)`,
    check: obstacleCount,
    apply: (file, count, where) => withObstacles(file as unknown as NavigationFile, count, where),
  },
} satisfies Record<string, ChangeSpec>;
export type WorldChangeName = keyof typeof WORLD_CHANGES;
export type WorldChange = { name: WorldChangeName; factor: number };

const NAMES = Object.keys(WORLD_CHANGES) as [WorldChangeName, ...WorldChangeName[]];
const changeSchema = z
  .object({
    name: z.enum(NAMES, { error: (issue) => `unknown change '${String(issue.input)}' (known: ${NAMES.join(', ')})` }),
    factor: z.string().transform(Number),
  })
  .superRefine(({ name, factor }, ctx) => {
    const problem = WORLD_CHANGES[name].check(factor);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

/** `enemy-health=1.2` as a change; throws one line naming what is wrong. */
export function parseWorldChange(spec: string): WorldChange {
  const match = /^([^=]+)=(.*)$/.exec(spec.trim());
  if (!match) throw new Error(`'${spec}' is not NAME=FACTOR (e.g. enemy-health=1.2; names: ${NAMES.join(', ')})`);
  const parsed = changeSchema.safeParse({ name: match[1].trim(), factor: match[2].trim() });
  if (!parsed.success) throw new Error(`'${spec}': ${parsed.error.issues[0].message}`);
  return parsed.data;
}

export function describeWorldChange(change: WorldChange): string {
  return `${change.name}=${change.factor}`;
}

/**
 * The scenario file with the change applied, validated like any scenario file. It keeps the
 * scenario's name: policies, teachers and students of the scenario stay valid on it (the spaces
 * are unchanged), and the file's path says what changed.
 */
export function applyWorldChange(loaded: LoadedScenario, change: WorldChange): LoadedScenario {
  const where = `${loaded.path} (${describeWorldChange(change)})`;
  const file = loaded.file;
  const applies = WORLD_CHANGES[change.name].applies;
  const kind = (file as { kind?: string }).kind;
  if (applies !== file.family && applies !== `${file.family} ${kind}`) {
    throw new Error(`${where}: ${change.name} applies to ${applies} scenarios, '${file.name}' is ${file.family}${kind ? ` ${kind}` : ''}`);
  }
  return parseScenario(WORLD_CHANGES[change.name].apply(file, change.factor, where), where);
}

function heavierAgents(file: ScenarioFile, factor: number): unknown {
  const params = (file as { params?: { agentMass?: number } }).params ?? {};
  return { ...file, params: { ...params, agentMass: (params.agentMass ?? 1) * factor } };
}

/**
 * Every enemy group gets its own unit type `<type>_changed` (its resolved stats, changed), so the
 * allies of the same type keep theirs; SMAC's type bits list the new name where the old one was.
 */
function changedEnemies(file: SmacScenarioFile, change: (stats: ReturnType<typeof resolveUnitStats>) => Record<string, number>): unknown {
  const units: Record<string, unknown> = { ...file.units };
  const renamed = new Map<string, string>();
  for (const group of file.enemies.units) {
    if (renamed.has(group.type)) continue;
    const stats = resolveUnitStats(file, group.type);
    const name = `${group.type}_changed`;
    units[name] = { ...stats, ...change(stats), base: builtInBase(file, group.type) };
    renamed.set(group.type, name);
  }
  const rename = (type: string): string => renamed.get(type) ?? type;
  const bits = file.unitTypeBits ? { unitTypeBits: { allies: file.unitTypeBits.allies, enemies: file.unitTypeBits.enemies.map(rename) } } : {};
  return { ...file, units, enemies: { ...file.enemies, units: file.enemies.units.map((g) => ({ ...g, type: rename(g.type) })) }, ...bits };
}

function builtInBase(file: SmacScenarioFile, type: string): string {
  return file.units[type]?.base ?? type;
}
