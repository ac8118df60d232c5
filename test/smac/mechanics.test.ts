import { describe, expect, it } from 'vitest';
import { ACTION } from '../../shared/smac-actions.ts';
import { AgentIO } from '../../server/env/agent-io.ts';
import { customBattle, maskOf, place, STATIONARY, stepOnce } from './helpers.ts';

const ONE_V_ONE = {
  allies: { units: [{ type: 'marine', count: 1 }], spawn: [9, 16] },
  enemies: { units: [{ type: 'post', count: 1 }], spawn: [23, 16] },
  ...STATIONARY,
};

describe('SMAC masks', () => {
  it('allows stop, moves inside the map and attacks up to the shoot range 6 (centre distance)', () => {
    const sim = customBattle(ONE_V_ONE);
    place(sim, { agent_0: [10, 16], enemy_0: [16, 16] });
    expect(maskOf(sim, 0)).toEqual([0, 1, 1, 1, 1, 1, 1]);
    place(sim, { agent_0: [10, 16], enemy_0: [16.01, 16] });
    expect(maskOf(sim, 0)).toEqual([0, 1, 1, 1, 1, 1, 0]);
  });

  it('blocks a move whose point 1 unit away (move_amount / 2) leaves the map', () => {
    const sim = customBattle(ONE_V_ONE);
    place(sim, { agent_0: [0.5, 31.2] });
    // north: y 32.2 >= 32 blocked; south open; east open; west: x -0.5 blocked.
    expect(maskOf(sim, 0).slice(0, 6)).toEqual([0, 1, 0, 1, 1, 0]);
    place(sim, { agent_0: [31.5, 0.9] });
    expect(maskOf(sim, 0).slice(0, 6)).toEqual([0, 1, 1, 0, 0, 1]);
    place(sim, { agent_0: [31, 1] });
    // Exactly on the edge: x + 1 = 32 is outside [0, 32), y - 1 = 0 is inside.
    expect(maskOf(sim, 0).slice(0, 6)).toEqual([0, 1, 1, 1, 0, 1]);
  });

  it('gives a dead agent only the no-op and a zero observation', () => {
    const sim = customBattle({
      allies: { units: [{ type: 'frail', count: 1 }, { type: 'marine', count: 1 }], spawn: [9, 16] },
      enemies: { units: [{ type: 'post', count: 1 }], spawn: [23, 16] },
      units: { post: { base: 'marine', speed: 0 }, frail: { base: 'marine', hp: 5 } },
    });
    place(sim, { agent_0: [10, 16], agent_1: [2, 2], enemy_0: [14, 16] });
    stepOnce(sim, [ACTION.stop, ACTION.stop]);
    expect(sim.alive[0]).toBe(0);
    expect(sim.alive[1]).toBe(1);
    expect(maskOf(sim, 0)).toEqual([1, 0, 0, 0, 0, 0, 0]);
    expect(sim.terminated).toBe(false);
    const io = new AgentIO(sim);
    const observation = new Float32Array(sim.layouts[0].size).fill(7);
    io.writeObservation(0, observation, 0);
    expect([...observation].every((x) => x === 0)).toBe(true);
    // The state's row of the dead agent is zero too; its last action (stop) is still recorded.
    const state = new Float32Array(sim.stateSize);
    sim.writeState(state, 0);
    expect([...state.slice(0, 4)]).toEqual([0, 0, 0, 0]);
  });

  it('gives a medivac heal slots on allies, never itself or another medivac', () => {
    const sim = customBattle({
      allies: { units: [{ type: 'marine', count: 1 }, { type: 'medivac', count: 2 }], spawn: [9, 16] },
      enemies: { units: [{ type: 'post', count: 3 }], spawn: [23, 16] },
      ...STATIONARY,
    });
    place(sim, { agent_0: [9, 16], agent_1: [10, 16], agent_2: [11, 16] });
    expect(sim.actionNames[1].slice(6)).toEqual(['heal_agent_0', 'heal_agent_1', 'heal_agent_2']);
    expect(maskOf(sim, 1).slice(6)).toEqual([1, 0, 0]);
    expect(maskOf(sim, 0).slice(6)).toEqual([0, 0, 0]);
  });
});

