import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AgentPolicyRuntime } from '../../agents/runtime/policy-runtime.ts';
import { exportPolicy } from '../../agents/export/export-policy.ts';
import { exportAgents } from '../../agents/export/export-agent.ts';
import { Int8Runtime, quantizeNet } from '../../agents/export/quantize.ts';
import { loadPolicyFile } from '../../agents/runtime/policy-runtime.ts';
import { POLICY_FORMAT, POLICY_FORMAT_VERSION, type PolicyFile } from '../../shared/model-format.ts';
import { netFlops } from '../../shared/flops.ts';
import { PROTOCOL_VERSION, SUPERVISOR_PATH } from '../../shared/protocol.ts';
import { Rng } from '../../shared/rng.ts';
import { fromRoot } from '../../shared/paths.ts';
import type { ViewSpec } from '../../shared/view-spec.ts';
import { inProcessAgent, linearSpreadPolicy, RawClient, stopStarted } from '../net/helpers/net-helpers.ts';
import { encode } from '../../shared/codec.ts';
import { pythonMissing, pythonServer, spawnPython, stopPython } from './helpers.ts';

const missing = pythonMissing();

afterEach(async () => {
  await stopStarted();
  await stopPython();
});

const f32 = (n: number, at: (k: number) => number): Float32Array => Float32Array.from({ length: n }, (_, k) => at(k));

/** A shared net with the agent-id one-hot, tanh, layernorm and a linear head: every layer kind the feed-forward export has. */
function student(views: readonly ViewSpec[], observationSize: number): PolicyFile {
  const n = views.length;
  const input = observationSize + n;
  return {
    format: POLICY_FORMAT,
    version: POLICY_FORMAT_VERSION,
    scenario: 'spread',
    role: 'student',
    producedBy: 'test',
    agents: Object.fromEntries(views.map((view, i) => [`agent_${i}`, { net: 'shared', view, agentId: { index: i, size: n } }])),
    nets: {
      shared: {
        inputSize: input,
        layers: [
          { kind: 'dense', inputSize: input, outputSize: 16, activation: 'tanh', weight: f32(input * 16, (k) => Math.sin(0.37 * k)), bias: f32(16, (k) => 0.1 * Math.cos(k)) },
          { kind: 'layernorm', size: 16, epsilon: 1e-5, gamma: f32(16, (k) => 1 + 0.05 * k), beta: f32(16, (k) => 0.01 * k) },
          { kind: 'dense', inputSize: 16, outputSize: 16, activation: 'relu', weight: f32(256, (k) => Math.cos(0.11 * k)), bias: f32(16, () => 0.05) },
          { kind: 'dense', inputSize: 16, outputSize: 5, activation: 'linear', weight: f32(80, (k) => Math.sin(1.3 * k + 0.2)), bias: f32(5, (k) => 0.02 * k) },
        ],
      },
    },
  };
}

/** The JSON export as docs/python.md defines it: the policy file with its typed arrays as plain arrays. */
function toJson(file: PolicyFile): string {
  return JSON.stringify(file, (_key, value: unknown) => (value instanceof Float32Array ? Array.from(value) : value));
}

/**
 * The Python agent on slot 0 deciding with `file` (as JSON), Node agents in this process on slots 1
 * and 2, and a supervisor that has been welcomed (it sees every slot's observation and action).
 */
async function pythonStudentOnSlot0(server: Awaited<ReturnType<typeof pythonServer>>['server'], tokensFile: string, file: PolicyFile): Promise<RawClient> {
  const dir = mkdtempSync(join(tmpdir(), 'kdmarl-student-'));
  writeFileSync(join(dir, 'student.json'), toJson(file));
  const supervisor = new RawClient(server.url.replace(/\/$/, SUPERVISOR_PATH));
  await supervisor.opened();
  supervisor.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'supervisor', token: server.controlToken, teacherObservations: false });
  await supervisor.next('welcome');
  spawnPython(['-m', 'kdmarl.agent', '--tokens', tokensFile, '--slot', '0', '--policy', join(dir, 'student.json')]);
  await inProcessAgent(server, [1, 2]);
  return supervisor;
}

