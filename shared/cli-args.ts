import { parseArgs } from 'node:util';
import { z } from 'zod';

export type OptionSpec = {
  type: 'string' | 'boolean';
  short?: string;
  /** One line for --help. */
  help: string;
  multiple?: boolean;
};

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Parse a subcommand's argv with node:util parseArgs (strict: unknown flags are errors), then
 * validate and coerce with a zod schema whose keys are the camelCase option names. Errors name
 * the flag: "--steps: expected a positive integer".
 */
export function parseCommand<S extends z.ZodObject>(
  command: string,
  argv: string[],
  options: Record<string, OptionSpec>,
  schema: S,
): z.infer<S> | 'help' {
  const parseOptions: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [flag, spec] of Object.entries(options)) {
    parseOptions[flag] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: argv, options: parseOptions, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${helpText(command, options)}`);
  }
  if (values.help) {
    console.log(helpText(command, options));
    return 'help';
  }
  const renamed: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(values)) {
    if (flag !== 'help') renamed[camel(flag)] = value;
  }
  const parsed = schema.safeParse(renamed);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = issue.path.length ? `--${kebab(String(issue.path[0]))}` : 'options';
    throw new UsageError(`${key}: ${issue.message}\n\n${helpText(command, options)}`);
  }
  return parsed.data;
}

export function helpText(command: string, options: Record<string, OptionSpec>): string {
  const rows = Object.entries(options).map(([flag, spec]) => {
    const left = `  --${flag}${spec.type === 'string' ? ' <value>' : ''}`;
    return `${left.padEnd(28)} ${spec.help}`;
  });
  return `usage: kdmarl ${command} [options]\n\n${rows.join('\n')}`;
}

/** A string flag holding a number: `intArg().positive()` etc. */
export const intArg = () => z.coerce.number<string>().int('expected an integer');
export const numArg = () => z.coerce.number<string>().refine(Number.isFinite, 'expected a finite number');

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
