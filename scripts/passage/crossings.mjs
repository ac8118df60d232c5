// Greedy episodes of a passage policy on the built-in passage: how many robots end past the wall,
// how many on their goals, and where the others stall (offset from the gap, height).
// Usage: node crossings.mjs ROOT POLICY [EPISODES] [SEED]
import { resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const [policyPath, episodes = '100', seed = '4242'] = process.argv.slice(3);
const { createSimulation } = await import(`${root}/dist/server/scenarios/registry.js`);
const { EnvCore } = await import(`${root}/dist/server/env/env-core.js`);
const { policyFileAgents, readPolicyPath } = await import(`${root}/dist/agents/eval/policies.js`);
const { deriveSeed, Rng } = await import(`${root}/dist/shared/rng.js`);

const sim = createSimulation('passage', {});
const loaded = policyFileAgents(readPolicyPath(policyPath), sim, 'passage', policyPath);
const core = new EnvCore(sim, { views: loaded.agents.map((a) => a.view) });
const io = core.io;
const n = sim.agentNames.length;
const obs = io.views.map((v) => new Float32Array(v.size));
const at = (name) => sim.entities.findIndex((e) => e.name === name);
const gap = at('passage_0');
const E = Number(episodes);
let crossed = 0, onGoal = 0, wins = 0;
const stalled = [];
for (let e = 0; e < E; e++) {
  core.reset(deriveSeed(Number(seed), e));
  const rng = new Rng(1);
  do {
    for (let a = 0; a < n; a++) {
      io.writeObservation(a, obs[a], 0);
      const mask = io.masks.subarray(io.maskOffsets[a], io.maskOffsets[a] + sim.actionCounts[a]);
      core.setAction(a, loaded.agents[a].policy.decide(obs[a], mask, rng.uniform()), 'lenient');
    }
  } while (!core.step());
  if (core.episodeEnd().won) wins++;
  const P = sim.positions;
  for (let a = 0; a < n; a++) {
    const [p, g] = [at(`agent_${a}`), at(`goal_${a}`)];
    if (Math.hypot(P[2 * p] - P[2 * g], P[2 * p + 1] - P[2 * g + 1]) <= 0.03333 / 2) onGoal++;
    if (P[2 * p + 1] > 0.1) crossed++;
    else stalled.push([Math.abs(P[2 * p] - P[2 * gap]), P[2 * p + 1]]);
  }
}
const mean = (k) => stalled.reduce((s, v) => s + v[k], 0) / Math.max(1, stalled.length);
console.log(`${E} episodes: ${wins} successes; robots past the wall ${(100 * crossed / (E * n)).toFixed(1)}%, on their goals ${(100 * onGoal / (E * n)).toFixed(1)}%`);
console.log(`robots short of the wall: ${stalled.length}, mean |x - gap| ${mean(0).toFixed(3)}, mean y ${mean(1).toFixed(3)}, within 0.1 of the gap ${stalled.filter((s) => s[0] < 0.1).length}`);
