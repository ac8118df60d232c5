// Greedy episodes of a spread policy (kdmarl eval's loop): how far each landmark's nearest agent
// is at the last step, as quantiles and as the share within a few distances (0.1 is eval's
// landmarksCovered). It tells near-misses (agents hovering just off their landmarks) from
// assignment failures (a landmark nobody goes to).
// Usage: node cover-distances.mjs ROOT POLICY [EPISODES] [SEED]
import { resolve } from 'node:path';
import { greedyEpisodes } from '../greedy-episodes.mjs';

const root = resolve(process.argv[2] ?? '.');
const [policyPath, episodes = '500', seed = '4242'] = process.argv.slice(3);
const distances = [];
await greedyEpisodes(root, 'spread', policyPath, {
  episodes: Number(episodes),
  seed: Number(seed),
  onEpisode: (_i, _outcome, sim) => {
    const at = (name) => sim.entities.findIndex((e) => e.name === name);
    const P = sim.positions;
    const agents = sim.agentNames.map((_, a) => at(`agent_${a}`));
    for (let l = 0; at(`landmark_${l}`) >= 0; l++) {
      const m = at(`landmark_${l}`);
      distances.push(Math.min(...agents.map((a) => Math.hypot(P[2 * a] - P[2 * m], P[2 * a + 1] - P[2 * m + 1]))));
    }
  },
});
distances.sort((a, b) => a - b);
const quantile = (q) => distances[Math.floor(q * (distances.length - 1))].toFixed(3);
const within = (d) => `${(100 * distances.filter((x) => x <= d).length / distances.length).toFixed(1)}%`;
console.log(`${distances.length} landmarks: nearest agent at the last step, quantiles 10/25/50/75/90% ${[0.1, 0.25, 0.5, 0.75, 0.9].map(quantile).join(' / ')}`);
console.log(`within 0.1 ${within(0.1)}, 0.15 ${within(0.15)}, 0.2 ${within(0.2)}, 0.3 ${within(0.3)}, 0.5 ${within(0.5)}`);
