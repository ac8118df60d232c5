import { describe, expect, it } from 'vitest';
import { ParallelEnv } from '../../server/env/parallel-env.ts';
import { createSimulation, parseScenario } from '../../server/scenarios/registry.ts';
import { smacFamily } from '../../server/smac/family.ts';
import { Rng } from '../../shared/rng.ts';
import { ACTION } from '../../shared/smac-actions.ts';
import { customBattle, place, STATIONARY, stepOnce } from './helpers.ts';

/** Play one episode with mask-respecting random actions drawn from `seed`; record everything observable. */
function trajectory(env: ParallelEnv, seed: number): number[] {
  const rng = new Rng(seed);
  const out: number[] = [];
  let { observations } = env.reset({ seed });
  while (env.agents.length > 0) {
    const actions: Record<string, number> = {};
    for (const name of env.agents) {
      const mask = observations[name].actionMask;
      let a = rng.int(mask.length);
      while (mask[a] !== 1) a = (a + 1) % mask.length;
      actions[name] = a;
      out.push(a);
    }
    const result = env.step(actions);
    observations = result.observations;
    for (const name of env.possibleAgents) out.push(result.rewards[name], ...observations[name].observation);
    out.push(...env.sim.positions, ...env.sim.health, ...env.sim.shield, ...env.state());
  }
  out.push(env.sim.t, env.sim.won ? 1 : 0);
  return out;
}

