import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bool, common, defineCommand, intArg, str, UsageError } from '../../shared/cli-args.ts';

const command = defineCommand('demo', {
  scenario: common.requiredScenario(),
  episodes: str('episodes to run', intArg().positive().default(200)),
  tokensFile: common.tokensFile('slot tokens'),
  noWait: bool('do not wait'),
  note: str('free text', z.string().optional(), { defaultLabel: 'none' }),
});

describe('defineCommand: one declaration builds the parser, the schema and --help', () => {
  it('parses kebab flags into camelCase keys with the declared defaults', () => {
    expect(command.parse(['--scenario', '3m', '--no-wait'])).toEqual({ scenario: '3m', episodes: 200, noWait: true });
    expect(command.parse(['--scenario', '3m', '--episodes', '5', '--tokens-file', 't.json'])).toMatchObject({ episodes: 5, tokensFile: 't.json' });
  });

  it('accepts an alias as the flag it stands for, but not both at once', () => {
    expect(command.parse(['--scenario', '3m', '--tokens', 'a.json'])).toMatchObject({ tokensFile: 'a.json' });
    expect(() => command.parse(['--scenario', '3m', '--tokens', 'a', '--tokens-file', 'b'])).toThrow(/^--tokens-file: given twice \(as --tokens-file and as its alias --tokens\)$/);
  });

  it('names the flag in every error', () => {
    expect(() => command.parse([])).toThrow(/^--scenario: required \('kdmarl demo --help' lists the options\)$/);
    expect(() => command.parse(['--scenario', '3m', '--episodes=0'])).toThrow(/^--episodes: /);
    expect(() => command.parse(['--scenario', '3m', '--nope'])).toThrow(UsageError);
    // A value starting with a dash: one line that says how to write it.
    expect(() => command.parse(['--scenario', '3m', '--episodes', '-3'])).toThrow(/^Option '--episodes' argument is ambiguous\. .*'--episodes=-XYZ'\. \('kdmarl demo --help' lists the options\)$/);
  });

  it('prints every default, alias and required flag in --help from the declaration', () => {
    const help = command.help();
    expect(help).toMatch(/--scenario <value> +scenario name or \.json file \(required\)/);
    expect(help).toMatch(/--episodes <value> +episodes to run \(default 200\)/);
    expect(help).toMatch(/--tokens-file <value> +slot tokens \(also --tokens\)/);
    expect(help).toMatch(/--note <value> +free text \(default none\)/);
    expect(help).toMatch(/--no-wait +do not wait$/m);
  });
});
