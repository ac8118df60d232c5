import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imitate, PHASES_FILE, type ImitateSettings } from '../../agents/learn/imitate.ts';
import { train } from '../../agents/learn/trainer.ts';
import { resolveConfig, type TrainConfig } from '../../agents/learn/config.ts';
import { CHECKPOINT_FILE, POLICY_FILE, readCheckpoint } from '../../agents/learn/checkpoint.ts';
import { evaluate } from '../../agents/eval/evaluate.ts';
import { loadEvalPolicy } from '../../agents/eval/load-eval-policy.ts';
import { createSimulation } from '../../server/scenarios/registry.ts';
import { deriveSeed } from '../../shared/rng.ts';
import { fromRoot } from '../../shared/paths.ts';
import { ANCHOR_FILE, EVAL_SEED_OFFSET } from '../../agents/learn/trainer.ts';
import { METRIC, readMetrics } from '../../agents/learn/metrics-log.ts';
import { tinyConfig } from './helpers.ts';

const quiet = () => {};

function tiny3m(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return resolveConfig('3m', {}, { actorHidden: [32], criticHidden: [16], numEnvs: 2, rolloutLength: 20, epochs: 2, evalEpisodes: 8, ...overrides });
}

const SMALL: ImitateSettings = { expert: 'scripted-micro', demoEpisodes: 40, epochs: 6, daggerRounds: 1, daggerEpisodes: 12, daggerEpochs: 2, batchSize: 128, lr: 3e-3 };