describe.skipIf(missing !== null)(`a student exported to JSON, run by the Python package${missing ? `: skipped, ${missing}` : ''}`, () => {
  it('gives the Node runtime\'s logits (to 1e-5, relative to their size above 1) and greedy actions on 1,000 observations', async () => {
    const { server } = await pythonServer({ scenario: 'spread' });
    const size = server.world.studentViews[0].size;
    const file = student(server.world.defaultViews, size);
    const dir = mkdtempSync(join(tmpdir(), 'kdmarl-student-'));
    writeFileSync(join(dir, 'student.json'), toJson(file));
    const rng = new Rng(5);
    const observations = Array.from({ length: 1000 }, () => Array.from({ length: size }, () => Math.fround(4 * rng.uniform() - 2)));
    // Masks with some actions not allowed (never none), so the greedy choice must respect them.
    const masks = observations.map(() => {
      const mask = Array.from({ length: 5 }, () => (rng.uniform() < 0.7 ? 1 : 0));
      if (!mask.includes(1)) mask[Math.floor(rng.uniform() * 5)] = 1;
      return mask;
    });
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify({ agent: 'agent_1', observations, masks }));
    const python = spawnPython([fromRoot('test', 'python', 'fixtures', 'decide.py'), join(dir, 'student.json'), join(dir, 'inputs.json')]);
    expect(await python.exit).toBe(0);
    const out = JSON.parse(python.stdout()) as { logits: number[][]; actions: number[]; flops: number };
    const runtime = new AgentPolicyRuntime(file, 'agent_1');
    let worst = 0;
    observations.forEach((observation, k) => {
      const logits = runtime.logits(Float32Array.from(observation));
      // The Node runtime rounds every partial sum to float32; numpy works in float64.
      logits.forEach((z, a) => (worst = Math.max(worst, Math.abs(z - out.logits[k][a]) / Math.max(1, Math.abs(z)))));
    });
    expect(worst).toBeLessThan(1e-5);
    expect(out.actions).toEqual(observations.map((o, k) => runtime.actGreedy(Float32Array.from(o), Uint8Array.from(masks[k]))));
    expect(new Set(out.actions).size).toBeGreaterThan(2);
    expect(out.flops).toBe(netFlops(file.nets.shared));
  });

  it.each([['float', undefined], ['int8', 'int8' as const]])('reads what kdmarl export --format json writes (%s) and gives its logits and greedy actions', async (_, quantize) => {
    const policy = 'models/spread/student.policy';
    const dir = mkdtempSync(join(tmpdir(), 'kdmarl-export-json-'));
    exportPolicy({ policy, format: 'json', out: join(dir, 'export'), agent: 'agent_1', quantize, accuracyObservations: 50, retentionEpisodes: 0 });
    const file = loadPolicyFile(policy);
    const [agent] = exportAgents(file, 'spread', 'agent_1');
    const reference = quantize ? new Int8Runtime(agent, quantizeNet(agent.net)) : new AgentPolicyRuntime(file, 'agent_1');
    const rng = new Rng(11);
    const size = reference.observationSize;
    const observations = Array.from({ length: 300 }, () => Array.from({ length: size }, () => Math.fround(4 * rng.uniform() - 2)));
    const masks = observations.map(() => [1, 1, 0, 1, 1]);
    writeFileSync(join(dir, 'inputs.json'), JSON.stringify({ agent: 'agent_1', observations, masks }));
    const python = spawnPython([fromRoot('test', 'python', 'fixtures', 'decide.py'), join(dir, 'export', 'agent_1.json'), join(dir, 'inputs.json')]);
    expect(await python.exit).toBe(0);
    const out = JSON.parse(python.stdout()) as { logits: number[][]; actions: number[] };
    let worst = 0;
    observations.forEach((observation, k) => {
      const logits = reference.logits(Float32Array.from(observation));
      logits.forEach((z, a) => (worst = Math.max(worst, Math.abs(z - out.logits[k][a]) / Math.max(1, Math.abs(z)))));
      expect(out.actions[k]).not.toBe(2);
    });
    expect(worst).toBeLessThan(1e-5);
  });

  it('decides live on the server as the Node runtime does on the observations the supervisor sees', async () => {
    const { server, tokensFile } = await pythonServer({ scenario: 'spread' });
    const size = server.world.studentViews[0].size;
    const file = student(server.world.defaultViews, size);
    const supervisor = await pythonStudentOnSlot0(server, tokensFile, file);
    const runtime = new AgentPolicyRuntime(file, 'agent_0');
    let checked = 0;
    while (checked < 30) {
      const frame = await supervisor.nextArray();
      const [student, masks, actions, missed] = [frame[6] as Float32Array, frame[7] as Uint8Array, frame[8] as Int16Array, frame[10] as Uint8Array];
      if (missed[0] === 1) continue;
      expect(actions[0]).toBe(runtime.actGreedy(student.slice(0, size), masks.slice(0, 5)));
      checked++;
    }
    expect(server.status().agents[0]).toMatchObject({ policy: 'student', invalid: 0 });

  });

  it('takes weights pushed by the supervisor at the next episode start, and refuses bytes that are not a policy', async () => {
    const { server, tokensFile } = await pythonServer({ scenario: 'spread' });
    const size = server.world.studentViews[0].size;
    const first = student(server.world.defaultViews, size);
    const second = linearSpreadPolicy(server.world.defaultViews, size, (k) => Math.cos(0.7 * k));
    const supervisor = await pythonStudentOnSlot0(server, tokensFile, first);
    await supervisor.nextArray();

    supervisor.send({ kind: 'weights', policy: new Uint8Array([1, 2, 3]), slots: [0] });
    const refused = await supervisor.next('weights-ack');
    expect(refused).toMatchObject({ ok: false, generation: 0, slots: [0] });
    expect(refused.error).toMatch(/policy/);

    supervisor.send({ kind: 'weights', policy: encode(second), slots: [0] });
    expect(await supervisor.next('weights-ack')).toMatchObject({ ok: true, generation: 1, slots: [0] });
    const before = new AgentPolicyRuntime(first, 'agent_0');
    const after = new AgentPolicyRuntime(second, 'agent_0');
    // The agent swaps at its next episode start. Which episode that is depends on whether the push
    // reached it before or after that episode's first observation, so: frames before the first
    // episode start after the ack (but the first, decided perhaps before the push) are the old
    // policy's, and every episode from the second start on is the new one's.
    let starts = 0;
    let frames = 0;
    let checked = 0;
    while (checked < 10) {
      const frame = await supervisor.nextArray();
      if (frame[0] !== 3) continue;
      const [t, student, masks, actions, missed] = [frame[3] as number, frame[6] as Float32Array, frame[7] as Uint8Array, frame[8] as Int16Array, frame[10] as Uint8Array];
      frames++;
      if (t === 0) starts++;
      if (missed[0] === 1 || starts === 1 || (starts === 0 && frames === 1)) continue;
      const runtime = starts === 0 ? before : after;
      expect(actions[0]).toBe(runtime.actGreedy(student.slice(0, size), masks.slice(0, 5)));
      if (starts >= 2) checked++;
    }
  });
});

