import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { train } from '../../agents/learn/trainer.ts';
import { readPolicyPath } from '../../agents/eval/policies.ts';
import { tinyConfig } from './helpers.ts';

describe("kdmarl train with actorViews 'student' (the from-scratch baseline)", () => {
  it("trains each agent's own actor on its student view at its student's size, and exports them with their views", async () => {
    const runDir = mkdtempSync(join(tmpdir(), 'kdmarl-scratch-'));
    await train({ config: tinyConfig({ backend: 'cpu', actorViews: 'student' }), runDir, resume: false, producedBy: 'test', progress: false, log: () => {} });
    for (const path of [runDir, join(runDir, 'teacher.policy')]) {
      const file = readPolicyPath(path);
      expect(file.role).toBe('scratch');
      expect(Object.keys(file.nets)).toHaveLength(3);
      const spec = file.agents.agent_1;
      expect(spec.view).toEqual({ nearest: { agents: 2, landmarks: 3 }, blocks: ['self', 'landmarks', 'agents'] });
      expect(spec.agentId).toBeUndefined();
      const net = file.nets[spec.net];
      expect(net.inputSize).toBe(14);
      // the spread profile's students: 2 x 16
      expect(net.layers.filter((l) => l.kind === 'dense').map((l) => (l.kind === 'dense' ? l.outputSize : 0))).toEqual([16, 16, 5]);
    }
  });
});
