import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../agents/learn/backend.ts';
import { ActorCritic } from '../../agents/learn/actor-critic.ts';
import { RecurrentActor } from '../../agents/learn/recurrent-actor.ts';
import { train } from '../../agents/learn/trainer.ts';
import { CHECKPOINT_FILE, POLICY_FILE, readCheckpoint } from '../../agents/learn/checkpoint.ts';
import { resolveConfig } from '../../agents/learn/config.ts';
import { loadFrozenTeacher } from '../../agents/distill/frozen-teacher.ts';
import { evaluate } from '../../agents/eval/evaluate.ts';
import { policyFileAgents, readPolicyPath } from '../../agents/eval/policies.ts';
import { AgentPolicyRuntime, loadPolicyFile, parsePolicyBytes } from '../../agents/runtime/policy-runtime.ts';
import { SlotRunner } from '../../agents/process/slot-runner.ts';
import { tfjsForward } from '../../agents/report/latency.ts';
import { createSimulation } from '../../server/scenarios/registry.ts';
import { checkPolicyFile, isRecurrentNet, type GruLayer, type PolicyFile } from '../../shared/model-format.ts';
import { gruFlops, netFlops } from '../../shared/flops.ts';
import { encode } from '../../shared/codec.ts';
import { Rng } from '../../shared/rng.ts';
import type { SlotInfo } from '../../shared/handshake-protocol.ts';
import { Adam } from '../../agents/learn/adam.ts';
import { Collector } from '../../agents/learn/rollout.ts';
import { ppoUpdate } from '../../agents/learn/ppo.ts';
import { ValueNorm } from '../../agents/learn/value-norm.ts';
import { scenarioShape } from '../../agents/learn/trainer.ts';
import { VecEnv, type EpisodeSummary } from '../../server/env/vec-env.ts';
import { tinyConfig } from './helpers.ts';

const quiet = () => {};

beforeAll(async () => {
  await initBackend();
});

/** A recurrent ActorCritic with weights moved well away from init, so the state matters. */
function perturbedNet(seed: number): ActorCritic {
  const shape = { agentNames: ['a_0', 'a_1', 'solo_0'], observationSizes: [7, 7, 4], actionCounts: [5, 5, 3], stateSize: 9 };
  const net = new ActorCritic(shape, { actorHidden: [16, 12], criticHidden: [8], layerNorm: true, shareActor: true, denseMode: 'custom', seed, recurrent: true });
  const rng = new Rng(seed + 1);
  const weights = net.getWeights();
  for (const list of Object.values(weights)) for (const w of list) for (let i = 0; i < w.length; i++) w[i] += 0.4 * rng.normal();
  net.setWeights(weights, 'test');
  return net;
}

