import { describe, expect, it } from 'vitest';
import { loadScenarioFile, resolveScenario } from '../../server/scenarios/registry.ts';
import { ACT, distance, observation, position, robotWorld, stepWith } from './helpers.ts';

// Hand-computed VMAS step (ROBOTS-REFERENCE 1.2): drag 0.25 once per env step at substep 0, then per
// substep v += F/m·h, x += v·h, with h = dt/S.

describe('navigation reward (VMAS navigation.py)', () => {
  const far = { agent_1: { pos: [0.5, 0.5] as [number, number] }, goal_1: { pos: [0.5, 0.8] as [number, number] }, agent_2: { pos: [-0.5, -0.5] as [number, number] }, goal_2: { pos: [-0.8, -0.5] as [number, number] } };

  it('shaping is the decrease of the distance to the goal; a robot pushing +x for one step (S = 2) moves 0.0075', () => {
    const sim = robotWorld('navigation', { entities: { agent_0: { pos: [0, 0] }, goal_0: { pos: [1, 0] }, ...far } });
    const rewards = stepWith(sim, [ACT.right, ACT.none, ACT.none]);
    // Substep 0: v = 0.75·0 + 1·0.05 = 0.05, x = 0.0025; substep 1: v = 0.1, x = 0.0075.
    expect(position(sim, 'agent_0')[0]).toBeCloseTo(0.0075, 6);
    expect(rewards[0]).toBeCloseTo(0.0075, 6);
    expect(rewards[1]).toBeCloseTo(0, 6);
    expect(rewards[2]).toBeCloseTo(0, 6);
    expect(sim.terminated).toBe(false);
  });

  it('shared_rew gives every robot the sum of the shaping terms', () => {
    const sim = robotWorld('navigation', { entities: { agent_0: { pos: [0, 0] }, goal_0: { pos: [1, 0] }, ...far } }, { kwargs: { shared_rew: true } });
    const rewards = stepWith(sim, [ACT.right, ACT.none, ACT.none]);
    for (const r of rewards) expect(r).toBeCloseTo(0.0075, 6);
  });

  it('robots within 0.005 of touching each take -1, and touching is no contact yet', () => {
    // Centres 0.203 apart: surface distance 0.003 ≤ 0.005, but beyond 2r so no contact force moves them.
    const sim = robotWorld('navigation', {
      entities: { agent_0: { pos: [0, 0] }, goal_0: { pos: [0, 0.6] }, agent_1: { pos: [0.203, 0] }, goal_1: { pos: [0.2, 0.6] }, agent_2: { pos: [-0.7, -0.7] }, goal_2: { pos: [-0.7, 0.6] } },
    });
    const rewards = stepWith(sim, [ACT.none, ACT.none, ACT.none]);
    expect(rewards[0]).toBeCloseTo(-1, 6);
    expect(rewards[1]).toBeCloseTo(-1, 6);
    expect(rewards[2]).toBeCloseTo(0, 6);
  });

  it('the final reward needs every robot within 0.05, termination within 0.1 (two thresholds, as VMAS)', () => {
    const onGoals = robotWorld('navigation', {
      entities: { agent_0: { pos: [0, 0] }, goal_0: { pos: [0.04, 0] }, agent_1: { pos: [0.5, 0.5] }, goal_1: { pos: [0.5, 0.5] }, agent_2: { pos: [-0.5, -0.5] }, goal_2: { pos: [-0.5, -0.5] } },
    });
    const rewards = stepWith(onGoals, [0, 0, 0]);
    for (const r of rewards) expect(r).toBeCloseTo(0.01, 6);
    expect(onGoals.terminated).toBe(true);
    expect(onGoals.episodeMetrics().success).toBe(1);

    const nearGoals = robotWorld('navigation', {
      entities: { agent_0: { pos: [0, 0] }, goal_0: { pos: [0.07, 0] }, agent_1: { pos: [0.5, 0.5] }, goal_1: { pos: [0.5, 0.5] }, agent_2: { pos: [-0.5, -0.5] }, goal_2: { pos: [-0.5, -0.5] } },
    });
    const near = stepWith(nearGoals, [0, 0, 0]);
    for (const r of near) expect(r).toBeCloseTo(0, 6);
    expect(nearGoals.terminated).toBe(true);

    const oneAway = robotWorld('navigation', {
      entities: { agent_0: { pos: [0, 0] }, goal_0: { pos: [0.3, 0] }, agent_1: { pos: [0.5, 0.5] }, goal_1: { pos: [0.5, 0.5] }, agent_2: { pos: [-0.5, -0.5] }, goal_2: { pos: [-0.5, -0.5] } },
    });
    stepWith(oneAway, [0, 0, 0]);
    expect(oneAway.terminated).toBe(false);
    expect(oneAway.episodeMetrics().success).toBe(0);
  });

  it('observes position, velocity, position − goal and range − distance per ray; ray 0 points along +x', () => {
    const sim = robotWorld('navigation', {
      entities: { agent_0: { pos: [0, 0], vel: [0.1, -0.2] }, goal_0: { pos: [0.3, 0.4] }, agent_1: { pos: [0.3, 0] }, goal_1: { pos: [0.5, 0.9] }, agent_2: { pos: [-0.8, -0.8] }, goal_2: { pos: [0.8, -0.8] } },
    });
    const obs = observation(sim, 0);
    expect(obs).toHaveLength(18);
    expect(Array.from(obs.slice(0, 6)).map((v) => Number(v.toFixed(5)))).toEqual([0, 0, 0.1, -0.2, -0.3, -0.4]);
    // Ray 0 hits agent_1's circle (centre 0.3, radius 0.1) at 0.2: 0.35 − 0.2 = 0.15. Ray 6 (−x)
    // sees nothing: exactly 0, the float32 range less the float32 reading of it.
    expect(obs[6]).toBeCloseTo(0.15, 5);
    expect(obs[6 + 6]).toBe(0);
  });

  it('the lidar starts at the robot centre: touching robots see each other at 0.1, observed as 0.25', () => {
    const sim = robotWorld('navigation', { entities: { agent_0: { pos: [0, 0] }, agent_1: { pos: [0.2, 0] }, agent_2: { pos: [-0.8, -0.8] } } });
    expect(observation(sim, 0)[6]).toBeCloseTo(0.25, 5);
    // Ray 6 of 12 points along −x: agent_1 sees agent_0 there.
    expect(observation(sim, 1)[6 + 6]).toBeCloseTo(0.25, 5);
  });
});

