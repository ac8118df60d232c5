import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { train } from '../../agents/learn/trainer.ts';
import { resolveConfig } from '../../agents/learn/config.ts';
import { CHECKPOINT_FILE } from '../../agents/learn/checkpoint.ts';
import { distill, STUDENT_POLICY } from '../../agents/distill/distiller.ts';
import { resolveDistillConfig } from '../../agents/distill/config.ts';
import { loadEvalPolicy } from '../../agents/eval/load-eval-policy.ts';
import { evaluate } from '../../agents/eval/evaluate.ts';
import { loadPolicyFile } from '../../agents/runtime/policy-runtime.ts';
import { renderMarkdown, retentionBasis, runReport, type Report, type ReportRow } from '../../agents/report/report.ts';
import { runHarness } from '../../server/net/net-harness.ts';
import { checkModel } from '../../agents/process/up-command.ts';
import { loadVariant, WorldSession } from '../../server/net/world-session.ts';
import { createSimulation } from '../../server/scenarios/registry.ts';
import type { SnapshotMessage } from '../../shared/protocol.ts';
import { nextEvent, spawnAgent, spectator, startServer, stopStarted } from '../net/helpers/net-helpers.ts';

const quiet = () => {};

/** The robot worlds through the rest of the pipeline: train, eval, distill, agent processes, stress. */
describe('navigation through train, eval and distill', () => {
  const root = mkdtempSync(join(tmpdir(), 'kdmarl-robots-pipeline-'));
  const teacherDir = join(root, 'teacher');
  beforeAll(async () => {
    const config = resolveConfig('navigation', {}, { actorHidden: [16, 16], criticHidden: [16, 16], numEnvs: 4, rolloutLength: 20, epochs: 1, totalSteps: 160, evalEvery: 0, evalEpisodes: 2, checkpointEvery: 2, backend: 'cpu' });
    await train({ config, runDir: teacherDir, resume: false, producedBy: 'test', progress: false, log: quiet });
  });

  it('a few MAPPO updates leave a checkpoint whose policy eval accepts and scores with the success measure', async () => {
    expect(existsSync(join(teacherDir, CHECKPOINT_FILE))).toBe(true);
    const sim = createSimulation('navigation');
    const teacher = await loadEvalPolicy(teacherDir, 'navigation', sim);
    expect(teacher.agents).toHaveLength(3);
    const result = evaluate('navigation', teacher.agents, { episodes: 2, seed: 7 });
    expect(result.episodes).toBe(2);
    expect(result.successRate).toBeGreaterThanOrEqual(0);
    expect(result.successRate).toBeLessThanOrEqual(1);
  });

  it('distils students on the robot view under the navigation profile cap, and eval accepts them', async () => {
    const config = resolveDistillConfig('navigation', { totalSteps: 80, numEnvs: 4, rolloutLength: 10, epochs: 1, evalEvery: 0, evalEpisodes: 2, checkpointEvery: 1, backend: 'cpu' });
    const runDir = join(root, 'students');
    const result = await distill({ config, teacher: teacherDir, students: 'default', runDir, resume: false, producedBy: 'test', progress: false, log: quiet });
    expect(result.envSteps).toBe(80);
    const policy = loadPolicyFile(join(runDir, STUDENT_POLICY));
    expect(policy.role).toBe('student');
    // The profile's view: own velocity, goal offset, 12 lidar ranges; no absolute position.
    expect(policy.nets.agent_0.inputSize).toBe(16);
    const students = await loadEvalPolicy(join(runDir, STUDENT_POLICY), 'navigation', createSimulation('navigation'));
    for (const flops of students.flopsPerAgent) expect(flops).toBeLessThanOrEqual(5161);
    expect(evaluate('navigation', students.agents, { episodes: 1, seed: 3 }).episodes).toBe(1);
  });
});