describe('SMAC reward (by hand)', () => {
  it('pays one marine shot as 6 / (max_reward / 20) on 3m-sized armies', () => {
    const sim = customBattle({
      allies: { units: [{ type: 'marine', count: 3 }], spawn: [9, 16] },
      enemies: { units: [{ type: 'post', count: 3 }], spawn: [23, 16] },
      ...STATIONARY,
    });
    // max_reward = 3 enemies x 10 + 200 + 3 x 45 = 365.
    expect(sim.maxReward).toBe(365);
    place(sim, { agent_0: [10, 16], agent_1: [2, 2], agent_2: [2, 30], enemy_0: [15, 16], enemy_1: [30, 2], enemy_2: [30, 30] });
    // A marine fires at once (cooldown 0), then waits 0.61 s: one shot in the 0.5 s step.
    const rewards = stepOnce(sim, [ACTION.firstTarget + 0, ACTION.stop, ACTION.stop]);
    expect(sim.battle.hp[3]).toBe(39);
    expect(rewards[0]).toBeCloseTo((6 * 20) / 365, 6);
    expect(rewards).toEqual([rewards[0], rewards[0], rewards[0]]);
    expect(sim.events.attacks.slice(0, 2)).toEqual([0, 3]);
  });

  it('pays a kill as (health + 10 + 200 win) / (max_reward / 20): exactly 20 for a one-shot 1v1', () => {
    const sim = customBattle({
      allies: { units: [{ type: 'marine', count: 1 }], spawn: [9, 16] },
      enemies: { units: [{ type: 'frail', count: 1 }], spawn: [23, 16] },
      units: { frail: { base: 'marine', hp: 6, speed: 0 } },
    });
    expect(sim.maxReward).toBe(10 + 200 + 6);
    place(sim, { agent_0: [10, 16], enemy_0: [15, 16] });
    const [reward] = stepOnce(sim, [ACTION.firstTarget]);
    expect(reward).toBeCloseTo(20, 5);
    expect(sim.terminated).toBe(true);
    expect(sim.won).toBe(true);
  });

  it('takes |Δ| of enemy health: an enemy healed by its medivac still pays (reward_only_positive)', () => {
    const sim = customBattle({
      allies: { units: [{ type: 'marine', count: 1 }], spawn: [9, 16] },
      enemies: { units: [{ type: 'post', count: 1 }, { type: 'medivac', count: 1 }], spawn: [23, 16] },
      ...STATIONARY,
    });
    place(sim, { agent_0: [2, 2], enemy_0: [25, 16], enemy_1: [26, 16] });
    sim.battle.hp[1] = 30;
    const [reward] = stepOnce(sim, [ACTION.stop]);
    expect(sim.battle.hp[1]).toBeCloseTo(34.5, 9);
    expect(reward).toBeCloseTo((4.5 * 20) / sim.maxReward, 6);
  });
});

