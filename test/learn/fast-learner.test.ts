import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../agents/learn/backend.ts';
import type { TrainConfig } from '../../agents/learn/config.ts';
import { FastLearner } from '../../agents/learn/fast/fast-learner.ts';
import { fastLearnerAvailable } from '../../agents/learn/fast/native.ts';
import { LOCAL_SUM, type AllSum } from '../../agents/learn/all-sum.ts';
import { ppoUpdate, type PpoStats } from '../../agents/learn/ppo.ts';
import { ValueNorm } from '../../agents/learn/value-norm.ts';
import { Rng } from '../../shared/rng.ts';
import { collect, dispose, setup, weightGap, type Setup } from './fast-helpers.ts';

const unavailable = fastLearnerAvailable();
if (unavailable) console.warn(`fast learner tests skipped: ${unavailable}`);

beforeAll(async () => {
  await initBackend('cpu');
});

function fastFrom(s: Setup): FastLearner {
  return new FastLearner(s.net, { lr: s.config.lr, criticLr: s.config.criticLr, adamEps: s.config.adamEps });
}

/** One tfjs ppoUpdate and one fast update from the same weights, rollout and rng seed. */
function bothUpdates(s: Setup, updateActor = true, fast = fastFrom(s)): { tfjs: PpoStats; native: PpoStats; fast: FastLearner; start: Record<string, Float32Array[]> } {
  const start = s.net.getWeights();
  const native = fast.update(s.collector.buffer, new ValueNorm(), s.config, new Rng(11), { updateActor, allSum: LOCAL_SUM });
  const tfjs = ppoUpdate(s.net, s.collector.buffer, new ValueNorm(), s.actorOpts, s.criticOpt, s.config, new Rng(11), updateActor);
  return { tfjs, native, fast, start };
}

function expectSameStats(a: PpoStats, b: PpoStats): void {
  for (const key of Object.keys(a) as (keyof PpoStats)[]) {
    expect(Math.abs(a[key] - b[key]), `${key}: tfjs ${a[key]}, native ${b[key]}`).toBeLessThanOrEqual(1e-4 * Math.max(1, Math.abs(a[key])));
  }
}

/** The two learners' weights after the update: equal within float32 noise, and actually moved. */
function expectSameWeights(s: Setup, fast: FastLearner, start: Record<string, Float32Array[]>): void {
  const { gap, moved } = weightGap(s.net.getWeights(), fast.getWeights(), start);
  expect(moved).toBeGreaterThan(1e-4);
  expect(gap).toBeLessThan(2e-6);
}

const cases: [string, string, Partial<TrainConfig>][] = [
  ['spread, shared actor, LayerNorm, one minibatch', 'spread', {}],
  ['spread, two minibatches', 'spread', { minibatches: 2 }],
  ['spread, LayerNorm off, no value clip, raw advantages, small Huber delta', 'spread', { layerNorm: false, valueClip: false, normalizeAdvantages: false, huberDelta: 0.5 }],
  ['spread, per-agent actors, one hidden layer, tight grad clip, value and entropy weights', 'spread', { shareActor: false, actorHidden: [24], maxGradNorm: 0.05, valueCoef: 0.5, entropyCoef: 0.05 }],
  ['speaker_listener, agent_state critic, three minibatches', 'speaker_listener', { criticInput: 'agent_state', minibatches: 3 }],
  ['3m, action masks and dead agents', '3m', { numEnvs: 4, rolloutLength: 40, minibatches: 2 }],
];