describe('SMAC env', () => {
  for (const physics of ['matter', 'kinematic']) {
    it(`is deterministic: same seed and actions give the same trajectory (${physics}, MMM)`, () => {
      const a = new ParallelEnv(createSimulation('MMM', { physics }));
      const b = new ParallelEnv(createSimulation('MMM', { physics }));
      const first = trajectory(a, 5);
      // Another episode in between must not leak into the next one (matter-js contact caches).
      trajectory(a, 6);
      expect(trajectory(a, 5)).toEqual(first);
      expect(trajectory(b, 5)).toEqual(first);
      expect(trajectory(b, 7)).not.toEqual(first);
    });
  }

  it('ends a won battle with terminated and won, and a lost one with terminated and not won', () => {
    const file = {
      allies: { units: [{ type: 'marine', count: 1 }], spawn: [9, 16] },
      enemies: { units: [{ type: 'post', count: 1 }], spawn: [23, 16] },
      units: { post: { base: 'marine', speed: 0, hp: 10 } },
    };
    const win = customBattle(file);
    place(win, { agent_0: [10, 16], enemy_0: [15, 16] });
    let steps = 0;
    while (!win.terminated && steps++ < 10) stepOnce(win, [ACTION.firstTarget]);
    expect([win.terminated, win.won]).toEqual([true, true]);

    const loss = customBattle({ ...file, units: { post: { base: 'marine', speed: 0 }, frail: { base: 'marine', hp: 5 } }, allies: { units: [{ type: 'frail', count: 1 }], spawn: [9, 16] } });
    const env = new ParallelEnv(loss);
    env.reset({ seed: 1 });
    loss.setInitialState({ entities: { agent_0: { pos: [10, 16] }, enemy_0: { pos: [15, 16] } } });
    const result = env.step({ agent_0: ACTION.stop });
    expect(result.terminations.agent_0).toBe(true);
    expect(result.truncations.agent_0).toBe(false);
    expect(result.infos.agent_0.won).toBe(false);
    expect(result.rewards.agent_0).toBe(0);
    expect(env.agents).toEqual([]);
  });

  it('counts a timeout as a loss: truncated, not terminated, won false', () => {
    const file = smacFamily.schema.parse({
      name: 'short', family: 'smac', maxSteps: 3,
      allies: { units: [{ type: 'marine', count: 2 }], spawn: [4, 4] },
      enemies: { units: [{ type: 'post', count: 2 }], spawn: [28, 28] },
      ...STATIONARY,
    });
    const env = new ParallelEnv(smacFamily.create(file, 'kinematic'));
    env.reset({ seed: 0 });
    let result = env.step({ agent_0: ACTION.stop, agent_1: ACTION.stop });
    result = env.step({ agent_0: ACTION.stop, agent_1: ACTION.stop });
    expect(result.truncations.agent_0).toBe(false);
    result = env.step({ agent_0: ACTION.stop, agent_1: ACTION.stop });
    expect(result.truncations).toEqual({ agent_0: true, agent_1: true });
    expect(result.terminations).toEqual({ agent_0: false, agent_1: false });
    expect(result.infos.agent_0.won).toBe(false);
  });

  it('rejects bad scenario files and bad --init input with errors that name the problem', () => {
    const base = { name: 'x', family: 'smac', maxSteps: 10, allies: { units: [{ type: 'marine', count: 1 }], spawn: [9, 16] } };
    // Through the registry, as a scenario file is read: the message names the file, the field and why.
    const parse = (extra: Record<string, unknown>): { error?: { message: string } } => {
      try {
        parseScenario({ ...base, ...extra }, 'maps/x.json');
        return {};
      } catch (error) {
        return { error: error as Error };
      }
    };
    expect(parse({ enemies: { units: [{ type: 'ultralisk', count: 1 }], spawn: [23, 16] } }).error?.message).toMatch(/unknown unit type 'ultralisk'/);
    expect(parse({ enemies: { units: [{ type: 'marine', count: 1 }], spawn: [40, 16] } }).error?.message).toMatch(/outside the 32x32 map/);
    expect(parse({ enemies: { units: [{ type: 'marine', count: 1 }], spawn: [23, 16] }, attackPoint: [5, -1] }).error?.message).toMatch(/attackPoint.*outside/);
    expect(parse({ enemies: { units: [{ type: 'marine', count: 1 }], spawn: [23, 16] }, units: { tank: { base: 'thor' } } }).error?.message).toMatch(/unknown base unit type 'thor'/);
    expect(parse({ enemies: { units: [{ type: 'marine', count: 1 }], spawn: [23, 16] }, reward: { wins: 1 } }).error?.message).toMatch(/wins/);
    expect(
      parse({ enemies: { units: [{ type: 'marine', count: 1 }], spawn: [23, 16] }, unitTypeBits: { allies: ['marine'], enemies: ['zealot'] } }).error?.message,
    ).toMatch(/type 'marine' of the enemies is missing/);
    expect(() =>
      customBattle({
        allies: { units: [{ type: 'marine', count: 2 }, { type: 'medivac', count: 1 }], spawn: [9, 16] },
        enemies: { units: [{ type: 'marine', count: 2 }], spawn: [23, 16] },
      }),
    ).toThrow(/must not outnumber the enemies/);
    const sim = createSimulation('3m');
    sim.reset(new Rng(0));
    expect(() => sim.setInitialState({ entities: { enemy_9: { pos: [1, 1] } } })).toThrow(/unknown entity 'enemy_9'/);
    expect(() => sim.setInitialState({ entities: { agent_0: { pos: [33, 1] } } })).toThrow(/outside the 32x32 map/);
    expect(() => sim.setInitialState({ entities: { agent_0: { vel: [1, 0] } } })).toThrow(/no momentum/);
  });

  it('exposes entities, health and shield fractions and events for the viewer', () => {
    const sim = createSimulation('3s_vs_5z');
    sim.reset(new Rng(0));
    expect(sim.entities.map((e) => [e.name, e.kind, e.team, e.type, e.agent])).toEqual([
      ['agent_0', 'unit', 0, 'stalker', 0],
      ['agent_1', 'unit', 0, 'stalker', 1],
      ['agent_2', 'unit', 0, 'stalker', 2],
      ...[0, 1, 2, 3, 4].map((j) => [`enemy_${j}`, 'unit', 1, 'zealot', -1]),
    ]);
    expect([...sim.health]).toEqual(new Array(8).fill(1));
    expect([...sim.shield]).toEqual(new Array(8).fill(1));
    expect(sim.ranges).toEqual([{ sight: 9, attack: 6 }, { sight: 9, attack: 6 }, { sight: 9, attack: 6 }]);
    expect(sim.bounds).toEqual([0, 0, 32, 32]);
  });
});