describe('SMAC unit mechanics', () => {
  it('subtracts armor per hit and adds bonus damage against armored targets', () => {
    const sim = customBattle({
      allies: { units: [{ type: 'stalker', count: 1 }], spawn: [9, 16] },
      enemies: { units: [{ type: 'tank', count: 1 }], spawn: [23, 16] },
      units: { tank: { base: 'marauder', speed: 0, damage: 0, bonus: {} } },
    });
    place(sim, { agent_0: [10, 16], enemy_0: [15, 16] });
    stepOnce(sim, [ACTION.firstTarget]);
    // stalker 13 + 5 vs armored, marauder armor 1.
    expect(sim.battle.hp[1]).toBe(125 - 17);
    const battle = sim.battle;
    // Direct hits: shields absorb before armor; armor applies to what gets through.
    battle.hp[0] = 80;
    battle.shield[0] = 2;
    battle.damage(0, 6);
    expect([battle.hp[0], battle.shield[0]]).toEqual([77, 0]);
    battle.damage(0, 1);
    expect(battle.hp[0]).toBe(77);
  });

  it('hits twice per zealot attack', () => {
    const sim = customBattle({
      allies: { units: [{ type: 'zealot', count: 1 }], spawn: [9, 16] },
      enemies: { units: [{ type: 'post', count: 1 }], spawn: [23, 16] },
      ...STATIONARY,
    });
    place(sim, { agent_0: [10, 16], enemy_0: [10.9, 16] });
    stepOnce(sim, [ACTION.firstTarget]);
    expect(sim.battle.hp[1]).toBe(45 - 16);
  });

  it('regenerates shields at 2/s only after 10 s without damage', () => {
    const sim = customBattle({
      allies: { units: [{ type: 'stalker', count: 1 }], spawn: [9, 16] },
      enemies: { units: [{ type: 'post', count: 1 }], spawn: [23, 16] },
      ...STATIONARY,
    });
    place(sim, { agent_0: [4, 4], enemy_0: [28, 28] });
    sim.battle.damage(0, 30);
    expect(sim.battle.shield[0]).toBe(50);
    for (let k = 0; k < 20; k++) stepOnce(sim, [ACTION.stop]);
    // 20 steps = 10 s: the delay has just run out on the last tick.
    expect(sim.battle.shield[0]).toBeCloseTo(50 + 2 / 16, 9);
    stepOnce(sim, [ACTION.stop]);
    expect(sim.battle.shield[0]).toBeCloseTo(50 + 2 / 16 + 1, 9);
    expect(sim.shield[0]).toBeCloseTo((51 + 2 / 16) / 80, 6);
    expect(sim.battle.hp[0]).toBe(80);
  });

  it('heals 9 HP/s with a medivac, paying 1 energy per 3 HP', () => {
    const sim = customBattle({
      allies: { units: [{ type: 'marine', count: 1 }, { type: 'medivac', count: 1 }], spawn: [9, 16] },
      enemies: { units: [{ type: 'post', count: 2 }], spawn: [23, 16] },
      ...STATIONARY,
    });
    place(sim, { agent_0: [9, 16], agent_1: [10, 17], enemy_0: [30, 30], enemy_1: [30, 2] });
    sim.battle.hp[0] = 20;
    stepOnce(sim, [ACTION.stop, ACTION.firstTarget + 0]);
    expect(sim.battle.hp[0]).toBeCloseTo(24.5, 9);
    // 4.5 HP bought with 2 energy; energy regenerates 0.5625/s.
    expect(sim.battle.energy[1]).toBeCloseTo(50 - 2 + 0.5625 / 2, 9);
    expect(sim.events.heals.slice(0, 2)).toEqual([1, 0]);
    for (let k = 0; k < 6; k++) stepOnce(sim, [ACTION.stop, ACTION.firstTarget + 0]);
    expect(sim.battle.hp[0]).toBe(45);
  });

  it('moves a marine 3.15 x 0.5 units per step on either physics', () => {
    for (const physics of ['matter', 'kinematic']) {
      const sim = customBattle(ONE_V_ONE, physics);
      place(sim, { agent_0: [10, 10], enemy_0: [30, 30] });
      stepOnce(sim, [ACTION.east]);
      expect(sim.battle.x[0]).toBeCloseTo(10 + 1.575, 2);
      expect(sim.battle.y[0]).toBeCloseTo(10, 3);
      // The move order targets 2 units away: the next step stops there.
      stepOnce(sim, [ACTION.stop]);
      expect(sim.battle.x[0]).toBeCloseTo(11.575, 2);
    }
  });

  it('pushes units apart instead of letting them overlap, on either physics', () => {
    for (const physics of ['matter', 'kinematic']) {
      const sim = customBattle({
        allies: { units: [{ type: 'marine', count: 2 }], spawn: [9, 16] },
        enemies: { units: [{ type: 'post', count: 1 }], spawn: [23, 16] },
        ...STATIONARY,
      }, physics);
      place(sim, { agent_0: [10, 10], agent_1: [11.5, 10], enemy_0: [30, 30] });
      stepOnce(sim, [ACTION.east, ACTION.stop]);
      const gap = Math.hypot(sim.battle.x[1] - sim.battle.x[0], sim.battle.y[1] - sim.battle.y[0]);
      expect(gap).toBeGreaterThan(0.75 * 0.95);
      expect(sim.battle.x[1]).toBeGreaterThan(11.5);
    }
  });
});

describe('SMAC enemy AI', () => {
  it('keeps its target while it stays in reach, then takes the closest', () => {
    const sim = customBattle({
      allies: { units: [{ type: 'marine', count: 2 }], spawn: [9, 16] },
      enemies: { units: [{ type: 'post', count: 1 }], spawn: [23, 16] },
      ...STATIONARY,
    });
    // enemy reach = 5 + 2 x 0.375 = 5.75; scan = 5 + 0.375.
    place(sim, { agent_0: [10, 16], agent_1: [2, 2], enemy_0: [15, 16] });
    stepOnce(sim, [ACTION.stop, ACTION.stop]);
    expect(sim.battle.target[2]).toBe(0);
    sim.setInitialState({ entities: { agent_1: { pos: [17, 16] } } });
    stepOnce(sim, [ACTION.stop, ACTION.stop]);
    expect(sim.battle.target[2]).toBe(0);
    // agent_0 leaves the reach: the enemy switches to agent_1.
    sim.setInitialState({ entities: { agent_0: { pos: [4, 16] } } });
    stepOnce(sim, [ACTION.stop, ACTION.stop]);
    expect(sim.battle.target[2]).toBe(1);
  });

  it('attack-moves toward the allies and wins against idle agents (loss for the agents)', () => {
    const sim = customBattle({
      allies: { units: [{ type: 'marine', count: 3 }], spawn: [9, 16] },
      enemies: { units: [{ type: 'marine', count: 3 }], spawn: [23, 16] },
    });
    place(sim, {});
    let steps = 0;
    while (!sim.terminated && steps < 50) {
      stepOnce(sim, [ACTION.stop, ACTION.stop, ACTION.stop]);
      steps++;
    }
    expect(sim.terminated).toBe(true);
    expect(sim.won).toBe(false);
    expect([...sim.alive]).toEqual([0, 0, 0]);
  });
});