/** A training copy of a built-in scenario and the built-in, each split into its params and the rest, descriptions left out. */
function trainingFile(path: string, builtinName: string) {
  type Fields = { description: string; params: Record<string, unknown> } & Record<string, unknown>;
  const split = (file: unknown) => {
    const { description: _, params, ...rest } = file as Fields;
    return { params, rest };
  };
  return { train: split(loadScenarioFile(path).file), builtin: split(resolveScenario(builtinName).file) };
}

describe('transport reward (VMAS transport.py)', () => {
  const agentsFar = { agent_0: { pos: [-0.9, 0.9] }, agent_1: { pos: [-0.8, 0.9] }, agent_2: { pos: [-0.7, 0.9] }, agent_3: { pos: [-0.6, 0.9] } } as const;

  it('every robot gets 100 × the decrease of the package distance; a sliding package keeps 0.75 of its speed', () => {
    const sim = robotWorld('transport', { entities: { ...agentsFar, package_0: { pos: [0, 0], vel: [0.1, 0] }, goal: { pos: [0.6, 0] } } });
    const rewards = stepWith(sim, [0, 0, 0, 0]);
    // v = 0.75 · 0.1 = 0.075, x = 0.0075 (S = 1): distance 0.6 → 0.5925, reward 100 · 0.0075.
    expect(position(sim, 'package_0')[0]).toBeCloseTo(0.0075, 6);
    for (const r of rewards) expect(r).toBeCloseTo(0.75, 4);
    expect(sim.terminated).toBe(false);
    const obs = observation(sim, 0);
    expect(obs).toHaveLength(11);
    expect(obs[10]).toBe(0);
  });

  it('a package on the goal adds nothing, ends the episode and counts as success', () => {
    const sim = robotWorld('transport', { entities: { ...agentsFar, package_0: { pos: [0.5, 0], vel: [0.1, 0] }, goal: { pos: [0.6, 0] } } });
    const rewards = stepWith(sim, [0, 0, 0, 0]);
    for (const r of rewards) expect(r).toBe(0);
    expect(sim.terminated).toBe(true);
    expect(sim.episodeMetrics().success).toBe(1);
    expect(observation(sim, 2)[10]).toBe(1);
  });

  it("transport's training file (scripts/transport) is the built-in transport but for approach_shaping and a 500-step cut", () => {
    const { train, builtin } = trainingFile('scripts/transport/train-scenario.json', 'transport');
    const { maxSteps: trainSteps, ...trainRest } = train.rest;
    const { maxSteps: builtinSteps, ...builtinRest } = builtin.rest;
    expect(trainRest).toEqual(builtinRest);
    expect(train.params).toEqual({ ...builtin.params, approach_shaping: 2 });
    expect([trainSteps, builtinSteps]).toEqual([500, 1500]);
  });

  it("approach_shaping pays each robot its own approach to the package's push point", () => {
    const init = { entities: { ...agentsFar, agent_0: { pos: [-0.5, 0], vel: [0.1, 0] }, package_0: { pos: [0, 0] }, goal: { pos: [0.6, 0] } } } as const;
    const sim = robotWorld('transport', init, { kwargs: { approach_shaping: 2 } });
    const rewards = stepWith(sim, [0, 0, 0, 0]);
    // The push point is 0.075 + 0.03 behind the package, at (−0.105, 0); agent_0 moves 0.0075
    // towards it (as the package above), the others stand still and the package does not move.
    expect(rewards[0]).toBeCloseTo(2 * 0.0075, 5);
    expect(rewards.slice(1)).toEqual([0, 0, 0]);
    // Without the parameter the same step pays VMAS's reward, which is 0 here.
    expect(stepWith(robotWorld('transport', init), [0, 0, 0, 0])).toEqual([0, 0, 0, 0]);
  });
});

