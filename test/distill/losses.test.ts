import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../shared/rng.ts';
import { initBackend } from '../../agents/learn/backend.ts';
import { Adam } from '../../agents/learn/adam.ts';
import { StudentTeam } from '../../agents/distill/student-team.ts';
import { compositeLoss, disposeTensors, readParts, relationMatrices, relationMatricesPlain, toTensors, type DistillBatch, type LossSettings } from '../../agents/distill/losses.ts';
import { assignKMeans, fitKMeans } from '../../agents/distill/kmeans.ts';
import type { StudentPlan } from '../../agents/distill/student-plan.ts';
import { AgentPolicyRuntime } from '../../agents/runtime/policy-runtime.ts';

beforeAll(async () => {
  await initBackend('cpu');
});

const plans: StudentPlan[] = [0, 1, 2].map((index) => ({
  agent: `agent_${index}`, index, type: 'agent', view: {}, observationSize: 4, actionCount: 3, hidden: [8], flops: 0, caps: {},
}));

const base: LossSettings = { wPg: 0, wKl: 0, wCe: 0, wSr: 0, wRa: 0, wEnt: 0, tau: 2, clip: 0.2, huberDelta: 1, srEmbedding: 'projection', numRoles: 2 };

function randomBatch(rows: number, rng: Rng): DistillBatch {
  const n = plans.length;
  const rand = (k: number) => Float32Array.from({ length: k }, () => rng.normal());
  return {
    rows,
    agents: plans.map(() => ({
      observations: rand(rows * 4),
      masks: Uint8Array.from({ length: rows * 3 }, (_, i) => (i % 3 === 2 && i % 2 === 0 ? 0 : 1)),
      actions: Int32Array.from({ length: rows }, () => rng.int(2)),
      oldLogp: new Float32Array(rows).fill(Math.log(1 / 2)),
      advantages: rand(rows),
      active: new Uint8Array(rows).fill(1),
      policyRows: new Uint8Array(rows).fill(1),
      teacherLogits: rand(rows * 3),
      roles: Int32Array.from({ length: rows }, () => rng.int(2)),
    })),
    relationTarget: new Float32Array(rows * n * n).fill(1),
    pairMask: Float32Array.from({ length: rows * n * n }, (_, i) => (Math.floor(i / n) % n === i % n ? 0 : 1)),
  };
}

