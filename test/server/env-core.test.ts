import { describe, expect, it } from 'vitest';
import { createSimulation } from '../../server/scenarios/registry.ts';
import { EnvCore } from '../../server/env/env-core.ts';
import { InvalidActionError } from '../../server/env/agent-io.ts';
import { ParallelEnv } from '../../server/env/parallel-env.ts';
import { VecEnv } from '../../server/env/vec-env.ts';
import { ACTION } from '../../shared/smac-actions.ts';
import { Rng } from '../../shared/rng.ts';

describe('EnvCore: the one env step', () => {
  it('checks actions (strict throws naming the agent, lenient queues the fallback and counts it)', () => {
    const core = new EnvCore(createSimulation('3m', { physics: 'kinematic' }));
    core.reset(1);
    expect(() => core.setAction(0, 99, 'strict')).toThrow(InvalidActionError);
    expect(() => core.setAction(0, ACTION.noop, 'strict')).toThrow(/agent_0.*masked/);
    expect(core.setAction(1, 99, 'lenient')).toBe(false);
    expect(core.actions[1]).toBe(ACTION.stop);
    expect(core.replaced[1]).toBe(1);
    expect(core.io.invalidCounts[1]).toBe(1);
    expect(core.setAction(1, ACTION.north, 'lenient')).toBe(true);
    expect(core.replaced[1]).toBe(0);
  });

  it("'hold' repeats the last applied action while it is still allowed; 'stop' gives the scenario default", () => {
    const hold = new EnvCore(createSimulation('spread'), { fallback: 'hold' });
    const stop = new EnvCore(createSimulation('spread'));
    for (const core of [hold, stop]) {
      core.reset(0);
      for (let i = 0; i < 3; i++) core.setAction(i, 3, 'strict');
      core.step();
      core.setFallback(0);
    }
    expect(hold.actions[0]).toBe(3);
    expect(stop.actions[0]).toBe(0);
    hold.reset();
    expect(hold.fallbackAction(0)).toBe(0);
  });

  it('keeps returns, tells truncation from termination, reports the episode and refuses to step past its end', () => {
    const core = new EnvCore(createSimulation('spread'), { seed: 4 });
    core.reset();
    const rewards: number[][] = [];
    let ended = false;
    while (!ended) {
      for (let i = 0; i < 3; i++) core.setAction(i, 1, 'strict');
      ended = core.step();
      rewards.push([...core.rewards]);
    }
    expect(core.truncated).toBe(true);
    expect(core.terminated).toBe(false);
    const end = core.episodeEnd();
    expect(end.length).toBe(25);
    const perAgent = [0, 1, 2].map((i) => rewards.reduce((s, r) => s + r[i], 0));
    perAgent.forEach((r, i) => expect(end.returns[i]).toBeCloseTo(r, 9));
    expect(end.teamReturn).toBeCloseTo((perAgent[0] + perAgent[1] + perAgent[2]) / 3, 9);
    expect(end.won).toBe(false);
    expect(end.metrics.landmarksCovered).toBeGreaterThanOrEqual(0);
    expect(() => core.step()).toThrow(/after the episode ended/);
  });

  it('reset(seed) restarts the stream the simulation draws from, as a fresh Rng would', () => {
    const core = new EnvCore(createSimulation('spread'));
    core.reset(9);
    const lone = createSimulation('spread');
    lone.reset(new Rng(9));
    expect(core.sim.positions).toEqual(lone.positions);
  });
});

describe('episode-end measures are hooks of the simulation', () => {
  it('each family reports its own: battle end (SMAC), landmarks covered (spread), goal distance (speaker_listener), nothing (tag)', () => {
    expect(Object.keys(createSimulation('tag').episodeMetrics())).toEqual([]);
    const listener = createSimulation('speaker_listener');
    listener.reset(new Rng(0));
    expect(listener.episodeMetrics().goalDistance).toBeGreaterThan(0);
    const battle = new EnvCore(createSimulation('3m', { physics: 'kinematic' }));
    battle.reset(3);
    // Allies hold still while the enemy AI attacks: an ally falls first and the battle is lost.
    while (!battle.done) {
      for (let i = 0; i < 3; i++) battle.setAction(i, battle.sim.alive[i] ? ACTION.stop : ACTION.noop, 'strict');
      battle.step();
    }
    const end = battle.episodeEnd();
    expect(end.won).toBe(false);
    expect(end.metrics.end).toMatchObject({ firstLoss: 'ally' });
    expect(end.metrics.end!.enemiesLeft + end.metrics.end!.alliesLeft).toBeGreaterThan(0);
  });

  it('ParallelEnv puts them in the last step\'s infos, VecEnv in its finished episodes', () => {
    const env = new ParallelEnv(createSimulation('spread'));
    env.reset({ seed: 2 });
    let step = env.step({ agent_0: 0, agent_1: 0, agent_2: 0 });
    expect(step.infos.agent_0.metrics).toBeUndefined();
    while (env.agents.length) step = env.step({ agent_0: 0, agent_1: 0, agent_2: 0 });
    expect(step.infos.agent_0.metrics?.landmarksCovered).toBeGreaterThanOrEqual(0);
    const vec = new VecEnv(() => createSimulation('speaker_listener'), { numEnvs: 2, seed: 0 });
    vec.reset();
    let finished = 0;
    for (let t = 0; t < 25; t++) {
      vec.step(new Int32Array(4));
      for (const ep of vec.finished) {
        finished++;
        expect(ep.metrics.goalDistance).toBeGreaterThan(0);
      }
    }
    expect(finished).toBe(2);
  });
});
