import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train } from '../../agents/learn/trainer.ts';
import { readConfigFile, resolveConfig } from '../../agents/learn/config.ts';
import { CHECKPOINT_FILE, readCheckpoint } from '../../agents/learn/checkpoint.ts';
import { tinyAgentStateConfig } from './helpers.ts';

const quiet = () => {};

/** Input width of the critic's first dense layer (weights after the input LayerNorm's gamma and beta). */
const criticInputWidth = (weights: Float32Array[], hidden: number) => weights[2].length / hidden;

describe("kdmarl train with criticInput 'agent_state'", () => {
  const root = mkdtempSync(join(tmpdir(), 'kdmarl-as-train-'));
  const runDir = join(root, 'run');

  it('trains from a user config file, checkpoints the wider critic, and --resumes it', async () => {
    const file = join(root, 'as.json');
    writeFileSync(file, JSON.stringify({ criticInput: 'agent_state', actorHidden: [16, 16], criticHidden: [16, 16], numEnvs: 4, rolloutLength: 10, epochs: 2, totalSteps: 400, evalEvery: 0, evalEpisodes: 2, checkpointEvery: 2 }));
    const config = resolveConfig('speaker_listener', readConfigFile(file));
    expect(config).toEqual(tinyAgentStateConfig());
    const first = await train({ config, runDir, resume: false, producedBy: 'test', progress: false, maxUpdates: 3, log: quiet });
    expect(first.updates).toBe(3);
    expect(Number.isFinite(first.lastStats!.valueLoss)).toBe(true);
    expect(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')).criticInput).toBe('agent_state');
    const before = readCheckpoint(join(runDir, CHECKPOINT_FILE));
    expect(before.config.criticInput).toBe('agent_state');
    // state 14 ++ the widest observation (listener, 11) ++ 2-agent one-hot
    expect(criticInputWidth(before.weights.critic, 16)).toBe(14 + 11 + 2);

    const resumed = await train({ config, runDir, resume: true, producedBy: 'test', progress: false, maxUpdates: 2, log: quiet });
    expect(resumed.updates).toBe(5);
    const after = readCheckpoint(join(runDir, CHECKPOINT_FILE));
    expect(after.optimizer!.critic.step).toBe(before.optimizer!.critic.step + 2 * config.epochs);
    expect(after.weights.critic[2]).not.toEqual(before.weights.critic[2]);
  });

  it('refuses to resume with another critic input', async () => {
    await expect(train({ config: tinyAgentStateConfig({ criticInput: 'state' }), runDir, resume: true, producedBy: 'test', progress: false, maxUpdates: 1, log: quiet })).rejects.toThrow(
      /checkpoint's critic input is 'agent_state', the config asks for 'state' \(criticInput cannot change on --resume\)/,
    );
  });

  it('gives student-view actors (the from-scratch baseline) a critic over full views', async () => {
    const dir = join(root, 'scratch');
    // A profile without views: the scenario's default student views (the listener's drops its velocity: 9 of 11 values).
    const profile = join(root, 'profile.json');
    writeFileSync(profile, JSON.stringify({ scenario: 'speaker_listener', default: { hidden: [8] } }));
    const config = tinyAgentStateConfig({ actorViews: 'student', studentProfile: profile });
    await train({ config, runDir: dir, resume: false, producedBy: 'test', progress: false, maxUpdates: 2, log: quiet });
    const ckpt = readCheckpoint(join(dir, CHECKPOINT_FILE));
    // The actors' shape records student views; the critic still pads full views (11 values).
    expect(criticInputWidth(ckpt.weights.critic, 16)).toBe(14 + 11 + 2);
    expect(ckpt.shape.observationSizes).toEqual([3, 9]);
  });
});
