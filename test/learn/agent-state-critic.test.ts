import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../agents/learn/backend.ts';
import { ActorCritic } from '../../agents/learn/actor-critic.ts';
import { parsePartialConfig, resolveConfig, trainConfigSchema } from '../../agents/learn/config.ts';
import { Collector } from '../../agents/learn/rollout.ts';
import { ValueNorm } from '../../agents/learn/value-norm.ts';
import { scenarioShape } from '../../agents/learn/trainer.ts';
import { readCheckpoint } from '../../agents/learn/checkpoint.ts';
import { FrozenTeacher } from '../../agents/distill/frozen-teacher.ts';
import { VecEnv, type EpisodeSummary } from '../../server/env/vec-env.ts';
import { createSimulation } from '../../server/scenarios/registry.ts';
import { fromRoot } from '../../shared/paths.ts';
import { Rng } from '../../shared/rng.ts';
import { tinyAgentStateConfig } from './helpers.ts';

beforeAll(async () => {
  await initBackend();
});

/** The critic row written out by hand: state ++ (observation padded to `pad`) ++ one-hot. */
function handRow(state: ArrayLike<number>, observation: ArrayLike<number> | null, pad: number, agent: number, numAgents: number): Float32Array {
  const row = new Float32Array(state.length + pad + numAgents);
  row.set(Array.from(state));
  if (observation) row.set(Array.from(observation), state.length);
  row[state.length + pad + agent] = 1;
  return row;
}

// 30 steps of a 25-step scenario: every env truncates once inside a rollout.
const tinySpeakerListener = () => tinyAgentStateConfig({ numEnvs: 2, rolloutLength: 30 });

describe("critic input 'state' (the default) is unchanged", () => {
  it('defaults to state; the critic row stays state ++ one-hot', () => {
    expect(trainConfigSchema.parse({ ...tinySpeakerListener(), criticInput: undefined }).criticInput).toBe('state');
    expect(resolveConfig('spread').criticInput).toBe('state');
    expect(() => parsePartialConfig({ criticInput: 'obs' }, 'x.json')).toThrow(/x\.json: .*criticInput/);
    const sim = createSimulation('speaker_listener');
    const net = new ActorCritic(scenarioShape(sim), { ...resolveConfig('speaker_listener'), actorHidden: [8], criticHidden: [8], denseMode: 'custom' });
    expect(net.criticObservationSize).toBe(0);
    expect(net.criticInputSize).toBe(sim.stateSize + 2);
    const states = Float32Array.from({ length: 2 * sim.stateSize }, (_, i) => i + 1);
    const out = new Float32Array(2 * net.criticInputSize).fill(Number.NaN);
    net.writeCriticInput(1, states, sim.stateSize, new Float32Array(0), 0, out, 1);
    expect(Array.from(out.subarray(net.criticInputSize))).toEqual(Array.from(handRow(states.subarray(sim.stateSize), null, 0, 1, 2)));
    net.dispose();
  });

  it('every shipped checkpoint with a state critic (all but the MAPPO-alone teachers) has values of state ++ one-hot rows', () => {
    const models = fromRoot('models');
    const dirs = readdirSync(models).filter((d) => existsSync(join(models, d, 'checkpoint.ckpt')));
    const agentState = dirs.filter((d) => readCheckpoint(join(models, d, 'checkpoint.ckpt')).config.criticInput === 'agent_state');
    expect(agentState).toEqual(['3m-mappo', '8m-mappo']);
    expect(dirs.length).toBeGreaterThan(agentState.length);
    const rng = new Rng(3);
    for (const d of dirs.filter((d) => !agentState.includes(d))) {
      const path = join(models, d, 'checkpoint.ckpt');
      const ckpt = readCheckpoint(path);
      expect(ckpt.config.criticInput, d).toBe('state');
      const teacher = new FrozenTeacher(ckpt, path);
      const { stateSize, agentNames } = ckpt.shape;
      const n = agentNames.length;
      expect(teacher.net.criticInputSize, d).toBe(stateSize + n);
      const states = Float32Array.from({ length: 2 * stateSize }, () => rng.normal());
      const agent = n - 1;
      const values = teacher.values(agent, states, 2);
      const rows = new Float32Array(2 * (stateSize + n));
      for (let r = 0; r < 2; r++) rows.set(handRow(states.subarray(r * stateSize, (r + 1) * stateSize), null, 0, agent, n), r * (stateSize + n));
      const expected = teacher.valueNorm.denormalize(Float32Array.from(teacher.net.criticForward(rows, 2)));
      for (let r = 0; r < 2; r++) expect(values[r], d).toBeCloseTo(expected[r], 5);
      teacher.dispose();
    }
  });
});

