import { parseArgs } from 'node:util';
import { z } from 'zod';

/**
 * A command's options, each declared once: the flag (the key in kebab case), its kind, one line
 * of help, and the zod schema that validates, coerces and defaults it. The parser settings, the
 * schema of the whole command and `--help` (with every default) are built from that one table.
 */
export type OptionDecl<S extends z.ZodType = z.ZodType> = {
  kind: 'string' | 'boolean';
  schema: S;
  help: string;
  short?: string;
  multiple?: boolean;
  /** Other flags accepted for this one (an older spelling). */
  aliases?: readonly string[];
  /** Shown as the default in --help when the schema's default is computed or absent. */
  defaultLabel?: string;
};

export type OptionTable = Record<string, OptionDecl>;
export type ParsedOptions<O extends OptionTable> = { [K in keyof O]: z.output<O[K]['schema']> };

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A flag that takes a value: `str('episodes to run', intArg().positive().default(200))`. */
export function str<S extends z.ZodType>(help: string, schema: S, extra: Partial<Omit<OptionDecl, 'kind' | 'schema' | 'help'>> = {}): OptionDecl<S> {
  return { kind: 'string', schema, help, ...extra };
}

/** A switch: false unless given. */
export function bool(help: string, extra: Partial<Omit<OptionDecl, 'kind' | 'schema' | 'help'>> = {}): OptionDecl<z.ZodDefault<z.ZodBoolean>> {
  return { kind: 'boolean', schema: z.boolean().default(false), help, ...extra };
}

/** A string flag holding a number: `intArg().positive()` etc. */
export const intArg = () => z.coerce.number<string>().int('expected an integer');
export const numArg = () => z.coerce.number<string>().refine(Number.isFinite, 'expected a finite number');

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** The options most commands share, worded once. */
export const common = {
  scenario: (fallback: string, help = 'scenario name or .json file') => str(help, z.string().default(fallback)),
  requiredScenario: (help = 'scenario name or .json file') => str(help, z.string({ error: 'required' })),
  seed: (fallback: number, help = 'seed') => str(help, intArg().nonnegative().default(fallback)),
  /** A seed whose default comes from a config file. */
  configSeed: (help = 'seed') => str(help, intArg().nonnegative().optional(), { defaultLabel: "the config's seed, 1" }),
  json: (help = 'print one JSON object instead of text') => bool(help),
  out: (help: string, defaultLabel?: string) => str(help, z.string().optional(), defaultLabel ? { defaultLabel } : {}),
  config: (help = 'JSON file with config fields') => str(help, z.string().optional()),
  logLevel: (fallback: (typeof LOG_LEVELS)[number] = 'info') => str('pino level on stderr', z.enum(LOG_LEVELS).default(fallback)),
  tokensFile: (help: string) => str(help, z.string().optional(), { aliases: ['tokens'] }),
};

export type Command<O extends OptionTable> = {
  name: string;
  options: O;
  schema: z.ZodObject;
  help(): string;
  /** Parsed options, or 'help' after printing --help. Throws UsageError naming the flag. */
  parse(argv: string[]): ParsedOptions<O> | 'help';
};

export function defineCommand<O extends OptionTable>(name: string, options: O, about?: string): Command<O> {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, decl] of Object.entries(options)) shape[key] = decl.schema;
  const schema = z.object(shape);
  const help = (): string => helpText(name, options, about);
  // One line for a bad flag; the whole table only when asked for.
  const helpHint = `'kdmarl ${name} --help' lists the options`;
  return {
    name,
    options,
    schema,
    help,
    parse(argv) {
      const parseOptions: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
        help: { type: 'boolean', short: 'h' },
      };
      const aliasOf = new Map<string, string>();
      for (const [key, decl] of Object.entries(options)) {
        const settings = { type: decl.kind, ...(decl.short ? { short: decl.short } : {}), ...(decl.multiple ? { multiple: true } : {}) };
        parseOptions[kebab(key)] = settings;
        for (const alias of decl.aliases ?? []) {
          parseOptions[alias] = { type: decl.kind, ...(decl.multiple ? { multiple: true } : {}) };
          aliasOf.set(alias, key);
        }
      }
      let values: Record<string, unknown>;
      try {
        values = parseArgs({ args: argv, options: parseOptions, strict: true, allowPositionals: false }).values;
      } catch (error) {
        // parseArgs explains some errors over several lines (a value starting with '-' says how to pass it): keep all, on one line.
        throw new UsageError(`${(error as Error).message.split('\n').join(' ')} (${helpHint})`);
      }
      if (values.help) {
        console.log(help());
        return 'help';
      }
      const input: Record<string, unknown> = {};
      for (const [flag, value] of Object.entries(values)) {
        if (flag === 'help') continue;
        const key = aliasOf.get(flag) ?? camel(flag);
        if (key in input) throw new UsageError(`--${kebab(key)}: given twice (as --${kebab(key)} and as its alias --${options[key].aliases?.join(', --')})`);
        input[key] = value;
      }
      const parsed = schema.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue.path.length ? `--${kebab(String(issue.path[0]))}` : 'options';
        throw new UsageError(`${where}: ${issue.message} (${helpHint})`);
      }
      return parsed.data as ParsedOptions<O>;
    },
  };
}

export function helpText(name: string, options: OptionTable, about?: string): string {
  const rows = Object.entries(options).map(([key, decl]) => {
    const left = `  --${kebab(key)}${decl.kind === 'string' ? ' <value>' : ''}`;
    const fallback = decl.defaultLabel ?? defaultOf(decl);
    const aliases = decl.aliases?.length ? ` (also --${decl.aliases.join(', --')})` : '';
    const required = !decl.schema.safeParse(undefined).success ? ' (required)' : '';
    const suffix = fallback !== undefined ? ` (default ${fallback})` : required;
    return `${left.padEnd(30)} ${decl.help}${suffix}${aliases}`;
  });
  return `usage: kdmarl ${name} [options]${about ? `\n\n${about}` : ''}\n\n${rows.join('\n')}`;
}

function defaultOf(decl: OptionDecl): string | undefined {
  if (decl.kind === 'boolean') return undefined;
  const schema = decl.schema;
  if (!(schema instanceof z.ZodDefault)) return undefined;
  const value: unknown = schema.def.defaultValue;
  return typeof value === 'string' || typeof value === 'number' ? String(value) : JSON.stringify(value);
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