describe('passage reward (VMAS passage.py)', () => {
  const r = 0.03333;
  // Box k of VMAS's creation order at wall slot k, except the gap (passage_0) swapped into slot 10.
  const walls = Object.fromEntries(
    Array.from({ length: 20 }, (_, k) => {
      const slot = k === 0 ? 10 : k === 10 ? 0 : k;
      return [`passage_${k}`, { pos: [-1 - r + 0.0515 + 0.103 * slot, 0] as [number, number] }];
    }),
  );
  const goals = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`goal_${i}`, { pos: [-0.4 + 0.2 * i, 0.6] as [number, number] }]));
  const slot0X = -1 - r + 0.0515;
  const init = {
    entities: {
      ...walls,
      ...goals,
      agent_0: { pos: [-0.4, -0.5] as [number, number], vel: [0, 0.1] as [number, number] },
      // The contact spring undoes an overlap in one step (c·dt² = 1), so the overlapping robots below
      // move into each other: they still overlap after the step. agent_1 runs into the solid box in
      // slot 0 from below: v = 0.75·0.5 − 100·0.02·0.1 = 0.175, centre −0.12 → −0.1025, overlapping.
      agent_1: { pos: [slot0X, -0.12] as [number, number], vel: [0, 0.5] as [number, number] },
      agent_2: { pos: [0, -0.5] as [number, number] },
      // agents 3 and 4 overlap (centres 0.05 < 2r apart) and close in: v = 0.225 − 0.167 each, 0.038 apart after.
      agent_3: { pos: [0.2, -0.5] as [number, number], vel: [0.3, 0] as [number, number] },
      agent_4: { pos: [0.25, -0.5] as [number, number], vel: [-0.3, 0] as [number, number] },
    },
  };

  function shapingAfter(sim: ReturnType<typeof robotWorld>, before: [number, number][]): number[] {
    return before.map((start, i) => 100 * (distance(start, position(sim, `goal_${i}`)) - distance(position(sim, `agent_${i}`), position(sim, `goal_${i}`))));
  }

  it('shared reward: robot k gets the summed shaping minus the penalties of robots 0..k (VMAS in-place quirk)', () => {
    const sim = robotWorld('passage', init);
    const before = Array.from({ length: 5 }, (_, i) => position(sim, `agent_${i}`));
    const rewards = stepWith(sim, [0, 0, 0, 0, 0]);
    const shaping = shapingAfter(sim, before);
    const shared = shaping.reduce((a, b) => a + b, 0);
    // Penalty counts per robot: [0, 1 (wall), 0, 1, 1].
    const expected = [shared, shared - 10, shared - 10, shared - 20, shared - 30];
    rewards.forEach((got, i) => expect(got).toBeCloseTo(expected[i], 3));
    // agent_0 alone moved: v = 0.075, Δy = 0.0075 towards its goal.
    expect(shaping[0]).toBeCloseTo(0.75, 2);
  });

  it("shared_penalty 'own' gives each robot its own penalty; without shared_reward each robot its own shaping", () => {
    const ownPenalty = robotWorld('passage', init, { kwargs: { shared_penalty: 'own' } });
    const beforeO = Array.from({ length: 5 }, (_, i) => position(ownPenalty, `agent_${i}`));
    const o = stepWith(ownPenalty, [0, 0, 0, 0, 0]);
    const sharedO = shapingAfter(ownPenalty, beforeO).reduce((a, b) => a + b, 0);
    [0, -10, 0, -10, -10].forEach((pen, i) => expect(o[i]).toBeCloseTo(sharedO + pen, 3));

    const own = robotWorld('passage', init, { kwargs: { shared_reward: false } });
    const before = Array.from({ length: 5 }, (_, i) => position(own, `agent_${i}`));
    const rewards = stepWith(own, [0, 0, 0, 0, 0]);
    const shaping = shapingAfter(own, before);
    [0, -10, 0, -10, -10].forEach((pen, i) => expect(rewards[i]).toBeCloseTo(shaping[i] + pen, 3));
  });

  it('the physics mode does not change the reward rule: matter mode accumulates the penalty too, by default', () => {
    const matter = robotWorld('passage', init, { physics: 'matter' });
    const before = Array.from({ length: 5 }, (_, i) => position(matter, `agent_${i}`));
    const rewards = stepWith(matter, [0, 0, 0, 0, 0]);
    const shared = shapingAfter(matter, before).reduce((a, b) => a + b, 0);
    // Rigid contacts leave the same overlaps after one step as the penalty springs: counts [0, 1, 0, 1, 1].
    [shared, shared - 10, shared - 10, shared - 20, shared - 30].forEach((want, i) => expect(rewards[i]).toBeCloseTo(want, 3));
  });

  it('collision_penalty sets the charge per overlap; a positive one is refused', () => {
    const light = robotWorld('passage', init, { kwargs: { shared_reward: false, collision_penalty: -1 } });
    const before = Array.from({ length: 5 }, (_, i) => position(light, `agent_${i}`));
    const rewards = stepWith(light, [0, 0, 0, 0, 0]);
    const shaping = shapingAfter(light, before);
    [0, -1, 0, -1, -1].forEach((pen, i) => expect(rewards[i]).toBeCloseTo(shaping[i] + pen, 3));
    expect(() => robotWorld('passage', undefined, { kwargs: { collision_penalty: 2 } })).toThrow(/^scenario_kwargs: params\.collision_penalty: collision_penalty must be ≤ 0/);
  });

  it('final_reward is paid to every robot on the step all five are home, and only then', () => {
    const home = { entities: { ...walls, ...goals, ...Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`agent_${i}`, { pos: [-0.4 + 0.2 * i, 0.61] as [number, number] }])) } };
    const paid = robotWorld('passage', home, { kwargs: { final_reward: 50 } });
    const plain = robotWorld('passage', home);
    const withBonus = stepWith(paid, [0, 0, 0, 0, 0]);
    const without = stepWith(plain, [0, 0, 0, 0, 0]);
    expect(paid.terminated).toBe(true);
    withBonus.forEach((r, i) => expect(r).toBeCloseTo(without[i] + 50, 4));
    // One robot 0.02 from its goal (more than half its radius): nobody is paid.
    const almost = robotWorld('passage', { entities: { ...home.entities, agent_2: { pos: [0, 0.62] } } }, { kwargs: { final_reward: 50 } });
    const rewards = stepWith(almost, [0, 0, 0, 0, 0]);
    expect(almost.terminated).toBe(false);
    for (const r of rewards) expect(Math.abs(r)).toBeLessThan(1);
  });

  it('shared_penalty is validated by name', () => {
    expect(() => robotWorld('passage', undefined, { kwargs: { shared_penalty: 'each' } })).toThrow(/^scenario_kwargs: params\.shared_penalty: shared_penalty must be 'cumulative' \(VMAS\) or 'own'/);
  });

  it("pos_shaping 'path' pays for the way through the gap: to its near opening, across the wall, then straight", () => {
    const gapX = -1 - r + 0.0515 + 0.103 * 10;
    const start: Record<string, [number, number]> = { agent_0: [-0.4, -0.5], agent_1: [0.6, -0.5], agent_2: [gapX, 0], agent_3: [0, 0.3], agent_4: [0.8, -0.5] };
    const vel: Record<string, [number, number]> = { agent_0: [0.2, 0], agent_2: [0, 0.2], agent_3: [0, 0.2] };
    const entities = Object.fromEntries(Object.entries(start).map(([name, pos]) => [name, { pos, vel: vel[name] ?? [0, 0] }]));
    const placed = { entities: { ...walls, ...goals, ...entities } };
    const sim = robotWorld('passage', placed, { kwargs: { pos_shaping: 'path', shared_reward: false } });
    const vmas = robotWorld('passage', placed, { kwargs: { shared_reward: false } });
    const path = (at: [number, number], goal: [number, number]): number => {
      const beyond = distance([gapX, 0.1], goal);
      if (at[1] >= 0.1) return distance(at, goal);
      if (at[1] > -0.1) return distance(at, [gapX, 0.1]) + beyond;
      return distance(at, [gapX, -0.1]) + 0.2 + beyond;
    };
    const rewards = stepWith(sim, [0, 0, 0, 0, 0]);
    const straight = stepWith(vmas, [0, 0, 0, 0, 0]);
    for (let i = 0; i < 5; i++) {
      const goal = position(sim, `goal_${i}`);
      expect(rewards[i]).toBeCloseTo(100 * (path(start[`agent_${i}`], goal) - path(position(sim, `agent_${i}`), goal)), 4);
    }
    // Walking along the wall towards the gap: the straight distance grows, the path shrinks.
    expect(straight[0]).toBeLessThan(0);
    expect(rewards[0]).toBeGreaterThan(1);
    // Past the wall both pay the same.
    expect(rewards[3]).toBeCloseTo(straight[3], 4);
  });

  it("passage's training files (scripts/passage) are the built-in passage but for their reward parameters", () => {
    const trained = { pos_shaping: 'path', collision_penalty: -1 };
    for (const [file, params] of [['train-scenario.json', trained], ['finetune-scenario.json', { ...trained, final_reward: 100 }]] as const) {
      const { train, builtin } = trainingFile(`scripts/passage/${file}`, 'passage');
      expect(train.rest).toEqual(builtin.rest);
      expect(train.params).toEqual({ ...builtin.params, ...params });
    }
  });

  it('observes goal − position (the sign differs from navigation) and gap − position', () => {
    const sim = robotWorld('passage', init);
    const obs = observation(sim, 2);
    expect(obs).toHaveLength(8);
    expect(obs[4]).toBeCloseTo(0, 5);
    expect(obs[5]).toBeCloseTo(1.1, 5);
    expect(obs[6]).toBeCloseTo(-1 - r + 0.0515 + 0.103 * 10, 5);
    expect(obs[7]).toBeCloseTo(0.5, 5);
  });
});

