import type { SmacScenarioFile } from './schema.ts';
import { toSmacClock, UNIT_TYPES, type UnitStats } from './unit-types.ts';

/**
 * A unit type's stats after the scenario's overrides (`units.<type>`, optionally from a `base`).
 * On SMAC's clock the built-in stats are converted to Normal seconds first; overrides are taken
 * as written, in the scenario's clock.
 */
export function resolveUnitStats(file: SmacScenarioFile, type: string): UnitStats {
  const override = file.units[type];
  const baseName = builtInType(file, type);
  const builtIn = UNIT_TYPES[baseName];
  if (!builtIn) throw new Error(`scenario '${file.name}': unknown unit type '${type}'`);
  const base = file.clock === 'smac' ? toSmacClock(baseName, builtIn) : builtIn;
  const { base: _base, ...stats } = override ?? {};
  return { ...base, ...stats };
}

/** The built-in type a scenario's unit type starts from. */
export function builtInType(file: SmacScenarioFile, type: string): string {
  return file.units[type]?.base ?? type;
}
