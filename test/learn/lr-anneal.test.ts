import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LEARNERS } from '../../agents/learn/parallel/learners.ts';
import { train } from '../../agents/learn/trainer.ts';
import { tinyConfig } from './helpers.ts';

describe('lrAnneal', () => {
  it('sets both learning rates linearly towards 0 over totalSteps, before each update', async () => {
    const seen: [number, number][] = [];
    LEARNERS.spy = (net, config, setup) => {
      const learner = LEARNERS.tfjs(net, config, setup);
      const set = learner.setLearningRates.bind(learner);
      learner.setLearningRates = (actorLr, criticLr) => {
        seen.push([actorLr, criticLr]);
        set(actorLr, criticLr);
      };
      return learner;
    };
    // 4 envs x 10 steps per update: three updates.
    const config = tinyConfig({ lrAnneal: true, workers: 0, totalSteps: 120, lr: 3e-4, criticLr: 6e-4 });
    await train({ config, runDir: join(mkdtempSync(join(tmpdir(), 'kdmarl-anneal-')), 'run'), resume: false, producedBy: 'test', progress: false, learner: 'spy', log: () => {} });
    delete LEARNERS.spy;
    expect(seen.length).toBe(3);
    [1, 2 / 3, 1 / 3].forEach((f, u) => {
      expect(seen[u][0]).toBeCloseTo(3e-4 * f, 12);
      expect(seen[u][1]).toBeCloseTo(6e-4 * f, 12);
    });
  });
});
