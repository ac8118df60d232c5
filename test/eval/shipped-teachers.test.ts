import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fromRoot } from '../../shared/paths.ts';
import { createSimulation } from '../../server/scenarios/registry.ts';
import { evaluate } from '../../agents/eval/evaluate.ts';
import { loadEvalPolicy } from '../../agents/eval/load-eval-policy.ts';
import { loadFrozenTeacher } from '../../agents/distill/frozen-teacher.ts';
import { initBackend } from '../../agents/learn/backend.ts';
import { scenarioShape } from '../../agents/learn/trainer.ts';
import { readCheckpoint } from '../../agents/learn/checkpoint.ts';

const modelsDir = fromRoot('models');
const shipped = existsSync(modelsDir) ? readdirSync(modelsDir).filter((d) => existsSync(join(modelsDir, d, 'checkpoint.ckpt'))).sort() : [];

describe('shipped teachers (models/<scenario>, and models/<scenario>-<variant> beside it)', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('exist for spread and 3m at least', () => {
    expect(shipped).toEqual(expect.arrayContaining(['spread', '3m']));
  });

  for (const name of shipped) {
    it(`${name}: checkpoint and teacher.policy load, evaluate a few episodes, and TRAINED.md records how`, async () => {
      const dir = join(modelsDir, name);
      // A directory is named after its scenario, or after it plus a variant ('3m-mappo').
      const scenario = readCheckpoint(join(dir, 'checkpoint.ckpt')).scenario;
      expect(name === scenario || name.startsWith(`${scenario}-`), name).toBe(true);
      for (const f of ['checkpoint.ckpt', 'teacher.policy']) expect(statSync(join(dir, f)).size).toBeLessThan(5 * 1024 * 1024);
      const trained = readFileSync(join(dir, 'TRAINED.md'), 'utf8');
      expect(trained).toMatch(/(kdmarl|node dist\/cli\.js) train --scenario \S+/);
      expect(trained).toMatch(/(kdmarl|node dist\/cli\.js) eval --scenario \S+ --policy \S+ --episodes \d+/);
      const sim = createSimulation(scenario);
      for (const path of [dir, join(dir, 'teacher.policy')]) {
        const policy = await loadEvalPolicy(path, scenario, sim);
        const result = evaluate(scenario, policy.agents, { episodes: 3, seed: 99 });
        expect(result.episodes).toBe(3);
        expect(Number.isFinite(result.meanReturn)).toBe(true);
      }
      const teacher = loadFrozenTeacher(dir, scenarioShape(sim), scenario);
      // An 'agent_state' critic also reads the agent's own full observation.
      expect(teacher.values(0, new Float32Array(sim.stateSize), 1, new Float32Array(sim.layouts[0].size)).length).toBe(1);
      teacher.dispose();
    });
  }
});
