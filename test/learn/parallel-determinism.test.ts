import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train } from '../../agents/learn/trainer.ts';
import { CHECKPOINT_FILE, readCheckpoint } from '../../agents/learn/checkpoint.ts';
import type { TrainConfig } from '../../agents/learn/config.ts';
import { Adam } from '../../agents/learn/adam.ts';
import { ppoUpdate } from '../../agents/learn/ppo.ts';
import { Collector } from '../../agents/learn/rollout.ts';
import { buildTeacherNet } from '../../agents/learn/teacher-net.ts';
import { ValueNorm } from '../../agents/learn/value-norm.ts';
import { VecEnv } from '../../server/env/vec-env.ts';
import { createSimulation, resolveScenario } from '../../server/scenarios/registry.ts';
import { Rng, deriveSeed } from '../../shared/rng.ts';
import { tinyConfig } from './helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'kdmarl-parallel-'));
const quiet = () => {};

/** The checkpointed weights after two updates of `config` in a fresh run dir. */
async function weightsAfterTwoUpdates(config: TrainConfig, name: string): Promise<Record<string, Float32Array[]>> {
  const runDir = join(root, name);
  const result = await train({ config, runDir, resume: false, producedBy: 'test', progress: false, maxUpdates: 2, log: quiet });
  expect(result.updates).toBe(2);
  return readCheckpoint(join(runDir, CHECKPOINT_FILE)).weights;
}

describe('data-parallel training over worker threads', () => {
  for (const workers of [1, 2]) {
    it(`gives the same weights, bit for bit, from the same seed with ${workers} worker(s)`, async () => {
      const config = tinyConfig({ workers, minibatches: 2, totalSteps: 10_000 });
      const a = await weightsAfterTwoUpdates(config, `w${workers}-a`);
      const b = await weightsAfterTwoUpdates(config, `w${workers}-b`);
      expect(Object.keys(a)).toEqual(Object.keys(b));
      for (const key of Object.keys(a)) a[key].forEach((w, i) => expect(Buffer.from(w.buffer, w.byteOffset, w.byteLength).equals(Buffer.from(b[key][i].buffer, b[key][i].byteOffset, b[key][i].byteLength))).toBe(true));
      // Another seed trains another run (the comparison above can fail).
      const other = await weightsAfterTwoUpdates({ ...config, seed: 7 }, `w${workers}-other`);
      expect(Array.from(other.critic[0].subarray(0, 8))).not.toEqual(Array.from(a.critic[0].subarray(0, 8)));
    }, 180_000);
  }

  it('with --workers 0 trains as the single-thread loop (collect, then ppoUpdate) did', async () => {
    const config = tinyConfig({ workers: 0, learner: 'tfjs', totalSteps: 10_000 });
    const trained = await weightsAfterTwoUpdates(config, 'w0');
    const scenario = resolveScenario(config.scenario);
    const { net } = buildTeacherNet(config, scenario, createSimulation(scenario));
    const actorOpts = net.actors.map((a) => new Adam(a.variables(), config.lr, config.adamEps));
    const criticOpt = new Adam(net.critic.variables(), config.criticLr, config.adamEps);
    const valueNorm = new ValueNorm();
    const rng = new Rng(deriveSeed(config.seed, 0xac7));
    const vec = new VecEnv(() => createSimulation(scenario), { numEnvs: config.numEnvs, seed: deriveSeed(config.seed, 1) });
    vec.reset();
    const collector = new Collector(net, vec, config.rolloutLength);
    for (let update = 0; update < 2; update++) {
      collector.collect(rng, valueNorm, config.gamma, config.gaeLambda, []);
      ppoUpdate(net, collector.buffer, valueNorm, actorOpts, criticOpt, config, rng, true, null);
    }
    const reference = net.getWeights();
    for (const key of Object.keys(reference)) reference[key].forEach((w, i) => expect(Array.from(trained[key][i])).toEqual(Array.from(w)));
    for (const o of [...actorOpts, criticOpt]) o.dispose();
    net.dispose();
  });
});
