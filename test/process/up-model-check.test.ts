import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encode } from '../../shared/codec.ts';
import { checkModel, restartingNote } from '../../agents/process/up-command.ts';
import { WorldSession } from '../../server/net/world-session.ts';
import { ensureNetDist } from '../net/helpers/build-dist.ts';
import { linearSpreadPolicy, spawnNode } from '../net/helpers/net-helpers.ts';

function spreadPolicyFile(world: WorldSession): string {
  const dir = mkdtempSync(join(tmpdir(), 'kdmarl-up-model-'));
  const path = join(dir, 'student.policy');
  writeFileSync(path, encode(linearSpreadPolicy(world.defaultViews, world.studentViews[0].size, Math.sin)));
  return path;
}

describe('kdmarl up --model', () => {
  it('accepts a model that fits every slot and its caps', async () => {
    const world = new WorldSession({ scenario: 'spread' });
    await expect(checkModel(spreadPolicyFile(world), world, world.sim.agentNames.map(() => ({ flops: 10_000 })))).resolves.toBeUndefined();
    await expect(checkModel('scripted', world, world.sim.agentNames.map(() => ({})))).resolves.toBeUndefined();
  });

  it('refuses a missing file, a model over a cap and a model for another scenario, each in one line', async () => {
    const spread = new WorldSession({ scenario: 'spread' });
    const policy = spreadPolicyFile(spread);
    await expect(checkModel('/nope/student.policy', spread, [{}, {}, {}])).rejects.toThrow("--model: '/nope/student.policy' is not 'random', 'scripted' or an existing policy file");
    await expect(checkModel(policy, spread, [{ flops: 10 }, { flops: 10 }, { flops: 10 }])).rejects.toThrow(/FLOPs cap \(\d+ > 10 FLOPs per decision\) \(slot 0, agent_0, FLOPs cap 10\)$/);
    const world3m = new WorldSession({ scenario: '3m' });
    await expect(checkModel(policy, world3m, world3m.sim.agentNames.map(() => ({})))).rejects.toThrow(`--model ${policy}: a policy for scenario 'spread', up runs '3m' (--scenario)`);
  });

  it('exits non-zero with one error line before starting anything', async () => {
    const cli = ensureNetDist();
    const up = spawnNode([cli, 'up', '--model', '/nope/student.policy', '--duration', '30']);
    expect(await up.exit).toBe(1);
    expect(up.stderr().trim().split('\n')).toEqual(["kdmarl: --model: '/nope/student.policy' is not 'random', 'scripted' or an existing policy file"]);
  });

  it('says which slots are restarting', () => {
    expect(restartingNote([])).toBe('');
    expect(restartingNote([0, 2])).toBe(' | restarting 0,2');
  });
});
