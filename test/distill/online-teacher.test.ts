import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../agents/learn/backend.ts';
import { train } from '../../agents/learn/trainer.ts';
import { writePolicyFile } from '../../agents/learn/checkpoint.ts';
import { resolveDistillConfig } from '../../agents/distill/config.ts';
import { runOnlineTeacher } from '../../agents/distill/online-teacher.ts';
import { main as teacherMain } from '../../agents/distill/teacher-command.ts';
import { FrozenTeacher } from '../../agents/distill/frozen-teacher.ts';
import { loadStudentProfile, planStudents } from '../../agents/distill/student-plan.ts';
import { StudentTeam } from '../../agents/distill/student-team.ts';
import { loadPolicyFile } from '../../agents/runtime/policy-runtime.ts';
import { loadPolicySource } from '../../agents/policy-source.ts';
import { createSimulation, resolveScenario } from '../../server/scenarios/registry.ts';
import type { NetServer } from '../../server/net/net-server.ts';
import type { AgentClient } from '../../agents/process/agent-client.ts';
import { inProcessAgent, nextEvent, startServer } from '../net/helpers/net-helpers.ts';
import { tinyConfig } from '../learn/helpers.ts';

const root = mkdtempSync(join(tmpdir(), 'kdmarl-online-'));
/** The students the agents start with: fresh ones from the default profile. */
const initial = join(root, 'initial.policy');
let server: NetServer;
let agents: AgentClient[] = [];

beforeAll(async () => {
  await initBackend('cpu');
});

afterAll(async () => {
  for (const a of agents) a.stop();
  await server?.close();
});

