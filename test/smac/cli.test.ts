import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main as rollout } from '../../server/cli/rollout-command.ts';
import { main as scenarios } from '../../server/cli/scenarios-command.ts';

async function capture(run: () => Promise<number>): Promise<string> {
  let out = '';
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    out += args.join(' ') + '\n';
  });
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  await run();
  vi.restoreAllMocks();
  return out;
}

afterEach(() => vi.restoreAllMocks());

describe('SMAC scenarios through the CLI', () => {
  it('lists the SMAC maps with their sizes, physics modes and student views', async () => {
    const all = JSON.parse(await capture(() => scenarios(['--json'])));
    expect(all['3m']).toMatchObject({ family: 'smac', physics: 'matter', physicsModes: ['matter', 'kinematic'], maxSteps: 60, stateSize: 48 });
    expect(all['3m'].agents.agent_0).toMatchObject({ type: 'marine', observationSize: 30, actionCount: 9 });
    expect(all['3m'].agents.agent_0.studentObservationSize).toBe(4 + 3 * 4 + 2 * 3 + 1);
    expect(all.MMM.agents.agent_9).toMatchObject({ type: 'medivac', observationSize: 160, actionCount: 16 });
    expect(all['2s3z'].agents.agent_0.studentObservationSize).not.toBe(all['2s3z'].agents.agent_2.studentObservationSize);
  });

  it('rolls out 3m from an init file on the kinematic physics', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kdmarl-smac-'));
    const init = join(dir, 'init.json');
    writeFileSync(init, JSON.stringify({ entities: { agent_0: { pos: [12, 16] }, enemy_0: { pos: [17, 16], vel: [0, 0] } } }));
    const actions = join(dir, 'actions.json');
    writeFileSync(actions, JSON.stringify([{ agent_0: 6, agent_1: 1, agent_2: 1 }]));
    const result = JSON.parse(await capture(() => rollout(['--scenario', '3m', '--physics', 'kinematic', '--init', init, '--actions', actions, '--json'])));
    expect(result.steps).toHaveLength(1);
    // One marine shot (6) over max_reward / 20 = 365 / 20: SMAC's scaled reward, the same for every agent.
    expect(result.steps[0].rewards.agent_0).toBeCloseTo((6 * 20) / 365, 5);
    expect(result.steps[0].rewards.agent_2).toBe(result.steps[0].rewards.agent_0);
  });
});
