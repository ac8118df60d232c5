import { describe, expect, it } from 'vitest';
import { capacityRule, nextPow2, studentProfileSchema } from '../../shared/student-profile.ts';
import { mlpFlops } from '../../shared/flops.ts';
import { planStudents } from '../../agents/distill/student-plan.ts';
import { createSimulation, resolveScenario } from '../../server/scenarios/registry.ts';

const profile = (json: unknown) => studentProfileSchema.parse(json);

describe('the capacity rule', () => {
  it('sizes a student to half its observation, rounded up to a power of two, within [8, 64]', () => {
    expect(nextPow2(6)).toBe(8);
    expect(capacityRule(12, 5, 1)).toEqual([8]);
    expect(capacityRule(30, 9, 1)).toEqual([16]);
    expect(capacityRule(160, 16, 2)).toEqual([64, 64]);
    expect(capacityRule(3, 3, 1)).toEqual([8]);
  });

  it('halves the width until the actor fits its FLOPs cap, and refuses when nothing fits', () => {
    const cap = mlpFlops([80, 16, 14]) + 1;
    expect(capacityRule(80, 14, 1, cap)).toEqual([16]);
    expect(() => capacityRule(80, 14, 1, 50)).toThrow(/no student with 1 hidden layer\(s\) fits 50 FLOPs/);
  });
});

describe('student plans', () => {
  const spread = resolveScenario('spread');
  const sim = createSimulation(spread);

  it('uses the scenario student views by default, and per-type / per-agent overrides', () => {
    const plans = planStudents(profile({ scenario: 'spread', byAgent: { agent_2: { hidden: [32, 32], view: { blocks: ['landmarks'] } } } }), spread, sim, false);
    expect(plans[0].observationSize).toBe(12);
    expect(plans[0].hidden).toEqual([8]);
    expect(plans[2].observationSize).toBe(6);
    expect(plans[2].hidden).toEqual([32, 32]);
    expect(plans[2].flops).toBe(mlpFlops([6, 32, 32, 5]));
  });

  it('fails before training on a wrong scenario, an unknown agent or type, a view the scenario cannot give, or an explicit size over the cap', () => {
    expect(() => planStudents(profile({ scenario: '3m' }), spread, sim, false)).toThrow(/profile is for scenario '3m', not 'spread'/);
    expect(() => planStudents(profile({ scenario: 'spread', byAgent: { robot: {} } }), spread, sim, false)).toThrow(/unknown agent 'robot'/);
    expect(() => planStudents(profile({ scenario: 'spread', byType: { medivac: {} } }), spread, sim, false)).toThrow(/unknown type 'medivac'/);
    expect(() => planStudents(profile({ scenario: 'spread', default: { view: { blocks: ['enemies'] } } }), spread, sim, false)).toThrow(/unknown block 'enemies'/);
    expect(() => planStudents(profile({ scenario: 'spread', default: { hidden: [64], caps: { flops: 500 } } }), spread, sim, false)).toThrow(/needs \d+ FLOPs per decision, over its cap of 500/);
  });
});