describe('kdmarl teacher (online distillation over the network)', () => {
  it('receives the networked students\' transitions, updates them with the shared loss, and pushes weights the agents accept', async () => {
    const teacherDir = join(root, 'teacher');
    await train({ config: tinyConfig({ backend: 'cpu' }), runDir: teacherDir, resume: false, producedBy: 'test', progress: false, log: () => {} });

    const loaded = resolveScenario('spread');
    const plans = planStudents(loadStudentProfile('default', 'spread').profile, loaded, createSimulation(loaded), true);
    const team = new StudentTeam(plans, { layerNorm: true, projectionWidth: 8, numRoles: 2, seed: 1 });
    writePolicyFile(initial, team.toPolicyFile('spread', 'test'));
    team.dispose();

    server = await startServer({ scenario: 'spread', mode: 'lockstep' });
    agents = [await inProcessAgent(server, [0, 1, 2], initial)];
    const acked = nextEvent<[Record<string, unknown>]>(server, 'weightsAck');

    const updates: number[] = [];
    const outDir = join(root, 'online');
    const result = await runOnlineTeacher({
      server: server.url,
      token: server.controlToken,
      teacher: teacherDir,
      profile: 'default',
      initialStudents: initial,
      rolloutSteps: 30,
      updates: 2,
      outDir,
      config: resolveDistillConfig('spread', { epochs: 2, backend: 'cpu' }),
      // The in-process agents act greedily, so L_PG has no sampled row to train on.
      studentsSample: false,
      producedBy: 'test',
      log: () => {},
      onUpdate: (u, stats, pushed) => {
        expect(Number.isFinite(stats.kl)).toBe(true);
        expect(stats.pg).toBe(0);
        expect(pushed).toBe(true);
        updates.push(u);
      },
    });
    expect(result.updates).toBe(2);
    expect(updates).toEqual([1, 2]);
    const [ack] = await acked;
    expect(ack.ok).toBe(true);
    const pushed = loadPolicyFile(join(outDir, 'student.policy'));
    expect(pushed.role).toBe('student');
    expect(pushed.nets.agent_0.inputSize).toBe(14);
  });

  it('refuses --students-sample while the agents act greedily, in one line naming the slot', async () => {
    // The agents of the first test run without --sample (the default): their hello says nothing.
    await expect(
      runOnlineTeacher({
        server: server.url, token: server.controlToken, teacher: join(root, 'teacher'), profile: 'default', initialStudents: initial, rolloutSteps: 30, updates: 1,
        outDir: join(root, 'online-greedy'), config: resolveDistillConfig('spread', { epochs: 1, backend: 'cpu' }), studentsSample: true, producedBy: 'test', log: () => {},
      }),
    ).rejects.toThrow(/^--students-sample: the agent of slot 0 \(agent_0\) acts greedily \(its agent process runs without --sample\), so its actions are no samples of the students for L_PG; start the agents with --sample or leave --students-sample out$/);
  });

  it("supervises with an 'agent_state' teacher, whose critic reads every agent's full view from the stream", async () => {
    // Agents that sample (kdmarl agent --sample) take the slots over: --students-sample holds.
    for (const a of agents) a.stop();
    const claimed = nextEvent<[number]>(server, 'claim', (slot) => slot === 2);
    agents = [await inProcessAgent(server, [0, 1, 2], initial, { source: await loadPolicySource(initial, { sample: true }) })];
    await claimed;
    const teacherDir = join(root, 'teacher-as');
    await train({ config: tinyConfig({ backend: 'cpu', criticInput: 'agent_state' }), runDir: teacherDir, resume: false, producedBy: 'test', progress: false, log: () => {} });
    const values = vi.spyOn(FrozenTeacher.prototype, 'values');
    try {
      // 30 steps of a 25-step scenario: one truncation, one bootstrap from the next frame.
      const result = await runOnlineTeacher({
        server: server.url, token: server.controlToken, teacher: teacherDir, profile: 'default', rolloutSteps: 30, updates: 1,
        outDir: join(root, 'online-as'), config: resolveDistillConfig('spread', { epochs: 1, backend: 'cpu' }), studentsSample: true, producedBy: 'test', log: () => {},
        onUpdate: (_, stats) => expect(Number.isFinite(stats.pg)).toBe(true),
      });
      expect(result.updates).toBe(1);
      expect(values.mock.calls.length).toBe(3 * 3);
      for (const [, , rows, observations] of values.mock.calls) {
        expect(observations!.length).toBe(rows * 18);
        expect(observations!.some((x) => x !== 0)).toBe(true);
      }
    } finally {
      values.mockRestore();
    }
  });

  it('says once that the agents sample when --students-sample is not given, and leaves L_PG out', async () => {
    // The sampling agents of the test before.
    const said: string[] = [];
    const pg: number[] = [];
    await runOnlineTeacher({
      server: server.url, token: server.controlToken, teacher: join(root, 'teacher'), profile: 'default', initialStudents: initial, rolloutSteps: 30, updates: 1,
      outDir: join(root, 'online-unsaid'), config: resolveDistillConfig('spread', { epochs: 1, backend: 'cpu' }), studentsSample: false, producedBy: 'test', log: (m) => said.push(m),
      onUpdate: (_, stats) => pg.push(stats.pg),
    });
    expect(said.filter((m) => /samples its actions, but without --students-sample L_PG stays left out$/.test(m))).toHaveLength(1);
    expect(pg).toEqual([0]);
  });

  it('refuses a bad token with a clear error', async () => {
    await expect(
      runOnlineTeacher({
        server: server.url, token: 'wrong', teacher: join(root, 'teacher'), profile: 'default', rolloutSteps: 30, updates: 1,
        outDir: join(root, 'x'), config: resolveDistillConfig('spread', { backend: 'cpu' }), studentsSample: false, producedBy: 'test', log: () => {},
      }),
    ).rejects.toThrow(/closed the supervisor connection: 4004/);
  });

  it('refuses greedyEnvs in the distill config it is given, naming the field, before it connects', async () => {
    const configPath = join(root, 'greedy.json');
    writeFileSync(configPath, JSON.stringify({ greedyEnvs: 2 }));
    // Nothing listens on the server address: the config is refused before any connection is tried.
    const argv = ['--server', 'ws://127.0.0.1:9', '--token', 't', '--teacher', join(root, 'teacher'), '--config', configPath, '--out', join(root, 'greedy')];
    await expect(teacherMain(argv)).rejects.toThrow(/^config: greedyEnvs: online distillation steps no envs of its own .*set greedyEnvs to 0$/);
    expect(existsSync(join(root, 'greedy'))).toBe(false);
  });
});
