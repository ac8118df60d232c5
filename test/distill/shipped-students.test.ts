import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fromRoot } from '../../shared/paths.ts';
import { createSimulation, resolveScenario } from '../../server/scenarios/registry.ts';
import { evaluate } from '../../agents/eval/evaluate.ts';
import { policyFileAgents } from '../../agents/eval/policies.ts';
import { loadPolicyFile } from '../../agents/runtime/policy-runtime.ts';
import { loadStudentProfile, planStudents } from '../../agents/distill/student-plan.ts';

const modelsDir = fromRoot('models');
const shipped = readdirSync(modelsDir).filter((d) => existsSync(join(modelsDir, d, 'student.policy'))).sort();

describe('shipped students (models/<scenario>/student.policy, what kdmarl up runs)', () => {
  it('include a heterogeneous team', () => {
    expect(shipped).toEqual(expect.arrayContaining(['speaker_listener', '2s3z']));
  });

  it.each(shipped)('%s: loads, fits its profile caps, evaluates, and STUDENTS.md records the command', (scenario) => {
    const file = loadPolicyFile(join(modelsDir, scenario, 'student.policy'));
    expect(file.role).toBe('student');
    const loaded = resolveScenario(scenario);
    const sim = createSimulation(loaded);
    const plans = planStudents(loadStudentProfile('default', scenario).profile, loaded, sim, true);
    const agents = policyFileAgents(file, sim, scenario, scenario);
    agents.flopsPerAgent.forEach((flops, i) => expect(flops).toBeLessThanOrEqual(plans[i].caps.flops ?? Number.POSITIVE_INFINITY));
    const result = evaluate(scenario, agents.agents, { episodes: 3, seed: 5 });
    expect(result.episodes).toBe(3);
    expect(readFileSync(join(modelsDir, scenario, 'STUDENTS.md'), 'utf8')).toMatch(/kdmarl (distill|report) --scenario \S+/);
  });
});
