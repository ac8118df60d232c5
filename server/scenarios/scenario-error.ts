import type { z } from 'zod';
import { describeZodError } from '../../shared/zod-error.ts';

type Def = {
  type: string;
  shape?: Record<string, Schema>;
  innerType?: Schema;
  element?: Schema;
  valueType?: Schema;
  options?: readonly Schema[];
  in?: Schema;
};
type Schema = { _zod: { def: Def } };

/**
 * One line for a scenario file that does not validate. An unknown key is reported first, with the
 * known key it most resembles: a typo like `maxStep` also makes `maxSteps` missing, and naming the
 * missing field alone would send the reader to the wrong line.
 */
export function describeScenarioError(error: z.ZodError, schema: z.ZodType): string {
  const unknown = error.issues.find((issue) => issue.code === 'unrecognized_keys');
  if (!unknown || unknown.code !== 'unrecognized_keys') return describeZodError(error);
  const where = unknown.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  const key = unknown.keys[0];
  const known = knownKeys(schema as unknown as Schema, unknown.path);
  const guess = closest(key, known);
  const hint = guess ? ` (did you mean '${guess}'?)` : known.length ? ` (known keys: ${known.join(', ')})` : '';
  return `${where ? `${where}: ` : ''}unknown key '${key}'${hint}`;
}

/** The keys the object schema at `path` declares (every option's, for a union). */
function knownKeys(schema: Schema, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  const visit = (node: Schema | undefined, rest: readonly PropertyKey[]): void => {
    if (!node) return;
    const def = node._zod.def;
    if (def.innerType) return visit(def.innerType, rest);
    if (def.type === 'pipe') return visit(def.in, rest);
    if (def.options) {
      for (const option of def.options) visit(option, rest);
      return;
    }
    if (def.type === 'array') return visit(def.element, rest.slice(1));
    if (def.type === 'record') return visit(def.valueType, rest.slice(1));
    if (def.type !== 'object' || !def.shape) return;
    if (rest.length === 0) for (const key of Object.keys(def.shape)) keys.add(key);
    else visit(def.shape[String(rest[0])], rest.slice(1));
  };
  visit(schema, path);
  return [...keys].sort();
}

/** The known key within a small edit distance of `key`, if any. */
function closest(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const d = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}
