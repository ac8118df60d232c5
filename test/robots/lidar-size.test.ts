import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { encode } from '../../shared/codec.ts';
import { POLICY_FORMAT, POLICY_FORMAT_VERSION, type PolicyFile } from '../../shared/model-format.ts';
import { AgentClient } from '../../agents/process/agent-client.ts';
import { loadPolicySource } from '../../agents/policy-source.ts';
import { checkModel, profileCaps } from '../../agents/process/up-command.ts';
import { loadEvalPolicy } from '../../agents/eval/load-eval-policy.ts';
import { policyFileAgents } from '../../agents/eval/policies.ts';
import { loadStudentProfile } from '../../agents/distill/student-plan.ts';
import { WorldSession } from '../../server/net/world-session.ts';
import { robotsFamily } from '../../server/robots/family.ts';
import { createSimulation, resolveScenario } from '../../server/scenarios/registry.ts';
import { silent, startServer, stopStarted } from '../net/helpers/net-helpers.ts';

afterEach(stopStarted);

/** A linear student for navigation's default student views (16 values: velocity, goal offset, 12 lidar rays). */
function navigationPolicy(): { file: PolicyFile; path: string } {
  const world = new WorldSession({ scenario: 'navigation' });
  const inputSize = world.studentViews[0].size;
  const file: PolicyFile = {
    format: POLICY_FORMAT,
    version: POLICY_FORMAT_VERSION,
    scenario: 'navigation',
    role: 'student',
    producedBy: 'test',
    agents: Object.fromEntries(world.defaultViews.map((view, i) => [`agent_${i}`, { net: 'shared', view }])),
    nets: {
      shared: {
        inputSize,
        layers: [{ kind: 'dense', inputSize, outputSize: 9, activation: 'linear', weight: Float32Array.from({ length: inputSize * 9 }, (_, k) => Math.sin(k)), bias: new Float32Array(9) }],
      },
    },
  };
  const path = join(mkdtempSync(join(tmpdir(), 'kdmarl-lidar-size-')), 'student.policy');
  writeFileSync(path, encode(file));
  return { file, path };
}

describe('a policy trained on another lidar size is refused with both sizes', () => {
  it('by eval, on the 64-robot world', async () => {
    const { path } = navigationPolicy();
    await expect(loadEvalPolicy(path, 'navigation_64', createSimulation('navigation_64'))).rejects.toThrow(
      `${path}: policy was made for scenario 'navigation', not 'navigation_64'; trained on 12 lidar rays (navigation), navigation_64 gives agent_0 24`,
    );
  });

  it('by eval, on a navigation whose kwargs give 24 rays (same scenario name)', () => {
    const { file } = navigationPolicy();
    const builtin = resolveScenario('navigation');
    const sim = createSimulation({ ...builtin, file: robotsFamily.applyKwargs!(builtin.file as never, { n_lidar_rays: 24 }) as never });
    expect(() => policyFileAgents(file, sim, 'navigation', 'p')).toThrow(
      "p: agent_0's net expects 16 observation values but its view of 'navigation' gives 28; trained on 12 lidar rays (navigation), navigation gives agent_0 24",
    );
  });

  it('by up before anything starts', async () => {
    const { path } = navigationPolicy();
    const world = new WorldSession({ scenario: 'navigation_64' });
    await expect(checkModel(path, world, world.sim.agentNames.map(() => ({})))).rejects.toThrow(
      `--model ${path}: the net for agent_0 takes 16 observation values, slot 0 sends 28; trained on 12 lidar rays (navigation), navigation_64 gives agent_0 24 (slot 0, agent_0)`,
    );
  });

  it('by an agent process when the server welcomes it', async () => {
    const { path } = navigationPolicy();
    const server = await startServer({ scenario: 'navigation_64', mode: 'lockstep' });
    const client = new AgentClient({ url: server.url, slots: [{ slot: 0, token: server.tokens[0] }], source: await loadPolicySource(path), caps: {}, log: silent, backoffMs: 10 });
    const exit = await client.run();
    expect(exit.code).toBe(2);
    expect(exit.reason).toBe(`refused: ${path}: the net for agent_0 takes 16 observation values, slot 0 sends 28 (24 of them lidar readings)`);
  });
});

describe('navigation_64 has its own student profile', () => {
  it('up takes its caps, not navigation’s', () => {
    const big = profileCaps(new WorldSession({ scenario: 'navigation_64' }), silent);
    expect(big).toHaveLength(64);
    for (const caps of big) expect(caps.flops).toBe(6485);
    for (const caps of profileCaps(new WorldSession({ scenario: 'navigation' }), silent)) expect(caps.flops).toBe(5161);
  });

  it("distill's default profile is the 64-robot one", () => {
    const { profile, path } = loadStudentProfile('default', 'navigation_64');
    expect(path).toMatch(/profiles\/navigation_64\.json$/);
    expect(profile.scenario).toBe('navigation_64');
  });
});
