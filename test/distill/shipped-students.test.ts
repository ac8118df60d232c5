import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromRoot } from '../../shared/paths.ts';
import { createSimulation, resolveScenario } from '../../server/scenarios/registry.ts';
import { evaluate } from '../../agents/eval/evaluate.ts';
import { policyFileAgents } from '../../agents/eval/policies.ts';
import { loadPolicyFile } from '../../agents/runtime/policy-runtime.ts';
import { loadStudentProfile, planStudents } from '../../agents/distill/student-plan.ts';

const modelsDir = fromRoot('models');
// `student.policy` is what `kdmarl up` runs; `student-<tag>.policy` (e.g. MMM's 100x students) sits beside it with `students-<tag>-profile.json`.
const shipped = readdirSync(modelsDir)
  .flatMap((d) => (statSync(join(modelsDir, d)).isDirectory() ? readdirSync(join(modelsDir, d)).filter((f) => /^student(-[\w.]+)?\.policy$/.test(f)).map((f) => `${d}/${f}`) : []))
  .sort();

describe('shipped students (models/<scenario>/student.policy, what kdmarl up runs)', () => {
  it('include a heterogeneous team', () => {
    expect(shipped).toEqual(expect.arrayContaining(['speaker_listener/student.policy', '2s3z/student.policy']));
  });

  it.each(shipped)('%s: loads, fits its profile caps, evaluates, and STUDENTS.md records the command', (path) => {
    const [name, policy] = path.split('/');
    const tag = /^student-(.+)\.policy$/.exec(policy)?.[1];
    const file = loadPolicyFile(join(modelsDir, name, policy));
    expect(file.role).toBe('student');
    const scenario = file.scenario;
    expect(name === scenario || name.startsWith(`${scenario}-`), name).toBe(true);
    const loaded = resolveScenario(scenario);
    const sim = createSimulation(loaded);
    // Students kept beside another teacher ('3m-mappo') carry the profile they were distilled under.
    const ownProfile = join(modelsDir, name, tag ? `students-${tag}-profile.json` : 'students-profile.json');
    if (tag) expect(existsSync(ownProfile), ownProfile).toBe(true);
    // The profile leaves input LayerNorm to the distillation config; the file says whether it has one.
    const layerNorm = Object.values(file.nets).some((net) => net.layers.some((l) => l.kind === 'layernorm'));
    const plans = planStudents(loadStudentProfile(existsSync(ownProfile) ? ownProfile : 'default', scenario).profile, loaded, sim, layerNorm);
    const agents = policyFileAgents(file, sim, scenario, scenario);
    agents.flopsPerAgent.forEach((flops, i) => expect(flops).toBeLessThanOrEqual(plans[i].caps.flops ?? Number.POSITIVE_INFINITY));
    const result = evaluate(scenario, agents.agents, { episodes: 3, seed: 5 });
    expect(result.episodes).toBe(3);
    expect(readFileSync(join(modelsDir, name, 'STUDENTS.md'), 'utf8')).toMatch(/(kdmarl|node dist\/cli\.js) (distill|report) --scenario \S+/);
  });
});
