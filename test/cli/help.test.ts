import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromRoot } from '../../shared/paths.ts';

/**
 * `kdmarl` itself, the dispatcher: its usage lists the commands grouped and in the order a
 * newcomer uses them, `--help` exits 0 and no command exits 2. cli.ts imports its commands only
 * when one is named, so it runs here transpiled alone, without a build.
 */
let dir: string;
let cli: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kdmarl-cli-test-'));
  cli = join(dir, 'cli.mjs');
  const source = readFileSync(fromRoot('cli.ts'), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext } }).outputText;
  writeFileSync(cli, js);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function kdmarl(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Command names in the order the usage lists them (indented lines under a heading). */
function listedCommands(usage: string): string[] {
  return [...usage.matchAll(/^ {2}(\S+) {2,}\S/gm)].map((m) => m[1]!);
}

const BY_USE = ['up', 'serve', 'agent', 'stress', 'train', 'imitate', 'distill', 'teacher', 'worker', 'eval', 'report', 'handover', 'adapt', 'export', 'rollout', 'scenarios'];

describe('kdmarl usage', () => {
  it('--help lists every command once, up first, then by use, under short headings, and exits 0', () => {
    const { code, stdout, stderr } = kdmarl('--help');
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout.split('\n')[0]).toBe('usage: kdmarl <command> [options]');
    expect(listedCommands(stdout)).toEqual(BY_USE);
    const headings = stdout.split('\n').filter((line) => /^\S.*:$/.test(line));
    expect(headings).toEqual(['run a world:', 'train and distill:', 'measure:', 'deploy:', 'look inside:']);
    // Each heading sits right above its first command.
    expect(stdout).toMatch(/run a world:\n {2}up /);
    expect(stdout).toMatch(/look inside:\n {2}rollout /);
    expect(stdout).toMatch(/Run 'kdmarl <command> --help' for a command's options\.\n$/);
    expect(kdmarl('-h').stdout).toBe(stdout);
    expect(kdmarl('help').code).toBe(0);
  });

  it('no command prints the usage to stderr and exits 2', () => {
    const { code, stdout, stderr } = kdmarl();
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(listedCommands(stderr)).toEqual(BY_USE);
  });

  it('an unknown command, or a name only objects have, is refused with the usage and exit 2', () => {
    for (const name of ['upp', 'toString', 'constructor']) {
      const { code, stderr } = kdmarl(name);
      expect(code).toBe(2);
      expect(stderr.split('\n')[0]).toBe(`kdmarl: unknown command '${name}'`);
      expect(listedCommands(stderr)).toEqual(BY_USE);
    }
  });
});
