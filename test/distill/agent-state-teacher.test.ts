import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { train, scenarioShape } from '../../agents/learn/trainer.ts';
import { ActorCritic } from '../../agents/learn/actor-critic.ts';
import { Collector } from '../../agents/learn/rollout.ts';
import { ValueNorm } from '../../agents/learn/value-norm.ts';
import { CHECKPOINT_FILE, readCheckpoint } from '../../agents/learn/checkpoint.ts';
import { FrozenTeacher, loadFrozenTeacher } from '../../agents/distill/frozen-teacher.ts';
import { distill } from '../../agents/distill/distiller.ts';
import { resolveDistillConfig } from '../../agents/distill/config.ts';
import { readMetrics } from '../../agents/learn/metrics-log.ts';
import { VecEnv, type EpisodeSummary } from '../../server/env/vec-env.ts';
import { createSimulation } from '../../server/scenarios/registry.ts';
import { Rng } from '../../shared/rng.ts';
import { tinyAgentStateConfig } from '../learn/helpers.ts';

const quiet = () => {};

afterEach(() => {
  vi.restoreAllMocks();
});

describe("an 'agent_state' teacher in distillation", () => {
  const root = mkdtempSync(join(tmpdir(), 'kdmarl-as-teacher-'));
  const teacherDir = join(root, 'teacher');

  it("gives the trainer critic's values on the same states and full observations (steps, truncations, bootstrap)", async () => {
    await train({ config: tinyAgentStateConfig({ backend: 'cpu' }), runDir: teacherDir, resume: false, producedBy: 'test', progress: false, maxUpdates: 2, log: quiet });
    const ckpt = readCheckpoint(join(teacherDir, CHECKPOINT_FILE));
    const vec = new VecEnv(() => createSimulation('speaker_listener'), { numEnvs: 2, seed: 21 });
    vec.reset();
    const shape = scenarioShape(vec.sims[0]);
    const teacher = loadFrozenTeacher(teacherDir, shape, 'speaker_listener');
    expect(teacher.net.criticObservationSize).toBeGreaterThan(0);

    // The trainer's critic as the trainer builds it, fed by the trainer's collector (30 steps: one truncation per env).
    const c = ckpt.config;
    const net = new ActorCritic(shape, { ...c, denseMode: 'custom', criticObservationSizes: vec.sims[0].layouts.map((l) => l.size) });
    net.setWeights(ckpt.weights, 'test');
    const norm = new ValueNorm();
    norm.setState(ckpt.valueNorm);
    const collector = new Collector(net, vec, 30);
    const episodes: EpisodeSummary[] = [];
    collector.collect(new Rng(8), norm, c.gamma, c.gaeLambda, episodes);
    const b = collector.buffer;
    const E = 2;
    const N = 2;
    const rows = 30 * E;
    let truncated = 0;
    for (let a = 0; a < N; a++) {
      const v = teacher.values(a, b.states, rows, b.criticObs[a]);
      const vFinal = teacher.values(a, b.finalStates, rows, b.finalCriticObs[a]);
      const vBoot = teacher.values(a, b.bootstrapStates, E, b.bootstrapCriticObs[a]);
      for (let row = 0; row < rows; row++) {
        const e = row % E;
        const t = (row - e) / E;
        const i = t * b.columns + e * N + a;
        expect(v[row]).toBeCloseTo(b.values[i], 4);
        if (b.truncated[row] === 1) {
          truncated++;
          expect(vFinal[row]).toBeCloseTo(b.nextValues[i], 4);
        }
        if (t === 29 && b.episodeEnd[i] === 0) expect(vBoot[e]).toBeCloseTo(b.nextValues[i], 4);
      }
    }
    expect(truncated).toBe(E * N);
    expect(() => teacher.values(0, b.states, rows)).toThrow(/critic is 'agent_state'.*values\(\) needs speaker_0's full observations/);
    expect(() => teacher.values(1, b.states, rows, new Float32Array(rows))).toThrow(/got 60 observation values for 60 rows of listener_0 \(11 each\)/);
    net.dispose();
    teacher.dispose();
  });

  it('distills from it with teacher-guided GAE, passing every agent its full observations', async () => {
    const logits = vi.spyOn(FrozenTeacher.prototype, 'logits');
    const values = vi.spyOn(FrozenTeacher.prototype, 'values');
    const config = resolveDistillConfig('speaker_listener', { totalSteps: 120, numEnvs: 2, rolloutLength: 30, epochs: 1, evalEvery: 0, evalEpisodes: 2, checkpointEvery: 1, backend: 'cpu' });
    expect(config.teacherGae && config.wPg > 0).toBe(true);
    const runDir = join(root, 'students');
    const result = await distill({ config, teacher: teacherDir, students: 'default', runDir, resume: false, producedBy: 'test', progress: false, log: quiet });
    expect(result.updates).toBe(2);
    for (const line of readMetrics(join(runDir, 'metrics.jsonl'))) expect(Number.isFinite(line['losses/pg'])).toBe(true);
    // Per update and agent: the step values read the very observations the teacher's logits did,
    // then the truncation and bootstrap values read full observations of their own.
    const sizes = [3, 11];
    expect(values.mock.calls.length).toBe(2 * 2 * 3);
    for (let call = 0; call < values.mock.calls.length; call += 3) {
      const [agent, , rows, stepObs] = values.mock.calls[call];
      expect(logits.mock.calls.some(([a, obs]) => a === agent && obs === stepObs)).toBe(true);
      expect(stepObs!.length).toBe(rows * sizes[agent]);
      const [, , finalRows, finalObs] = values.mock.calls[call + 1];
      const [, , bootRows, bootObs] = values.mock.calls[call + 2];
      expect(finalObs!.length).toBe(finalRows * sizes[agent]);
      expect(bootObs!.length).toBe(bootRows * sizes[agent]);
      // Each env truncated once in 30 steps of a 25-step scenario: those rows hold real observations.
      expect(finalObs!.some((x) => x !== 0)).toBe(true);
      expect(bootObs!.some((x) => x !== 0)).toBe(true);
    }
  });
});
