import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../agents/export/export-command.ts';
import { MANIFEST_FILE } from '../../agents/export/export-policy.ts';
import { syntheticPolicy, tempDir } from './helpers.ts';

const dir = tempDir('cmd');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());
const synthetic = syntheticPolicy(dir);

/** The folder holds exactly these entries: nothing half-written, no temporary siblings left behind. */
const entries = (path: string): string[] => (existsSync(path) ? readdirSync(path).sort() : []);

async function run(args: string[]): Promise<string[]> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
  await main(args);
  return log.mock.calls.map((c) => String(c[0]));
}

describe('kdmarl export', () => {
  it('writes one model per agent and a manifest, and prints a footprint line per agent for C', async () => {
    const out = join(dir, 'students-c');
    const lines = await run(['--policy', 'models/spread/student.policy', '--format', 'c', '--out', out]);
    expect(entries(out)).toEqual(['agent_0.c', 'agent_0.h', 'agent_1.c', 'agent_1.h', 'agent_2.c', 'agent_2.h', MANIFEST_FILE]);
    expect(lines[0]).toBe(`wrote ${out} (c, 3 agents)`);
    expect(lines.slice(1)).toHaveLength(3);
    for (const line of lines.slice(1)) expect(line).toMatch(/^ {2}agent_\d: agent_\d\.h agent_\d\.c {2}weights [\d,]+ B, scratch [\d,]+ B on the stack.* [\d,]+ FLOPs\/decision$/);
    const manifest = JSON.parse(readFileSync(join(out, MANIFEST_FILE), 'utf8'));
    expect(manifest).toMatchObject({ scenario: 'spread', role: 'student', format: 'c', quantize: null });
    expect(manifest.agents.map((a: { agent: string }) => a.agent)).toEqual(['agent_0', 'agent_1', 'agent_2']);
  });

  it('--agent exports that agent only, with a C-safe file name', async () => {
    const out = join(dir, 'one');
    await run(['--policy', synthetic.path, '--format', 'onnx', '--agent', 'robot-b', '--out', out]);
    expect(entries(out)).toEqual([MANIFEST_FILE, 'robot_b.onnx']);
  });

  it('refuses a file that is not a policy, naming it', async () => {
    const junk = join(dir, 'junk.policy');
    writeFileSync(junk, '{"not": "msgpack"}');
    const out = join(dir, 'never');
    await expect(main(['--policy', junk, '--format', 'json', '--out', out])).rejects.toThrow(new RegExp(`^${junk}: not a kdmarl policy file`));
    await expect(main(['--policy', 'models/3m/config.json', '--format', 'json', '--out', out])).rejects.toThrow(/^models\/3m\/config\.json: not a/);
    await expect(main(['--policy', join(dir, 'missing.policy'), '--format', 'json', '--out', out])).rejects.toThrow(/missing\.policy: cannot read policy \(ENOENT\)/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an agent the policy does not have and lists the ones it has', async () => {
    const out = join(dir, 'never');
    await expect(main(['--policy', 'models/3m/student.policy', '--format', 'c', '--agent', 'agent_9', '--out', out])).rejects.toThrow(
      "--agent: models/3m/student.policy has no agent 'agent_9' (its agents: agent_0, agent_1, agent_2)",
    );
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an unknown format in one line', async () => {
    await expect(main(['--policy', 'models/3m/student.policy', '--format', 'tflite', '--out', join(dir, 'never')])).rejects.toThrow(/^--format: expected one of onnx, c, json \('kdmarl export --help' lists the options\)$/);
  });

  it('refuses an existing folder without --force, leaving it as it was; --force replaces it whole', async () => {
    const out = join(dir, 'existing');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    await expect(main(['--policy', 'models/3m/student.policy', '--format', 'json', '--out', out])).rejects.toThrow(`--out: ${out} already exists; pass --force to replace it`);
    expect(entries(out)).toEqual(['keep.txt']);
    await run(['--policy', 'models/3m/student.policy', '--format', 'json', '--out', out, '--force']);
    expect(entries(out)).toEqual(['agent_0.json', 'agent_1.json', 'agent_2.json', MANIFEST_FILE]);
    expect(entries(dir).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('refuses int8 for a net with a GRU layer by agent name, and writes nothing', async () => {
    const out = join(dir, 'gru-int8');
    await expect(main(['--policy', synthetic.path, '--format', 'c', '--quantize', 'int8', '--out', out])).rejects.toThrow(
      "agent robot-a's net has a GRU layer; --quantize int8 quantizes feed-forward nets only (export it without --quantize)",
    );
    expect(existsSync(out)).toBe(false);
    expect(entries(dir).filter((name) => name.startsWith('.'))).toEqual([]);
  });

  it('int8 reports agreement, logit error and retention on a named seed list', async () => {
    const out = join(dir, 'int8');
    const lines = await run(['--policy', 'models/spread/student.policy', '--format', 'c', '--quantize', 'int8', '--observations', '300', '--eval-episodes', '5', '--out', out]);
    expect(lines.filter((l) => /^ {4}int8: greedy actions agree with float on \d+\.\d% of 300 observations, max logit error \S+$/.test(l))).toHaveLength(3);
    expect(lines.some((l) => /^ {2}int8 retention -?\d+\.\d% \(return .* float \(random .*\); 5 greedy episodes, evaluate\(\) seed 12345; every agent int8\)$/.test(l))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(out, MANIFEST_FILE), 'utf8'));
    expect(manifest.retention).toMatchObject({ episodes: 5, seed: 12345, on: 'return' });
  });
});