describe('kdmarl report on a robot world', () => {
  const rate = (perSeed: number[]) => ({ mean: perSeed.reduce((a, b) => a + b, 0) / perSeed.length, ci95: 0, perSeed });
  const row = (name: string, success: number[], retention: number): ReportRow => ({
    name, description: name, seeds: success.map((_, i) => i + 1), winRate: rate(success.map(() => 0)), successRate: rate(success),
    meanReturn: rate(success.map(() => -1)), retention: { mean: retention, ci95: 0 }, flopsPerDecision: 100, flopsRatio: 30, params: 50, latency: [],
  });
  const base: Report = { scenario: 'navigation', teacher: 't', students: 'default', stepsPerRun: 40, evalEpisodes: 10, evalSeed: 7, retentionOn: 'successRate', random: { meanReturn: -2, winRate: 0 }, rows: [], command: 'test', wallSeconds: 60 };

  it('retains the success rate where the teacher succeeds, the return where it never does, wins where the scenario has them', () => {
    expect(retentionBasis(false, { successRate: 0.9 })).toBe('successRate');
    expect(retentionBasis(false, { successRate: 0 })).toBe('return');
    expect(retentionBasis(false, {})).toBe('return');
    expect(retentionBasis(true, { successRate: 0.9 })).toBe('winRate');
    const md = renderMarkdown({ ...base, rows: [row('teacher', [0.8], 1), row('full', [0.6], 0.75)] });
    expect(md).toMatch(/Retention on success rate \(student \/ teacher\)/);
    expect(md).toMatch(/\| policy \| success rate \| return \|/);
    expect(md).toMatch(/\| full: full \| 60\.0% \| -1\.000 \(n=1\) \| 75\.0% \|/);
  });

  it('runs on navigation with the success rate in every row', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kdmarl-robots-report-'));
    const teacher = join(root, 'teacher');
    const config = resolveConfig('navigation', {}, { actorHidden: [16, 16], criticHidden: [16, 16], numEnvs: 4, rolloutLength: 10, epochs: 1, totalSteps: 40, evalEvery: 0, evalEpisodes: 1, checkpointEvery: 1, backend: 'cpu' });
    await train({ config, runDir: teacher, resume: false, producedBy: 'test', progress: false, log: quiet });
    const report = await runReport({
      scenario: 'navigation', teacher, students: 'default', seeds: 1, steps: 40, evalEpisodes: 2, evalSeed: 7, variants: ['kl'], scratch: false,
      outDir: join(root, 'report'), config: { numEnvs: 4, rolloutLength: 10, epochs: 1, backend: 'cpu' }, command: 'test', log: quiet,
    });
    expect(report.rows.map((r) => r.name)).toEqual(['teacher', 'kl']);
    for (const r of report.rows) expect(r.successRate?.perSeed).toHaveLength(1);
    expect(report.retentionOn).toBe(report.rows[0].successRate!.mean > 0 ? 'successRate' : 'return');
    expect(readFileSync(join(root, 'report', 'report.md'), 'utf8')).toMatch(/\| policy \| success rate \|/);
  });
});

describe('robot worlds over the network', () => {
  afterEach(stopStarted);

  it('scripted agent processes drive navigation robots, and a viewer showing all lidar gets every scan', async () => {
    const server = await startServer({ scenario: 'navigation', mode: 'lockstep' });
    const viewer = await spectator(server);
    await viewer.next('welcome');
    viewer.send({ kind: 'overlays', graph: false, roles: false, lidar: true });
    for (let slot = 0; slot < 3; slot++) spawnAgent(server, slot, ['--model', 'scripted']);
    await nextEvent<[number]>(server, 'tick', (tick) => tick >= 20);
    let snap = (await viewer.next('snap')) as unknown as SnapshotMessage;
    while (!snap.lidar) snap = (await viewer.next('snap')) as unknown as SnapshotMessage;
    expect(snap.lidar.map((l) => l.agent)).toEqual([0, 1, 2]);
    for (const scan of snap.lidar) expect(scan.readings).toHaveLength(12);
    expect(snap.rotations).toBeDefined();
    const status = server.status();
    expect(status.agents.map((a) => a.policy)).toEqual(['scripted', 'scripted', 'scripted']);
    expect(status.agents.every((a) => a.invalid === 0)).toBe(true);
  });

  it('up accepts scripted robots where a heuristic exists and refuses passage, which has none, in one line', async () => {
    for (const scenario of ['navigation', 'navigation_diff_drive', 'transport', 'balance']) {
      const world = new WorldSession({ scenario });
      await expect(checkModel('scripted', world, world.sim.agentNames.map(() => ({})))).resolves.toBeUndefined();
    }
    const passage = new WorldSession({ scenario: 'passage' });
    await expect(checkModel('scripted', passage, passage.sim.agentNames.map(() => ({})))).rejects.toThrow(/^--model scripted: no scripted policy for agent agent_0 of passage .*use a model or 'random'$/);
  });

  it('--agents N picks the shipped N-robot variant of a robot world, and names the missing one', () => {
    const big = loadVariant('navigation', 64);
    expect(big.file.name).toBe('navigation_64');
    expect(createSimulation(big).agentNames).toHaveLength(64);
    expect(loadVariant('navigation', 3).file.name).toBe('navigation');
    expect(() => loadVariant('navigation', 10)).toThrow("scenario 'navigation' has 3 robots and no 10-robot variant 'navigation_10'");
  });

  it('refuses slow agents in one host process before starting a server', async () => {
    await expect(runHarness({ scenario: 'navigation', mode: 'lockstep', processes: 'host', model: 'random', durationSec: 1, faults: { slow: 1 } })).rejects.toThrow('--slow needs one process per agent');
  });
});
