import { describe, expect, it } from 'vitest';
import { createSimulation } from '../../server/scenarios/registry.ts';
import { ParallelEnv } from '../../server/env/parallel-env.ts';
import { VecEnv } from '../../server/env/vec-env.ts';
import { AgentIO, InvalidActionError } from '../../server/env/agent-io.ts';
import { Rng, deriveSeed } from '../../shared/rng.ts';

describe('ParallelEnv (PettingZoo Parallel API)', () => {
  it('strict mode rejects out-of-range, non-integer, NaN and missing actions with the agent named', () => {
    const env = new ParallelEnv(createSimulation('spread'));
    env.reset({ seed: 0 });
    expect(() => env.step({ agent_0: 5, agent_1: 0, agent_2: 0 })).toThrow(InvalidActionError);
    expect(() => env.step({ agent_0: 5, agent_1: 0, agent_2: 0 })).toThrow(/agent_0.*out of range \[0, 5\)/);
    expect(() => env.step({ agent_0: 1.5, agent_1: 0, agent_2: 0 })).toThrow(/not an integer/);
    expect(() => env.step({ agent_0: Number.NaN, agent_1: 0, agent_2: 0 })).toThrow(/not an integer/);
    expect(() => env.step({ agent_0: 0, agent_1: 0 })).toThrow(/missing action for agent_2/);
    expect(() => env.step({ agent_0: 0, agent_1: 0, agent_2: 0, agent_9: 1 })).toThrow(/unknown agent 'agent_9'/);
  });

  it('lenient mode replaces an invalid action with the default, reports it in infos, and keeps NaN out of the physics', () => {
    const sim = createSimulation('spread');
    const env = new ParallelEnv(sim, { actions: 'lenient' });
    env.reset({ seed: 0 });
    const step = env.step({ agent_0: Number.POSITIVE_INFINITY, agent_1: -1, agent_2: 2 });
    expect(step.infos.agent_0.invalidAction).toBe(true);
    expect(step.infos.agent_1.invalidAction).toBe(true);
    expect(step.infos.agent_2.invalidAction).toBe(false);
    expect(env.io.invalidCounts[0]).toBe(1);
    expect([...sim.positions].every(Number.isFinite)).toBe(true);
  });

  it('returns fresh arrays and the same space objects on every call', () => {
    const env = new ParallelEnv(createSimulation('spread'));
    const first = env.reset({ seed: 0 }).observations.agent_0.observation;
    const copy = Float32Array.from(first);
    env.step({ agent_0: 2, agent_1: 2, agent_2: 2 });
    expect(first).toEqual(copy);
    expect(env.observationSpace('agent_0')).toBe(env.observationSpace('agent_0'));
    expect(() => env.observationSpace('nobody')).toThrow(/unknown agent 'nobody'/);
  });

  it('unknown agents in views are refused', () => {
    expect(() => new ParallelEnv(createSimulation('spread'), { views: { agent_7: {} } })).toThrow(/unknown agent 'agent_7'/);
  });
});

describe('VecEnv', () => {
  it('steps many envs over batched buffers, auto-resets, and keeps final states for bootstrapping', () => {
    const vec = new VecEnv(() => createSimulation('spread'), { numEnvs: 4, seed: 1 });
    vec.reset();
    expect(vec.obs.teacher[0].length).toBe(4 * 18);
    expect(vec.states.length).toBe(4 * 54);
    const actions = new Int32Array(4 * 3).fill(2);
    let finished = 0;
    for (let t = 0; t < 25; t++) {
      vec.step(actions);
      finished += vec.finished.length;
      if (t < 24) expect(vec.truncated.every((x) => x === 0)).toBe(true);
    }
    expect(finished).toBe(4);
    expect([...vec.truncated]).toEqual([1, 1, 1, 1]);
    // the final state is the last state of the episode, not the reset one
    expect(vec.finalStates.subarray(0, 54)).not.toEqual(vec.states.subarray(0, 54));
    expect(vec.sims[0].t).toBe(0);
  });

  it('env e follows the stream deriveSeed(seed, e) exactly as a lone simulation would', () => {
    const vec = new VecEnv(() => createSimulation('tag'), { numEnvs: 2, seed: 11 });
    vec.reset();
    const lone = createSimulation('tag');
    const io = new AgentIO(lone);
    const rng = new Rng(deriveSeed(11, 1));
    lone.reset(rng);
    const actions = Int32Array.from([1, 2, 3, 4]);
    const rewards = new Float32Array(4);
    for (let t = 0; t < 30; t++) {
      vec.step(Int32Array.from([0, 0, 0, 0, ...actions]));
      lone.step(actions, rewards);
      if (lone.t >= lone.maxSteps) lone.reset(rng);
      const obs = new Float32Array(14);
      io.writeObservation(3, obs, 0);
      expect(vec.obs.teacher[3].subarray(14, 28)).toEqual(obs);
      expect(vec.rewards.subarray(4, 8)).toEqual(rewards);
    }
  });

  it('carries a student view set beside the teacher set', () => {
    const vec = new VecEnv(() => createSimulation('spread'), {
      numEnvs: 2,
      seed: 0,
      viewSets: { teacher: [], student: [{ nearest: { agents: 1 } }, { nearest: { agents: 1 } }, { nearest: { agents: 1 } }] },
    });
    vec.reset();
    expect(vec.views.student[0].size).toBe(4 + 6 + 2 + 4);
    expect(vec.obs.student[2].length).toBe(2 * 16);
  });

  it('refuses invalid actions: a learner sampling outside the mask is a bug', () => {
    const vec = new VecEnv(() => createSimulation('spread'), { numEnvs: 1, seed: 0 });
    vec.reset();
    expect(() => vec.step(Int32Array.from([0, 9, 0]))).toThrow(/invalid action 9 for agent_1/);
  });
});