describe('balance reward (VMAS balance.py)', () => {
  it('a falling package loses 100 × its drop towards a goal above: gravity 0.05 for one step gives −0.05', () => {
    const sim = robotWorld('balance', {
      entities: {
        package: { pos: [0, 0] },
        goal: { pos: [0, 0.5] },
        line: { pos: [0, -0.5] },
        agent_0: { pos: [-0.9, 0.5] },
        agent_1: { pos: [-0.8, 0.5] },
        agent_2: { pos: [0.8, 0.5] },
        agent_3: { pos: [0.9, 0.5] },
      },
    });
    const rewards = stepWith(sim, [0, 0, 0, 0]);
    // v = −0.05 · 0.1 = −0.005, y = −0.0005: distance 0.5 → 0.5005.
    expect(position(sim, 'package')[1]).toBeCloseTo(-0.0005, 7);
    for (const r of rewards) expect(r).toBeCloseTo(-0.05, 4);
    expect(sim.terminated).toBe(false);
  });

  it('the plank on the floor costs −10 and ends the episode without success', () => {
    // The clamp |y| ≤ 1 keeps a level plank's centre 0.03 above the floor's top (−1.03): only a
    // tilted plank (or the ball, radius 0.05) can touch it, as in VMAS.
    const sim = robotWorld('balance', {
      entities: { line: { pos: [0, -1], rot: 0.2 }, package: { pos: [0, 0] }, goal: { pos: [0, 0.5] }, agent_0: { pos: [-0.9, 0.5] }, agent_1: { pos: [-0.8, 0.5] }, agent_2: { pos: [0.8, 0.5] }, agent_3: { pos: [0.9, 0.5] } },
    });
    const rewards = stepWith(sim, [0, 0, 0, 0]);
    for (const r of rewards) expect(r).toBeCloseTo(-10 - 0.05, 3);
    expect(sim.terminated).toBe(true);
    expect(sim.episodeMetrics().success).toBe(0);
  });

  it('the package at the goal ends the episode with success', () => {
    const sim = robotWorld('balance', {
      entities: { package: { pos: [0, 0.45] }, goal: { pos: [0, 0.5] }, line: { pos: [0, -0.5] }, agent_0: { pos: [-0.9, 0.5] }, agent_1: { pos: [-0.8, 0.5] }, agent_2: { pos: [0.8, 0.5] }, agent_3: { pos: [0.9, 0.5] } },
    });
    stepWith(sim, [0, 0, 0, 0]);
    expect(sim.terminated).toBe(true);
    expect(sim.episodeMetrics().success).toBe(1);
  });

  it('observes the plank angle mod π and its angular velocity from the init file', () => {
    const sim = robotWorld('balance', { entities: { line: { pos: [0, -0.5], rot: -0.5, ang_vel: 0.25 } } });
    const obs = observation(sim, 0);
    expect(obs).toHaveLength(16);
    expect(obs[14]).toBeCloseTo(0.25, 6);
    expect(obs[15]).toBeCloseTo(Math.PI - 0.5, 6);
  });
});

