// Greedy episodes of a passage policy on the built-in passage (kdmarl eval's loop): how many robots
// end past the wall, how many on their goals, and where the others stall (offset from the gap, height).
// Usage: node crossings.mjs ROOT POLICY [EPISODES] [SEED]
import { resolve } from 'node:path';
import { greedyEpisodes } from '../greedy-episodes.mjs';

const root = resolve(process.argv[2] ?? '.');
const [policyPath, episodes = '100', seed = '4242'] = process.argv.slice(3);
/** The wall's far face: its boxes are 0.2 thick around y = 0. */
const wallFace = 0.1;
const E = Number(episodes);
let crossed = 0, onGoal = 0, robots = 0;
const stalled = [];
const { outcomes } = await greedyEpisodes(root, 'passage', policyPath, {
  episodes: E,
  seed: Number(seed),
  onEpisode: (_i, _outcome, sim) => {
    const at = (name) => sim.entities.findIndex((e) => e.name === name);
    const gap = at('passage_0');
    const P = sim.positions;
    for (let a = 0; a < sim.agentNames.length; a++, robots++) {
      const [p, g] = [at(`agent_${a}`), at(`goal_${a}`)];
      if (Math.hypot(P[2 * p] - P[2 * g], P[2 * p + 1] - P[2 * g + 1]) <= sim.robots[a].spec.radius / 2) onGoal++;
      if (P[2 * p + 1] > wallFace) crossed++;
      else stalled.push([Math.abs(P[2 * p] - P[2 * gap]), P[2 * p + 1]]);
    }
  },
});
const wins = outcomes.filter((o) => o.won).length;
const mean = (k) => stalled.reduce((s, v) => s + v[k], 0) / Math.max(1, stalled.length);
console.log(`${E} episodes: ${wins} successes; robots past the wall ${(100 * crossed / robots).toFixed(1)}%, on their goals ${(100 * onGoal / robots).toFixed(1)}%`);
console.log(`robots short of the wall: ${stalled.length}, mean |x - gap| ${mean(0).toFixed(3)}, mean y ${mean(1).toFixed(3)}, within 0.1 of the gap ${stalled.filter((s) => s[0] < 0.1).length}`);