function softmax(z: number[], mask: number[]): number[] {
  const max = Math.max(...z.filter((_, k) => mask[k] === 1));
  const e = z.map((x, k) => (mask[k] === 1 ? Math.exp(x - max) : 0));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

describe('composite loss', () => {
  it('L_KL is tau^2 KL(softmax(z_T/tau) || softmax(z_S/tau)) over allowed actions, checked by hand', () => {
    const team = new StudentTeam(plans, { layerNorm: true, projectionWidth: 4, numRoles: 2, seed: 3 });
    const batch = randomBatch(5, new Rng(1));
    const settings = { ...base, wKl: 1 };
    const tensors = toTensors(batch, team, settings);
    const parts: tf.Scalar[] = [];
    const total = tf.tidy(() => compositeLoss(team, tensors, settings, parts).dataSync()[0]);
    const read = readParts(parts, total);
    let expected = 0;
    plans.forEach((_, a) => {
      const b = batch.agents[a];
      const zS = team.logits(a, b.observations, 5);
      let sum = 0;
      for (let r = 0; r < 5; r++) {
        const mask = Array.from(b.masks.subarray(r * 3, r * 3 + 3));
        const pT = softmax(Array.from(b.teacherLogits.subarray(r * 3, r * 3 + 3)).map((x) => x / 2), mask);
        const pS = softmax(Array.from(zS.subarray(r * 3, r * 3 + 3)).map((x) => x / 2), mask);
        sum += pT.reduce((acc, p, k) => acc + (p > 0 ? p * Math.log(p / pS[k]) : 0), 0);
      }
      expected += (4 * sum) / 5;
    });
    expect(read.kl).toBeCloseTo(expected / 3, 4);
    expect(total).toBeCloseTo(expected / 3, 4);
    disposeTensors(tensors);
    team.dispose();
  });

  it('training on L_KL + L_CE moves the students toward the teacher, with no tensor leak', () => {
    const team = new StudentTeam(plans, { layerNorm: false, projectionWidth: 4, numRoles: 2, seed: 4 });
    const adam = new Adam(team.variables(), 3e-2, 1e-5);
    const batch = randomBatch(64, new Rng(2));
    // a teacher whose logits are a fixed function of what the student sees, so it can be matched
    for (const b of batch.agents) for (let r = 0; r < 64; r++) for (let k = 0; k < 3; k++) b.teacherLogits[r * 3 + k] = 3 * b.observations[r * 4 + k];
    const settings = { ...base, wKl: 1, wCe: 0.5, wSr: 0.1, wRa: 0.1, wPg: 0.1, wEnt: 0.01 };
    const tensors = toTensors(batch, team, settings);
    const run = () => {
      const parts: tf.Scalar[] = [];
      const result = adam.minimize(() => compositeLoss(team, tensors, settings, parts), 10);
      return readParts(parts, result.loss);
    };
    const first = run();
    const tensorsBefore = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 60; i++) last = run();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(last.kl).toBeLessThan(first.kl * 0.5);
    expect(last.agreement).toBeGreaterThan(first.agreement);
    disposeTensors(tensors);
    adam.dispose();
    team.dispose();
  });

  it('relation matrices: tfjs and plain versions agree and average 1 over live pairs', () => {
    const rng = new Rng(5);
    const rows = 3;
    const n = 4;
    const width = 6;
    const embeddings = Array.from({ length: n }, () => Float32Array.from({ length: rows * width }, () => rng.normal()));
    const alive = (row: number, agent: number) => !(row === 1 && agent === 2);
    const plain = new Float32Array(rows * n * n);
    const pairs = new Float32Array(rows * n * n);
    relationMatricesPlain(embeddings, width, rows, alive, plain, pairs);
    const stacked = new Float32Array(rows * n * width);
    for (let r = 0; r < rows; r++) for (let a = 0; a < n; a++) stacked.set(embeddings[a].subarray(r * width, (r + 1) * width), (r * n + a) * width);
    const viaTf = tf.tidy(() => relationMatrices(tf.tensor3d(stacked, [rows, n, width]), tf.tensor3d(pairs, [rows, n, n])).dataSync());
    for (let i = 0; i < plain.length; i++) expect(viaTf[i]).toBeCloseTo(plain[i], 4);
    for (let r = 0; r < rows; r++) {
      let s = 0;
      let c = 0;
      for (let k = 0; k < n * n; k++) {
        s += plain[r * n * n + k];
        c += pairs[r * n * n + k];
      }
      expect(s / c).toBeCloseTo(1, 4);
    }
    expect(pairs[1 * n * n + 2 * n + 0]).toBe(0); // a dead agent is in no pair
  });
});

describe('k-means roles', () => {
  it('recovers well-separated clusters', () => {
    const rng = new Rng(9);
    const centres = [[0, 0], [10, 10], [-10, 10]];
    const points = new Float32Array(300 * 2);
    for (let i = 0; i < 300; i++) {
      const c = centres[i % 3];
      points[2 * i] = c[0] + 0.5 * rng.normal();
      points[2 * i + 1] = c[1] + 0.5 * rng.normal();
    }
    const centroids = fitKMeans(points, 2, 3, rng);
    const labels = assignKMeans(points, 2, centroids, 3, new Int32Array(300));
    for (let i = 3; i < 300; i++) expect(labels[i]).toBe(labels[i % 3]);
    expect(new Set([labels[0], labels[1], labels[2]]).size).toBe(3);
  });
});

describe('export', () => {
  it('drops the training-only heads; the typed-array runtime gives the same logits as tfjs to 1e-5', () => {
    const team = new StudentTeam(plans, { layerNorm: true, projectionWidth: 4, numRoles: 2, seed: 8 });
    const file = team.toPolicyFile('spread', 'test');
    expect(Object.keys(file.nets)).toEqual(['agent_0', 'agent_1', 'agent_2']);
    const rng = new Rng(3);
    const obs = Float32Array.from({ length: 20 * 4 }, () => rng.normal());
    const viaTf = team.logits(1, obs, 20);
    const runtime = new AgentPolicyRuntime(file, 'agent_1');
    for (let r = 0; r < 20; r++) {
      const z = runtime.logits(obs.subarray(r * 4, r * 4 + 4));
      for (let k = 0; k < 3; k++) expect(Math.abs(z[k] - viaTf[r * 3 + k])).toBeLessThan(1e-5);
    }
    team.dispose();
  });
});