describe('viewer bounds', () => {
  it('cover the spawn area and every static body of unbounded worlds, and the clamp box of bounded ones', () => {
    expect(robotWorld('navigation').bounds[2]).toBeCloseTo(1.2, 6);
    expect(robotWorld('navigation_obstacles').bounds[2]).toBeGreaterThanOrEqual(1.3 + 1.25);
    expect(robotWorld('navigation_64').bounds[2]).toBeCloseTo(3.2, 6);
    expect(robotWorld('transport').bounds[2]).toBeCloseTo(1.21, 6);
    expect(robotWorld('passage').bounds[2]).toBe(1);
  });
});

describe('entity kinds', () => {
  it('are walls, obstacles, movable bodies and goals, the kinds the viewer draws (movable slabs lower than walls)', () => {
    const kinds = (name: string): Record<string, string> => Object.fromEntries(robotWorld(name).entities.map((e) => [e.name, e.kind]));
    expect(kinds('navigation_obstacles')).toMatchObject({ agent_0: 'agent', goal_0: 'goal', wall_0: 'wall', obstacle_0: 'obstacle' });
    expect(kinds('transport')).toMatchObject({ agent_0: 'agent', goal: 'goal', package_0: 'body' });
    expect(kinds('passage')).toMatchObject({ goal_0: 'goal', passage_0: 'wall', passage_19: 'wall' });
    expect(kinds('balance')).toMatchObject({ goal: 'goal', package: 'body', line: 'body', floor: 'wall' });
  });
});