describe('kdmarl imitate (behaviour cloning + DAgger) and train --init-from', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kdmarl-imitate-'));
  const runDir = join(dir, 'imitate');

  it('clones scripted-micro on 3m: held-out agreement rises far above the untrained actor\'s, DAgger adds the clone\'s own states', async () => {
    const result = await imitate({ config: tiny3m(), settings: SMALL, runDir, producedBy: 'test', log: quiet });
    const [bc, dagger] = result.phases;
    expect(bc.player).toBe('expert');
    expect(bc.playedWinRate).toBeGreaterThan(0.8);
    // bc.agreement is the untrained actor's on the demonstrations: about one allowed action in four.
    expect(bc.agreement).toBeLessThan(0.5);
    expect(bc.holdoutAccuracy).toBeGreaterThan(bc.agreement + 0.2);
    expect(dagger.player).toBe('clone');
    expect(dagger.rows).toBeGreaterThan(bc.rows);
    // On its own states the trained clone agrees with the expert about as often as on held-out demos.
    expect(dagger.agreement).toBeGreaterThan(bc.agreement + 0.2);
    for (const f of [CHECKPOINT_FILE, POLICY_FILE, PHASES_FILE, 'config.json', 'bc.policy', 'dagger1.policy']) expect(existsSync(join(runDir, f)), f).toBe(true);
  });

  it('writes a checkpoint whose greedy policy is the evaluated clone (same wins on the same seeds)', async () => {
    const ckpt = readCheckpoint(join(runDir, CHECKPOINT_FILE));
    expect(ckpt.scenario).toBe('3m');
    expect(ckpt.progress.updates).toBe(0);
    const sim = createSimulation('3m');
    const loaded = await loadEvalPolicy(runDir, '3m', sim);
    const config = tiny3m();
    const again = evaluate('3m', loaded.agents, { episodes: config.evalEpisodes, seed: deriveSeed(config.seed, EVAL_SEED_OFFSET) });
    const { phases } = JSON.parse(readFileSync(join(runDir, PHASES_FILE), 'utf8')) as { phases: { evalWinRate: number; evalReturn: number }[] };
    expect(again.winRate).toBe(phases[1].evalWinRate);
    expect(again.meanReturn).toBeCloseTo(phases[1].evalReturn, 9);
  });

  it('train --init-from keeps the clone\'s actor while freezeActorUpdates trains only the critic', async () => {
    const ftDir = join(dir, 'finetune');
    const before = readCheckpoint(join(runDir, CHECKPOINT_FILE));
    await train({ config: tiny3m({ freezeActorUpdates: 2 }), runDir: ftDir, resume: false, initFrom: runDir, producedBy: 'test', progress: false, maxUpdates: 2, log: quiet });
    const frozen = readCheckpoint(join(ftDir, CHECKPOINT_FILE));
    expect(frozen.progress.updates).toBe(2);
    expect(frozen.weights['actor/shared']).toEqual(before.weights['actor/shared']);
    expect(frozen.weights.critic).not.toEqual(before.weights.critic);
    const lines = readMetrics(join(ftDir, 'metrics.jsonl'));
    expect(lines[0][METRIC.valueLoss]).toBeGreaterThan(0);
    expect(METRIC.entropy in lines[0]).toBe(false);
    // Past the frozen updates PPO moves the actor.
    await train({ config: tiny3m({ freezeActorUpdates: 2 }), runDir: ftDir, resume: true, producedBy: 'test', progress: false, maxUpdates: 1, log: quiet });
    expect(readCheckpoint(join(ftDir, CHECKPOINT_FILE)).weights['actor/shared']).not.toEqual(before.weights['actor/shared']);
    expect(readMetrics(join(ftDir, 'metrics.jsonl'))[2][METRIC.entropy]).toBeGreaterThan(0);
  });

  it('anchorKl holds a fine-tune near the clone it started from, and --resume finds the same anchor', async () => {
    // Same seed, same rollouts at first: only the anchor's weight differs. A high learning rate moves the actor fast.
    const fineTune = async (name: string, anchorKl: number) => {
      const ftDir = join(dir, name);
      await train({ config: tiny3m({ anchorKl, lr: 3e-3, epochs: 4 }), runDir: ftDir, resume: false, initFrom: runDir, producedBy: 'test', progress: false, maxUpdates: 3, log: quiet });
      return ftDir;
    };
    const loose = readMetrics(join(await fineTune('anchor-loose', 1e-9), 'metrics.jsonl'));
    const heldDir = await fineTune('anchor-held', 20);
    const held = readMetrics(join(heldDir, 'metrics.jsonl'));
    // Unanchored, the fine-tune drifts further from the clone with every update.
    expect(loose[2][METRIC.anchorKl]).toBeGreaterThan(loose[0][METRIC.anchorKl]);
    expect(held[2][METRIC.anchorKl]).toBeLessThan(0.5 * loose[2][METRIC.anchorKl]);
    expect(existsSync(join(heldDir, ANCHOR_FILE))).toBe(true);
    await train({ config: tiny3m({ anchorKl: 20, lr: 3e-3, epochs: 4 }), runDir: heldDir, resume: true, producedBy: 'test', progress: false, maxUpdates: 1, log: quiet });
    expect(readMetrics(join(heldDir, 'metrics.jsonl'))[3][METRIC.anchorKl]).toBeGreaterThan(0);
    await expect(train({ config: tiny3m({ anchorKl: 1 }), runDir: join(dir, 'w'), resume: false, producedBy: 'test', progress: false, maxUpdates: 1, log: quiet })).rejects.toThrow(/anchorKl 1: needs --init-from/);
  });

  it('stops after the phase a SIGTERM interrupts, with that phase\'s clone saved', async () => {
    const stopDir = join(dir, 'stopped');
    let signalled = false;
    const log = (line: string) => {
      if (signalled || !line.startsWith('bc: 2 epochs')) return;
      signalled = true;
      setImmediate(() => process.emit('SIGTERM'));
    };
    const result = await imitate({ config: tiny3m(), settings: { ...SMALL, demoEpisodes: 10, epochs: 2, daggerRounds: 2, daggerEpisodes: 4 }, runDir: stopDir, producedBy: 'test', log });
    expect(signalled).toBe(true);
    expect(result.stopped).toBe(true);
    expect(result.phases.map((p) => p.name)).toEqual(['bc']);
    for (const f of [CHECKPOINT_FILE, POLICY_FILE, 'bc.policy', 'metrics.jsonl']) expect(existsSync(join(stopDir, f)), f).toBe(true);
    expect(existsSync(join(stopDir, 'dagger1.policy'))).toBe(false);
  });

  it('refuses an expert that cannot teach, a recurrent clone, and --init-from nets of another shape', async () => {
    await expect(imitate({ config: tinyConfig(), settings: SMALL, runDir: join(dir, 'x'), producedBy: 'test', log: quiet })).rejects.toThrow(/scripted-micro reads a SMAC battle's state.*'spread' is not a SMAC-family scenario/);
    const student = fromRoot('models', '3m', 'student.policy');
    await expect(imitate({ config: tiny3m(), settings: { ...SMALL, expert: student }, runDir: join(dir, 'x'), producedBy: 'test', log: quiet })).rejects.toThrow(/an expert must read the full observation/);
    await expect(imitate({ config: tiny3m(), settings: { ...SMALL, expert: join(dir, 'nowhere') }, runDir: join(dir, 'x'), producedBy: 'test', log: quiet })).rejects.toThrow(/--expert: '.*nowhere' is not 'random', 'scripted'/);
    await expect(imitate({ config: tiny3m({ recurrent: true }), settings: SMALL, runDir: join(dir, 'x'), producedBy: 'test', log: quiet })).rejects.toThrow(/imitation trains MLP actors/);
    await expect(train({ config: tiny3m({ actorHidden: [64] }), runDir: join(dir, 'y'), resume: false, initFrom: runDir, producedBy: 'test', progress: false, maxUpdates: 1, log: quiet })).rejects.toThrow(/--init-from .*differ from this config's in actorHidden \(\[32\] there, \[64\] here\)/);
    await expect(train({ config: tinyConfig(), runDir: join(dir, 'z'), resume: false, initFrom: runDir, producedBy: 'test', progress: false, maxUpdates: 1, log: quiet })).rejects.toThrow(/checkpoint was trained on scenario '3m'.*does not match/);
  });
});
