import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSimulation, resolveScenario } from '../../server/scenarios/registry.ts';
import { applyWorldChange, parseWorldChange, WORLD_CHANGES } from '../../server/scenarios/world-change.ts';
import { resolveUnitStats } from '../../server/smac/unit-stats.ts';
import type { SmacScenarioFile } from '../../server/smac/schema.ts';
import { WorldSession } from '../../server/net/world-session.ts';
import type { EpisodeEnd } from '../../server/net/world-session.ts';
import { main as adaptMain } from '../../agents/distill/adapt-command.ts';
import { inProcessAgent, nextEvent, spectator, startServer, stopStarted } from '../net/helpers/net-helpers.ts';

afterEach(stopStarted);

describe('world changes', () => {
  it('parses NAME=FACTOR and names what is wrong in one line', () => {
    expect(parseWorldChange('enemy-health=1.2')).toEqual({ name: 'enemy-health', factor: 1.2 });
    expect(() => parseWorldChange('enemy-helth=1.2')).toThrow(/^'enemy-helth=1.2': unknown change 'enemy-helth' \(known: enemy-health, enemy-speed, agent-mass, obstacles\)$/);
    expect(() => parseWorldChange('enemy-speed=fast')).toThrow(/the factor must be a number in \(0, 10\]$/);
    expect(() => parseWorldChange('enemy-speed=0')).toThrow(/the factor must be a number/);
    expect(() => parseWorldChange('enemy-speed')).toThrow(/is not NAME=FACTOR/);
  });

  it("gives 3m's enemies 20% more health and 25% more speed, the allies unchanged", () => {
    const base = resolveScenario('3m');
    const marine = resolveUnitStats(base.file as unknown as SmacScenarioFile, 'marine');
    const tougher = applyWorldChange(base, { name: 'enemy-health', factor: 1.2 }).file as unknown as SmacScenarioFile;
    expect(tougher.name).toBe('3m');
    expect(tougher.allies.units[0].type).toBe('marine');
    expect(resolveUnitStats(tougher, tougher.enemies.units[0].type).hp).toBeCloseTo(marine.hp * 1.2);
    expect(resolveUnitStats(tougher, tougher.allies.units[0].type).hp).toBe(marine.hp);
    const faster = applyWorldChange(base, { name: 'enemy-speed', factor: 1.25 }).file as unknown as SmacScenarioFile;
    expect(resolveUnitStats(faster, faster.enemies.units[0].type).speed).toBeCloseTo(marine.speed * 1.25);
    expect(resolveUnitStats(faster, faster.enemies.units[0].type).hp).toBe(marine.hp);
    // The health the simulation starts its enemies with.
    const sim = createSimulation(applyWorldChange(base, { name: 'enemy-health', factor: 1.2 }));
    expect(sim.entities.filter((e) => e.team === 1).length).toBe(3);
  });

  it('keeps the unit type bits of maps that have them, in place', () => {
    const base = resolveScenario('2s3z');
    const file = applyWorldChange(base, { name: 'enemy-health', factor: 1.2 }).file as unknown as SmacScenarioFile;
    const before = (base.file as unknown as SmacScenarioFile).unitTypeBits!;
    expect(file.unitTypeBits!.enemies).toEqual(before.enemies.map((t) => `${t}_changed`));
    expect(file.unitTypeBits!.allies).toEqual(before.allies);
  });

  it("makes spread's agents heavier and refuses a change of another family", () => {
    const heavy = applyWorldChange(resolveScenario('spread'), { name: 'agent-mass', factor: 2 });
    expect((heavy.file as unknown as { params: { agentMass: number } }).params.agentMass).toBe(2);
    expect(() => applyWorldChange(resolveScenario('spread'), { name: 'enemy-speed', factor: 1.25 })).toThrow(/enemy-speed applies to smac scenarios, 'spread' is mpe spread$/);
  });

  it('swaps the world under a session only when every space matches', () => {
    const world = new WorldSession({ scenario: '3m' });
    const sizes = world.studentViews.map((v) => v.size);
    const episode = world.episode;
    world.changeWorld(applyWorldChange(resolveScenario('3m'), { name: 'enemy-health', factor: 1.2 }));
    expect(world.studentViews.map((v) => v.size)).toEqual(sizes);
    expect(world.episode).toBe(episode + 1);
    expect(() => world.changeWorld(resolveScenario('8m'))).toThrow(/cannot replace the running world: the changed world is named '8m', the running one '3m'/);
    const renamed = { ...resolveScenario('8m'), file: { ...resolveScenario('8m').file, name: '3m' } };
    expect(() => world.changeWorld(renamed)).toThrow(/cannot replace the running world: agents /);
  });

  it('changes a running server without closing its agents, and shows the viewer the new scene', async () => {
    const server = await startServer({ scenario: '3m' });
    const viewer = await spectator(server);
    const firstScene = (await viewer.next('scene')) as { entities: { team: number; type: string }[] };
    expect(firstScene.entities.filter((e) => e.team === 1).every((e) => e.type === 'marine')).toBe(true);
    const agent = await inProcessAgent(server, [0, 1, 2], 'scripted');
    await nextEvent<[EpisodeEnd]>(server, 'episode');
    const closed: number[] = [];
    server.on('release', (slot) => closed.push(slot));
    // A world that does not fit is refused and the running one goes on untouched.
    const running = server.world.sim;
    expect(() => server.changeWorld(resolveScenario('8m'))).toThrow(/cannot replace the running world/);
    expect(server.world.sim).toBe(running);
    server.changeWorld(applyWorldChange(resolveScenario('3m'), { name: 'enemy-health', factor: 1.2 }));
    const changedScene = (await viewer.next('scene')) as { scenario: string; entities: { team: number; type: string }[] };
    expect(changedScene.scenario).toBe('3m');
    expect(changedScene.entities.filter((e) => e.team === 1).every((e) => e.type === 'marine_changed')).toBe(true);
    const before = server.world.episodes;
    const [end] = await nextEvent<[EpisodeEnd]>(server, 'episode');
    expect(server.world.episodes).toBe(before + 1);
    expect(end.steps).toBeGreaterThan(0);
    expect(closed).toEqual([]);
    expect(server.status().agents.every((a) => a.connected)).toBe(true);
    // The enemies the agents now meet have the changed health.
    const enemies = server.world.sim.entities.map((e, i) => ({ e, i })).filter(({ e }) => e.team === 1);
    expect(enemies.every(({ e }) => e.type === 'marine_changed')).toBe(true);
    void agent;
  });

  it('lists every change with what it does in --help', async () => {
    const help = await adaptHelp();
    for (const [name, change] of Object.entries(WORLD_CHANGES)) expect(help).toContain(`${name} (${change.applies}: ${change.doc})`);
  });

  it('refuses a bad --change with one line naming the flag', async () => {
    await expect(adaptMain(['--change', 'enemy-helth=1.2'])).rejects.toThrow(/^--change: 'enemy-helth=1.2': unknown change/);
    await expect(adaptMain(['--scenario', 'spread', '--change', 'enemy-health=1.2'])).rejects.toThrow(/^--change: .*enemy-health applies to smac scenarios/);
    await expect(adaptMain(['--scenario', '3m', '--change', 'enemy-health=abc'])).rejects.toThrow(/^--change: 'enemy-health=abc': the factor must be a number in \(0, 10\]$/);
    await expect(adaptMain(['--scenario', 'nosuch', '--change', 'enemy-health=1.2'])).rejects.toThrow(/^--scenario: unknown scenario 'nosuch'/);
    const missing = join(tmpdir(), 'kdmarl-adapt-no-such-models');
    await expect(adaptMain(['--change', 'enemy-health=1.2', '--models', missing])).rejects.toThrow(new RegExp(`^--models ${missing}: no such folder$`));
    await expect(adaptMain(['--change', 'enemy-health=1.2', '--models', tmpdir()])).rejects.toThrow(/: no checkpoint.ckpt there/);
  });

  it('takes --control as a switch: no value, and documented in --help', async () => {
    await expect(adaptMain(['--change', 'enemy-health=1.2', '--control=yes'])).rejects.toThrow(/--control/);
    // A bare --control parses: the command goes on to the next check, the models folder.
    const missing = join(tmpdir(), 'kdmarl-adapt-no-such-models');
    await expect(adaptMain(['--change', 'enemy-health=1.2', '--control', '--models', missing])).rejects.toThrow(new RegExp(`^--models ${missing}: no such folder$`));
    expect(await adaptHelp()).toMatch(/--control\s+also run a control arm/);
  });
});

/** What `kdmarl adapt --help` prints. */
async function adaptHelp(): Promise<string> {
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
  try {
    expect(await adaptMain(['--help'])).toBe(0);
  } finally {
    log.mockRestore();
  }
  return printed.join('\n');
}
