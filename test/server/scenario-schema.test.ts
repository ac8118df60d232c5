import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../server/scenarios/registry.ts';

const battle = {
  name: 'x',
  family: 'smac',
  maxSteps: 10,
  allies: { units: [{ type: 'marine', count: 1 }], spawn: [9, 16] },
  enemies: { units: [{ type: 'marine', count: 1 }], spawn: [23, 16] },
};
const spread = { name: 'y', family: 'mpe', kind: 'spread', maxSteps: 25 };

function errorOf(json: unknown): string {
  try {
    parseScenario(json, 'maps/x.json');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the scenario was accepted');
}

describe('scenario files: a typo names the key that is wrong', () => {
  it('reports a misspelt top-level key as unknown, with the key it resembles, not the field it left missing', () => {
    const { maxSteps, ...rest } = battle;
    const message = errorOf({ ...rest, maxStep: maxSteps });
    expect(message).toBe("maps/x.json: unknown key 'maxStep' (did you mean 'maxSteps'?)");
    expect(message).not.toContain('\n');
    const { maxSteps: steps, ...mpeRest } = spread;
    expect(errorOf({ ...mpeRest, maxstep: steps })).toBe("maps/x.json: unknown key 'maxstep' (did you mean 'maxSteps'?)");
  });

  it('names where a nested unknown key sits, and lists the known keys when nothing is close', () => {
    expect(errorOf({ ...battle, reward: { deathValu: 10 } })).toBe("maps/x.json: reward: unknown key 'deathValu' (did you mean 'deathValue'?)");
    expect(errorOf({ ...spread, params: { numAgent: 4 } })).toBe("maps/x.json: params: unknown key 'numAgent' (did you mean 'numAgents'?)");
    expect(errorOf({ ...battle, allies: { ...battle.allies, units: [{ type: 'marine', count: 1, hp: 3 }] } })).toBe(
      "maps/x.json: allies.units[0]: unknown key 'hp' (known keys: count, type)",
    );
  });

  it('still names the bad field when every key is known', () => {
    expect(errorOf({ ...battle, maxSteps: -1 })).toMatch(/^maps\/x\.json: maxSteps: /);
  });
});