describe('recurrent (GRU) actor', () => {
  it('the typed-array runtime follows the tfjs actor to 1e-5 over a sequence with an episode reset', () => {
    const net = perturbedNet(3);
    const file = parsePolicyBytes(encode(net.toPolicyFile('toy', 'test')), 'roundtrip');
    expect(Object.values(file.nets).every(isRecurrentNet)).toBe(true);
    const rng = new Rng(17);
    let maxDiff = 0;
    let stateMatters = 0;
    net.shape.agentNames.forEach((name, agent) => {
      const gi = net.agentGroup[agent];
      const g = net.groups[gi];
      const actor = net.actors[gi] as RecurrentActor;
      const runtime = new AgentPolicyRuntime(file, name);
      expect(runtime.recurrent).toBe(true);
      const hidden = new Float32Array(actor.hiddenSize);
      const input = new Float32Array(g.inputSize);
      const first: Float32Array[] = [];
      for (let step = 0; step < 12; step++) {
        if (step === 6) {
          // A new episode: both sides forget.
          hidden.fill(0);
          runtime.reset();
        }
        const obs = Float32Array.from({ length: g.observationSize }, () => 2 * rng.normal());
        net.writeActorInput(agent, obs, 0, input, 0);
        const tfLogits = net.actorStep(gi, input, 1, hidden);
        // Inspection (probabilities) must not move the state on.
        runtime.probabilities(obs, new Uint8Array(g.actionCount).fill(1));
        const rtLogits = Float32Array.from(runtime.logits(obs));
        for (let k = 0; k < g.actionCount; k++) maxDiff = Math.max(maxDiff, Math.abs(tfLogits[k] - rtLogits[k]));
        if (step === 0) first.push(rtLogits);
      }
      // The same observation from a zero state vs after 12 steps: the state changes the logits.
      const obs0 = Float32Array.from({ length: g.observationSize }, () => 1);
      const carried = Float32Array.from(runtime.logits(obs0));
      runtime.reset();
      const fresh = runtime.logits(obs0);
      for (let k = 0; k < g.actionCount; k++) stateMatters = Math.max(stateMatters, Math.abs(carried[k] - fresh[k]));
    });
    expect(maxDiff).toBeLessThan(1e-5);
    expect(stateMatters).toBeGreaterThan(1e-3);

    // The report's tfjs latency runtime carries the state the same way, without leaking tensors.
    const runtime = new AgentPolicyRuntime(file, 'solo_0');
    const forward = tfjsForward(file.nets.solo);
    const tensors = tf.memory().numTensors;
    let tfjsDiff = 0;
    for (let step = 0; step < 5; step++) {
      const obs = Float32Array.from({ length: 4 }, () => rng.normal());
      const z = tf.tidy(() => forward(tf.tensor2d(obs, [1, 4])));
      const expected = runtime.logits(obs);
      z.dataSync().forEach((v, k) => (tfjsDiff = Math.max(tfjsDiff, Math.abs(v - expected[k]))));
      z.dispose();
    }
    expect(tf.memory().numTensors).toBe(tensors);
    forward.dispose();
    expect(tfjsDiff).toBeLessThan(1e-5);
    net.dispose();
  });

  it('the training forward (chunks, episode starts inside) equals stepping the actor row by row', () => {
    const net = perturbedNet(5);
    const actor = net.actors[0] as RecurrentActor;
    const steps = 5;
    const B = 3;
    const rng = new Rng(2);
    const x = Float32Array.from({ length: steps * B * actor.inputSize }, () => rng.normal());
    const h0 = Float32Array.from({ length: B * actor.hiddenSize }, () => 0.5 * rng.normal());
    const keep = new Float32Array(steps * B).fill(1);
    keep[2 * B + 1] = 0; // sequence 1 starts an episode at step 2
    keep[0] = 0; // sequence 0 starts one at step 0 (its h0 is ignored)
    const sequence = tf.tidy(() => actor.applySequence(tf.tensor2d(x, [steps * B, actor.inputSize]), tf.tensor2d(h0, [B, actor.hiddenSize]), tf.tensor2d(keep, [steps * B, 1]), steps).dataSync() as Float32Array);
    const out = actor.outputSize;
    let maxDiff = 0;
    for (let b = 0; b < B; b++) {
      const hidden = h0.slice(b * actor.hiddenSize, (b + 1) * actor.hiddenSize);
      for (let s = 0; s < steps; s++) {
        if (keep[s * B + b] === 0) hidden.fill(0);
        const row = s * B + b;
        const logits = net.actorStep(0, x.subarray(row * actor.inputSize, (row + 1) * actor.inputSize), 1, hidden);
        for (let k = 0; k < out; k++) maxDiff = Math.max(maxDiff, Math.abs(logits[k] - sequence[row * out + k]));
      }
    }
    expect(maxDiff).toBeLessThan(1e-5);
    net.dispose();
  });

  it('PPO replays the rollout exactly: before its first step the new policy equals the old (KL 0), across episode starts inside chunks', () => {
    // Spread episodes last 25 steps; 12-step rollouts in chunks of 4 put episode starts inside chunks.
    const config = tinyConfig({ recurrent: true, recurrentChunk: 4, rolloutLength: 12, epochs: 1, minibatches: 1 });
    const vec = new VecEnv(() => createSimulation('spread'), { numEnvs: config.numEnvs, seed: 3 });
    vec.reset();
    const net = new ActorCritic(scenarioShape(vec.sims[0]), { ...config, denseMode: 'custom' });
    // Large logits, so any mismatch in the replayed states shows in the ratio.
    const rng = new Rng(8);
    const weights = net.getWeights();
    for (const w of weights['actor/shared']) for (let i = 0; i < w.length; i++) w[i] += 0.5 * rng.normal();
    net.setWeights(weights, 'test');
    const actorOpts = net.actors.map((a) => new Adam(a.variables(), 1e-9, config.adamEps));
    const criticOpt = new Adam(net.critic.variables(), config.criticLr, config.adamEps);
    const collector = new Collector(net, vec, config.rolloutLength, config.recurrentChunk);
    const norm = new ValueNorm();
    const episodes: EpisodeSummary[] = [];
    let startsInside = 0;
    for (let cycle = 0; cycle < 5; cycle++) {
      collector.collect(rng, norm, config.gamma, config.gaeLambda, episodes);
      const starts = collector.buffer.groupStarts[0];
      const perStep = starts.length / config.rolloutLength;
      for (let t = 0; t < config.rolloutLength; t++) if (t % config.recurrentChunk !== 0 && starts[t * perStep] === 1) startsInside++;
      const stats = ppoUpdate(net, collector.buffer, norm, actorOpts, criticOpt, config, rng);
      expect(stats.approxKl).toBeLessThan(1e-6);
      expect(stats.clipFraction).toBe(0);
    }
    expect(episodes.length).toBeGreaterThan(0);
    expect(startsInside).toBeGreaterThan(0);
    for (const o of actorOpts) o.dispose();
    criticOpt.dispose();
    net.dispose();
  });

  it('counts a GRU step in the one FLOPs counter and refuses malformed GRU layers', () => {
    const net = perturbedNet(7);
    const file = net.toPolicyFile('toy', 'test');
    const gru = file.nets.a.layers.find((l): l is GruLayer => l.kind === 'gru')!;
    expect(gru.hiddenSize).toBe(12);
    expect(gruFlops(12, 12)).toBe(3 * (2 * 12 * 12 + 2 * 12 * 12) + 17 * 12);
    const withoutGru = { ...file.nets.a, layers: file.nets.a.layers.filter((l) => l.kind !== 'gru') };
    expect(netFlops(file.nets.a) - netFlops(withoutGru)).toBe(gruFlops(12, 12));
    const broken: PolicyFile = { ...file, nets: { ...file.nets, a: { ...file.nets.a, layers: file.nets.a.layers.map((l) => (l.kind === 'gru' ? { ...l, wh: l.wh.subarray(1) } : l)) } } };
    expect(() => checkPolicyFile(broken, 'bad.policy')).toThrow(/bad\.policy: nets\.a\.layers\[3\]: gru wh has 431 values, expected 432/);
    net.dispose();
  });

  it('rejects a rollout length that is not a multiple of the chunk, and student views', () => {
    expect(() => resolveConfig('spread', { recurrent: true }, { rolloutLength: 25, recurrentChunk: 10 })).toThrow(/rolloutLength 25 is not a multiple of recurrentChunk 10/);
    expect(() => resolveConfig('spread', { recurrent: true, actorViews: 'student' }, { rolloutLength: 20 })).toThrow(/recurrent is not supported with actorViews 'student'/);
    // Off by default, and the chunk only matters when it is on.
    const plain = resolveConfig('spread', {}, { rolloutLength: 25 });
    expect([plain.recurrent, plain.recurrentChunk]).toEqual([false, 10]);
  });

  it('trains, checkpoints, resumes, exports and evaluates deterministically; distillation refuses it', async () => {
    const runDir = join(mkdtempSync(join(tmpdir(), 'kdmarl-gru-')), 'run');
    const config = tinyConfig({ recurrent: true, recurrentChunk: 5, minibatches: 2, totalSteps: 400 });
    const first = await train({ config, runDir, resume: false, producedBy: 'test', progress: false, maxUpdates: 2, log: quiet });
    expect(first.updates).toBe(2);
    expect(Number.isFinite(first.lastStats!.policyLoss)).toBe(true);
    const before = readCheckpoint(join(runDir, CHECKPOINT_FILE));
    expect(before.config.recurrent).toBe(true);
    await expect(train({ config: { ...config, recurrent: false }, runDir, resume: true, producedBy: 'test', progress: false, maxUpdates: 1, log: quiet })).rejects.toThrow(/checkpoint has recurrent \(GRU\) actors, the config asks for MLP ones/);
    const resumed = await train({ config, runDir, resume: true, producedBy: 'test', progress: false, maxUpdates: 1, log: quiet });
    expect(resumed.updates).toBe(3);
    const after = readCheckpoint(join(runDir, CHECKPOINT_FILE));
    expect(after.optimizer!['actor/shared'].step).toBe(before.optimizer!['actor/shared'].step + config.epochs * config.minibatches);

    // The exported policy and the checkpoint's own export agree, and both carry the GRU.
    const exported = loadPolicyFile(join(runDir, POLICY_FILE));
    const fromCheckpoint = readPolicyPath(runDir);
    expect(isRecurrentNet(exported.nets.shared)).toBe(true);
    expect(encode(fromCheckpoint.nets)).toEqual(encode(exported.nets));

    const sim = createSimulation('spread');
    const loaded = policyFileAgents(exported, sim, 'spread', 'test');
    const a = evaluate('spread', loaded.agents, { episodes: 3, seed: 4 });
    const b = evaluate('spread', loaded.agents, { episodes: 3, seed: 4 });
    expect(b.outcomes).toEqual(a.outcomes);
    // Without the reset, the state left by the last run leaks into the next: the outcomes change.
    const noReset = loaded.agents.map((agent) => ({ ...agent, policy: { ...agent.policy, reset: undefined } }));
    const c = evaluate('spread', noReset, { episodes: 3, seed: 4 });
    expect(c.outcomes).not.toEqual(a.outcomes);

    expect(() => loadFrozenTeacher(runDir, after.shape, 'spread')).toThrow(/was trained with a recurrent \(GRU\) actor; distillation needs an MLP teacher/);
  });

  it('an agent process slot zeroes the recurrent state at every episode start', () => {
    const net = perturbedNet(9);
    const file = net.toPolicyFile('toy', 'test');
    net.dispose();
    const runtime = new AgentPolicyRuntime(file, 'solo_0');
    let resets = 0;
    const policy = {
      label: 'teacher',
      flops: runtime.flops,
      observationSize: runtime.observationSize,
      decide: (obs: Float32Array) => {
        runtime.logits(obs);
        return 0;
      },
      reset: () => {
        resets++;
        runtime.reset();
      },
    };
    const info = { slot: 0, agent: 'solo_0', observationSize: 4, actionCount: 3 } as SlotInfo;
    const runner = new SlotRunner(info, policy, {});
    const obs = Float32Array.from([0.3, -1, 2, 0.5]);
    const mask = new Uint8Array(3).fill(1);
    const episode = () => {
      runner.startEpisode();
      for (let t = 0; t < 4; t++) runner.decide(obs, 0, mask, 0, 0.5);
      return Float32Array.from(runtime.logits(obs, false));
    };
    const one = episode();
    const two = episode();
    expect(resets).toBe(2);
    expect(Array.from(two)).toEqual(Array.from(one));
  });
});