describe.skipIf(unavailable !== null)('FastLearner against ppoUpdate (tfjs cpu)', () => {
  it.each(cases)('%s: same weights and stats after one update', (_, scenario, overrides) => {
    const s = setup(scenario, overrides);
    if (scenario === '3m') {
      const buffer = s.collector.buffer;
      expect(buffer.active.includes(0), 'the 3m rollout has dead agents').toBe(true);
      expect(buffer.groupMasks[0].includes(0), 'the 3m rollout has masked actions').toBe(true);
    }
    const { tfjs, native, fast, start } = bothUpdates(s);
    expectSameStats(tfjs, native);
    expectSameWeights(s, fast, start);
    dispose(s);
  });

  it('trains the critic alone with updateActor false (actors unchanged, actor stats zero)', () => {
    const s = setup('spread', {});
    const { tfjs, native, fast, start } = bothUpdates(s, false);
    expectSameStats(tfjs, native);
    expect(native.policyLoss).toBe(0);
    expect(native.actorGradNorm).toBe(0);
    const actorKey = `actor/${s.net.groups[0].name}`;
    expect(fast.getWeights()[actorKey]).toEqual(start[actorKey]);
    expectSameWeights(s, fast, start);
    dispose(s);
  });

  it('serves the same actor logits and critic values as the tfjs net', () => {
    const s = setup('spread', {});
    const fast = fastFrom(s);
    const g = s.net.groups[0];
    const rows = 7;
    const input = Float32Array.from({ length: rows * g.inputSize }, (_, i) => Math.sin(i));
    const critic = Float32Array.from({ length: rows * s.net.criticInputSize }, (_, i) => Math.cos(i));
    const gap = (a: Float32Array, b: Float32Array) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));
    expect(gap(fast.actors.forward(0, input, rows), s.net.actorForward(0, input, rows))).toBeLessThan(1e-5);
    expect(gap(fast.critic(critic, rows), s.net.criticForward(critic, rows))).toBeLessThan(1e-5);
    dispose(s);
  });

  it('resumes across learners: tfjs weights and Adam state into the fast learner and back give the same second update', () => {
    const s = setup('spread', { minibatches: 2 });
    // A first tfjs update, so the Adam moments and step are not trivial.
    ppoUpdate(s.net, s.collector.buffer, new ValueNorm(), s.actorOpts, s.criticOpt, s.config, new Rng(1));
    const fast = fastFrom(s);
    const optimizer = Object.fromEntries([...s.net.groups.map((g, gi) => [`actor/${g.name}`, s.actorOpts[gi].getState()] as const), ['critic', s.criticOpt.getState()] as const]);
    fast.setOptimizerState(optimizer, 'tfjs state');
    expect(fast.getOptimizerState()).toEqual(optimizer);
    collect(s.collector, s.config, 9);
    const second = bothUpdates(s, true, fast);
    expectSameStats(second.tfjs, second.native);
    expectSameWeights(s, fast, second.start);
    // And back: the fast learner's state into tfjs, which then matches a third fast update.
    s.net.setWeights(fast.getWeights(), 'fast weights');
    const state = fast.getOptimizerState();
    s.net.groups.forEach((g, gi) => s.actorOpts[gi].setState(state[`actor/${g.name}`], 'fast state'));
    s.criticOpt.setState(state.critic, 'fast state');
    const third = bothUpdates(s, true, fast);
    expectSameStats(third.tfjs, third.native);
    expectSameWeights(s, fast, third.start);
    dispose(s);
  });

  it('gives the same update with a doubling all-sum (two identical ranks) as with LOCAL_SUM', () => {
    for (const minibatches of [1, 2]) {
      const s = setup('3m', { rolloutLength: 30, minibatches });
      const single = fastFrom(s);
      const pair = fastFrom(s);
      const doubling: AllSum = (values) => {
        for (let i = 0; i < values.length; i++) values[i] *= 2;
      };
      const a = single.update(s.collector.buffer, new ValueNorm(), s.config, new Rng(4), { updateActor: true, allSum: LOCAL_SUM });
      const b = pair.update(s.collector.buffer, new ValueNorm(), s.config, new Rng(4), { updateActor: true, allSum: doubling });
      expectSameStats(a, b);
      const { gap, moved } = weightGap(single.getWeights(), pair.getWeights(), s.net.getWeights());
      expect(moved).toBeGreaterThan(1e-4);
      expect(gap).toBeLessThan(1e-6);
      dispose(s);
    }
  });

  it('refuses bad weights and optimizer states by name', () => {
    const s = setup('spread', {});
    const fast = fastFrom(s);
    const weights = fast.getWeights();
    weights.critic[0] = new Float32Array(3);
    expect(() => fast.setWeights(weights, 'ckpt.json')).toThrow(/ckpt.json: critic: weight 0 has 3 values/);
    expect(() => fast.setOptimizerState({}, 'ckpt.json')).toThrow(/ckpt.json: no optimizer state for actor 'shared'/);
    dispose(s);
  });
});

describe('FastLearner.unsupported', () => {
  it('names recurrent actors and a KL anchor, and accepts the rest', () => {
    expect(FastLearner.unsupported({ recurrent: true, anchorKl: 0 })).toMatch(/recurrent/);
    expect(FastLearner.unsupported({ recurrent: false, anchorKl: 0.1 })).toMatch(/anchorKl/);
    expect(FastLearner.unsupported({ recurrent: false, anchorKl: 0 })).toBeNull();
  });
});

describe.skipIf(unavailable !== null)('setFastLearnerThreads', () => {
  it('sets OpenBLAS threads and refuses a non-positive count', async () => {
    const { setFastLearnerThreads } = await import('../../agents/learn/fast/native.ts');
    expect(setFastLearnerThreads(2)).toBe(2);
    expect(setFastLearnerThreads(1)).toBe(1);
    expect(() => setFastLearnerThreads(0)).toThrow(/positive integer/);
  });
});