describe("critic input 'agent_state' (MAPPO's AS)", () => {
  it('lays a row out as state ++ the agent\'s own full observation zero-padded to the widest ++ one-hot (speaker 3 values, listener 11)', () => {
    const vec = new VecEnv(() => createSimulation('speaker_listener'), { numEnvs: 2, seed: 4 });
    vec.reset();
    const shape = scenarioShape(vec.sims[0]);
    expect(shape.observationSizes).toEqual([3, 11]);
    const net = new ActorCritic(shape, { ...tinySpeakerListener(), denseMode: 'custom' });
    const S = shape.stateSize;
    expect(net.criticObservationSize).toBe(11);
    expect(net.criticInputSize).toBe(S + 11 + 2);
    const out = new Float32Array(2 * net.criticInputSize).fill(Number.NaN);
    for (let a = 0; a < 2; a++) {
      const size = shape.observationSizes[a];
      net.writeCriticInput(a, vec.states, S, vec.obs.teacher[a], size, out, a);
      const expected = handRow(vec.states.subarray(S, 2 * S), vec.obs.teacher[a].subarray(size, 2 * size), 11, a, 2);
      expect(Array.from(out.subarray(a * net.criticInputSize, (a + 1) * net.criticInputSize))).toEqual(Array.from(expected));
    }
    // The speaker's row really is padded: 8 zeros between its 3 values and the one-hot.
    expect(Array.from(out.subarray(S + 3, S + 11))).toEqual(new Array(8).fill(0));
    expect(vec.obs.teacher[0].subarray(3, 6).some((x) => x !== 0)).toBe(true);
    expect(() => net.writeCriticInput(1, vec.states, 0, new Float32Array(5), 0, out, 0)).toThrow(/listener_0's observation \(11 values at 0\) lies outside its array of 5/);
    net.dispose();
  });

  it('the collector records each step\'s, each truncation\'s and the post-rollout full observations, and values come from those rows', () => {
    const config = tinySpeakerListener();
    const make = () => new VecEnv(() => createSimulation('speaker_listener'), { numEnvs: config.numEnvs, seed: 11 });
    const vec = make();
    vec.reset();
    const shape = scenarioShape(vec.sims[0]);
    const net = new ActorCritic(shape, { ...config, denseMode: 'custom' });
    const collector = new Collector(net, vec, config.rolloutLength);
    const norm = new ValueNorm();
    norm.update(Float32Array.from([0.5, -2, 3, 1]));
    const episodes: EpisodeSummary[] = [];
    collector.collect(new Rng(5), norm, config.gamma, config.gaeLambda, episodes);
    const b = collector.buffer;
    const E = config.numEnvs;
    const N = 2;
    const S = shape.stateSize;
    const sizes = shape.observationSizes;

    // Replay the same actions in a twin env: every recorded observation must be the env's.
    const twin = make();
    twin.reset();
    const actions = new Int32Array(E * N);
    let truncations = 0;
    for (let t = 0; t < config.rolloutLength; t++) {
      for (let e = 0; e < E; e++) {
        for (let a = 0; a < N; a++) {
          const k = t * E + e;
          expect(Array.from(b.criticObs[a].subarray(k * sizes[a], (k + 1) * sizes[a]))).toEqual(Array.from(twin.obs.teacher[a].subarray(e * sizes[a], (e + 1) * sizes[a])));
          actions[e * N + a] = b.actions[t * b.columns + e * N + a];
        }
      }
      twin.step(actions);
      for (let e = 0; e < E; e++) {
        if (twin.truncated[e] !== 1) continue;
        truncations++;
        const k = t * E + e;
        for (let a = 0; a < N; a++) expect(Array.from(b.finalCriticObs[a].subarray(k * sizes[a], (k + 1) * sizes[a]))).toEqual(Array.from(twin.finalObs.teacher[a].subarray(e * sizes[a], (e + 1) * sizes[a])));
      }
    }
    expect(truncations).toBe(E);
    for (let a = 0; a < N; a++) expect(Array.from(b.bootstrapCriticObs[a])).toEqual(Array.from(twin.obs.teacher[a]));

    // Values of step rows and the bootstrap of truncated rows, from rows written by hand.
    const pad = 11;
    const width = S + pad + N;
    const rows: Float32Array[] = [];
    const expectedNorm: number[] = [];
    const truncatedNext: { i: number; row: number }[] = [];
    for (let t = 0; t < config.rolloutLength; t++) {
      for (let e = 0; e < E; e++) {
        const k = t * E + e;
        for (let a = 0; a < N; a++) {
          const i = t * b.columns + e * N + a;
          rows.push(handRow(b.states.subarray(k * S, (k + 1) * S), b.criticObs[a].subarray(k * sizes[a], (k + 1) * sizes[a]), pad, a, N));
          expectedNorm.push(b.valuesNorm[i]);
          if (b.truncated[k] === 1) {
            truncatedNext.push({ i, row: rows.length });
            rows.push(handRow(b.finalStates.subarray(k * S, (k + 1) * S), b.finalCriticObs[a].subarray(k * sizes[a], (k + 1) * sizes[a]), pad, a, N));
          }
        }
      }
    }
    const input = new Float32Array(rows.length * width);
    rows.forEach((r, j) => input.set(r, j * width));
    const out = net.criticForward(input, rows.length);
    let j = 0;
    for (let r = 0; r < rows.length; r++) {
      if (truncatedNext.some((x) => x.row === r)) continue;
      expect(out[r]).toBeCloseTo(expectedNorm[j++], 5);
    }
    expect(truncatedNext.length).toBe(E * N);
    for (const { i, row } of truncatedNext) expect(b.nextValues[i]).toBeCloseTo(norm.denormalize(Float32Array.of(out[row]))[0], 4);
    net.dispose();
  });

  it('refuses a VecEnv without full views', () => {
    const config = tinySpeakerListener();
    const vec = new VecEnv(() => createSimulation('speaker_listener'), { numEnvs: 1, seed: 1, viewSets: { student: [] } });
    const net = new ActorCritic(scenarioShape(vec.sims[0]), { ...config, denseMode: 'custom' });
    expect(() => new Collector(net, vec, config.rolloutLength)).toThrow(/'agent_state' critic needs every agent's full observation, but the VecEnv has no 'teacher' view set \(sets: student\)/);
    net.dispose();
  });
});
