import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main as rollout } from '../../server/cli/rollout-command.ts';

async function run(argv: string[]): Promise<any> {
  let out = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await rollout(argv);
  } finally {
    write.mockRestore();
  }
  return JSON.parse(out);
}

const dir = mkdtempSync(join(tmpdir(), 'kdmarl-robots-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

describe('kdmarl rollout on robot worlds', () => {
  it('random steps carry rotations and angular velocities for every entity', async () => {
    const result = await run(['--scenario', 'navigation', '--physics', 'vmas', '--steps', '20', '--json']);
    expect(result.steps).toHaveLength(20);
    for (const step of result.steps) {
      expect(Object.keys(step.rotations)).toEqual(['agent_0', 'agent_1', 'agent_2', 'goal_0', 'goal_1', 'goal_2']);
      expect(Object.keys(step.angular_velocities)).toEqual(Object.keys(step.rotations));
      expect(step.observations.agent_0).toHaveLength(18);
    }
  });

  it('applies scenario_kwargs, VMAS entity names and the 9 VMAS actions from files', async () => {
    const init = file('nav-init.json', {
      entities: { agent_0: { pos: [0, 0], vel: [0, 0] }, goal_0: { pos: [1, 0] }, agent_1: { pos: [0.5, 0.5] }, goal_1: { pos: [0.5, 0.8] } },
      scenario_kwargs: { n_agents: 2, n_lidar_rays: 6, shared_rew: true },
    });
    // a = 6: x part 2 (plus), y part 0 (none).
    const actions = file('nav-actions.json', [{ agent_0: 6, agent_1: 0 }]);
    const result = await run(['--scenario', 'navigation', '--init', init, '--actions', actions, '--json']);
    expect(Object.keys(result.steps[0].rewards)).toEqual(['agent_0', 'agent_1']);
    expect(result.steps[0].observations.agent_0).toHaveLength(6 + 6);
    expect(result.steps[0].positions.agent_0[0]).toBeCloseTo(0.0075, 6);
    // shared_rew: agent_1 gets agent_0's shaping too.
    expect(result.steps[0].rewards.agent_1).toBeCloseTo(0.0075, 6);
  });

  it('differential drive turns as its equations say, from rot and ang_vel in the init file', async () => {
    const init = file('dd-init.json', { entities: { agent_0: { pos: [0, 0], rot: 0, ang_vel: 0 }, agent_1: { pos: [0.6, 0.6] }, agent_2: { pos: [-0.6, -0.6] } } });
    // a = 2: forward part none, yaw part plus (ω_c = 1). τ = I·(ω_c·dt)/dt² gives ω = 1 after the step;
    // two substeps of 0.05: θ = 0.5·0.05 + 1·0.05 = 0.075.
    const actions = file('dd-actions.json', [{ agent_0: 2, agent_1: 0, agent_2: 0 }]);
    const result = await run(['--scenario', 'navigation_diff_drive', '--init', init, '--actions', actions, '--json']);
    expect(result.steps[0].angular_velocities.agent_0).toBeCloseTo(1, 5);
    expect(result.steps[0].rotations.agent_0).toBeCloseTo(0.075, 5);
    // Heading in the observation: cos, sin after position and velocity.
    expect(result.steps[0].observations.agent_0[4]).toBeCloseTo(Math.cos(0.075), 5);
    expect(result.steps[0].observations.agent_0[5]).toBeCloseTo(Math.sin(0.075), 5);
  });

  it('refuses kwargs for families without them and names bad init fields', async () => {
    const kw = file('mpe-kw.json', { scenario_kwargs: { n_agents: 2 } });
    await expect(rollout(['--scenario', 'spread', '--init', kw])).rejects.toThrow(/scenario_kwargs: the mpe family takes none/);
    const bad = file('bad-rot.json', { entities: { agent_0: { rot: 'up' } } });
    await expect(rollout(['--scenario', 'navigation', '--init', bad])).rejects.toThrow(/init file .*entities\.agent_0\.rot/);
  });
});
