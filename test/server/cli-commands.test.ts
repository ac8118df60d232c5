import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main as rollout } from '../../server/cli/rollout-command.ts';
import { main as scenarios } from '../../server/cli/scenarios-command.ts';
import { loadScenarioFile, resolveScenario } from '../../server/scenarios/registry.ts';
import { fromRoot } from '../../shared/paths.ts';

/** Run a command's main() and capture what it prints. */
async function capture(run: () => Promise<number>): Promise<{ code: number; out: string }> {
  let out = '';
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    out += args.join(' ') + '\n';
  });
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    const code = await run();
    return { code, out };
  } finally {
    log.mockRestore();
    write.mockRestore();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'kdmarl-cli-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

afterEach(() => vi.restoreAllMocks());

describe('kdmarl scenarios --json', () => {
  it('prints one object keyed by scenario with per-agent observation sizes, action counts and the state size', async () => {
    const { code, out } = await capture(() => scenarios(['--json']));
    expect(code).toBe(0);
    const all = JSON.parse(out);
    expect(all.spread.agents.agent_0).toMatchObject({ observationSize: 18, actionCount: 5 });
    expect(all.spread.stateSize).toBe(54);
    expect(all.speaker_listener.agents.listener_0.observationSize).toBe(11);
    expect(all.tag.agents.adversary_0.observationSize).toBe(16);
    expect(all.tag.agents.agent_0.observationSize).toBe(14);
  });
});

describe('kdmarl scenarios --markdown', () => {
  it('prints the scenario table, one row per scenario, with the same sizes as --json', async () => {
    const all = JSON.parse((await capture(() => scenarios(['--json']))).out);
    const { code, out } = await capture(() => scenarios(['--markdown']));
    expect(code).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines[0]).toBe('| scenario | agents | scripted opponents | observation (teacher / student) | actions | state | steps | physics |');
    expect(lines[1]).toMatch(/^\| --- \|/);
    expect(lines).toHaveLength(2 + Object.keys(all).length);
    const row = (name: string): string[] => lines.find((l) => l.startsWith(`| \`${name}\` |`))!.split('|').slice(1, -1).map((c) => c.trim());
    const m3 = all['3m'].agents.agent_0;
    expect(row('3m')).toEqual(['`3m`', '3 marines', '3 marines', `${m3.observationSize} / ${m3.studentObservationSize}`, '9', '48', '60', 'matter / kinematic']);
    expect(row('speaker_listener').slice(1, 5)).toEqual(['1 speaker, 1 listener', '-', '3 / 3, 11 / 9', '3, 5']);
    expect(row('tag_scripted').slice(1, 3)).toEqual(['3 adversaries', '1 good']);
    await expect(scenarios(['--json', '--markdown'])).rejects.toThrow('--json and --markdown: give one of them');
  });

  it("is docs/scenarios.md's scenario table, as printed", async () => {
    const { out } = await capture(() => scenarios(['--markdown']));
    expect(readFileSync(fromRoot('docs', 'scenarios.md'), 'utf8')).toContain(out.trim());
  });
});

describe('kdmarl rollout', () => {
  it('plays an actions file from an init file and prints every step', async () => {
    const init = file('init.json', { entities: { agent_0: { pos: [0, 0], vel: [0, 0] }, agent_1: { pos: [1, 1] }, agent_2: { pos: [-1, -1] } } });
    const actions = file('actions.json', [
      { agent_0: 2, agent_1: 0, agent_2: 0 },
      { agent_0: 2, agent_1: 0, agent_2: 0 },
    ]);
    const { out } = await capture(() => rollout(['--scenario', 'spread', '--init', init, '--actions', actions, '--json']));
    const result = JSON.parse(out);
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0].velocities.agent_0[0]).toBeCloseTo(0.5, 6);
    expect(result.steps[1].positions.agent_0[0]).toBeCloseTo(0.05, 6);
    expect(result.steps[1].observations.agent_0).toHaveLength(18);
    expect(Object.keys(result.steps[0].rewards)).toEqual(['agent_0', 'agent_1', 'agent_2']);
  });

  it('random actions are reproducible for a seed and stop at the episode end', async () => {
    const a = JSON.parse((await capture(() => rollout(['--scenario', 'tag', '--seed', '3', '--steps', '40', '--json']))).out);
    const b = JSON.parse((await capture(() => rollout(['--scenario', 'tag', '--seed', '3', '--steps', '40', '--json']))).out);
    expect(a.steps).toHaveLength(25);
    expect(a).toEqual(b);
  });

  it('explains bad input: unknown scenario, masked or out-of-range action, bad init, unknown entity', async () => {
    await expect(rollout(['--scenario', 'nope'])).rejects.toThrow(/unknown scenario 'nope' \(available: .*spread/);
    const bad = file('bad-actions.json', [{ agent_0: 7, agent_1: 0, agent_2: 0 }]);
    await expect(capture(() => rollout(['--scenario', 'spread', '--actions', bad]))).rejects.toThrow(/step 0: invalid action 7 for agent_0/);
    const badInit = file('bad-init.json', { entities: { agent_0: { pos: [0] } } });
    await expect(rollout(['--scenario', 'spread', '--init', badInit])).rejects.toThrow(/init file .*entities\.agent_0\.pos/);
    const ghost = file('ghost.json', { entities: { robot: { pos: [0, 0] } } });
    await expect(rollout(['--scenario', 'spread', '--init', ghost])).rejects.toThrow(/unknown entity 'robot'/);
    await expect(rollout(['--scenario', 'spread', '--steps', 'many'])).rejects.toThrow(/--steps: /);
  });
});

describe('scenario files', () => {
  it('a user adds a map as a JSON file and the first bad field is named', () => {
    const good = file('big_spread.json', { name: 'big_spread', family: 'mpe', kind: 'spread', maxSteps: 50, params: { numAgents: 8 } });
    expect(resolveScenario(good).file.name).toBe('big_spread');
    const bad = file('bad.json', { name: 'bad', family: 'mpe', kind: 'spread', maxSteps: 50, params: { numAgents: -2 } });
    expect(() => loadScenarioFile(bad)).toThrow(/bad\.json: params\.numAgents: /);
    const unknown = file('unknown.json', { name: 'x', family: 'chess', maxSteps: 5 });
    expect(() => loadScenarioFile(unknown)).toThrow(/family: unknown family 'chess'/);
    const notJson = file('not.json', '{ nope');
    expect(() => loadScenarioFile(notJson)).toThrow(/not valid JSON/);
    const extra = file('extra.json', { name: 'x', family: 'mpe', kind: 'spread', maxSteps: 5, colour: 'red' });
    expect(() => loadScenarioFile(extra)).toThrow(/colour/);
  });
});
