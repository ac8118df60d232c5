import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/learn/backend.ts';
import { ActorCritic } from '../../agents/learn/actor-critic.ts';
import { Adam } from '../../agents/learn/adam.ts';
import { Collector } from '../../agents/learn/rollout.ts';
import { ppoUpdate } from '../../agents/learn/ppo.ts';
import { ValueNorm } from '../../agents/learn/value-norm.ts';
import { scenarioShape } from '../../agents/learn/trainer.ts';
import { VecEnv, type EpisodeSummary } from '../../server/env/vec-env.ts';
import { createSimulation } from '../../server/scenarios/registry.ts';
import { Rng } from '../../shared/rng.ts';
import { tinyConfig } from './helpers.ts';
import type { TrainConfig } from '../../agents/learn/config.ts';

beforeAll(async () => {
  await initBackend();
});

describe('tensor memory', () => {
  it('keeps tf.memory().numTensors flat across collect + update cycles (1 and several minibatches, MLP and GRU actors, state and agent-specific critics)', () => {
    const cases: Partial<TrainConfig>[] = [
      { minibatches: 1 },
      { minibatches: 3 },
      { minibatches: 1, recurrent: true, recurrentChunk: 5 },
      { minibatches: 3, recurrent: true, recurrentChunk: 5 },
      { minibatches: 3, criticInput: 'agent_state' },
      { minibatches: 1, recurrent: true, recurrentChunk: 5, criticInput: 'agent_state' },
    ];
    for (const overrides of cases) {
      const config = tinyConfig(overrides);
      const vec = new VecEnv(() => createSimulation('spread'), { numEnvs: config.numEnvs, seed: 1 });
      vec.reset();
      const net = new ActorCritic(scenarioShape(vec.sims[0]), { ...config, denseMode: 'custom' });
      const actorOpts = net.actors.map((a) => new Adam(a.variables(), config.lr, config.adamEps));
      const criticOpt = new Adam(net.critic.variables(), config.criticLr, config.adamEps);
      const collector = new Collector(net, vec, config.rolloutLength, config.recurrent ? config.recurrentChunk : 0);
      const norm = new ValueNorm();
      const rng = new Rng(2);
      const cycle = () => {
        const episodes: EpisodeSummary[] = [];
        collector.collect(rng, norm, config.gamma, config.gaeLambda, episodes);
        return ppoUpdate(net, collector.buffer, norm, actorOpts, criticOpt, config, rng);
      };
      cycle();
      const before = tf.memory().numTensors;
      for (let i = 0; i < 4; i++) {
        const stats = cycle();
        expect(Number.isFinite(stats.policyLoss) && Number.isFinite(stats.valueLoss)).toBe(true);
      }
      expect(tf.memory().numTensors).toBe(before);
      for (const o of actorOpts) o.dispose();
      criticOpt.dispose();
      net.dispose();
    }
  });

  it('returns to the starting tensor count after building and disposing nets and optimizers (MLP and GRU actors)', () => {
    const before = tf.memory().numTensors;
    for (const overrides of [{}, { recurrent: true, recurrentChunk: 5 }] as Partial<TrainConfig>[]) {
      const config = tinyConfig(overrides);
      const net = new ActorCritic(scenarioShape(createSimulation('spread')), { ...config, denseMode: 'custom' });
      const optimizers = [...net.actors.map((a) => new Adam(a.variables(), config.lr, config.adamEps)), new Adam(net.critic.variables(), config.criticLr, config.adamEps)];
      expect(tf.memory().numTensors).toBeGreaterThan(before);
      for (const o of optimizers) o.dispose();
      net.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
