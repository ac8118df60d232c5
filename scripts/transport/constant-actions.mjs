// Mean return of every robot holding one action for a whole episode, and the mean goal − package offset at reset.
// Usage: node constant-actions.mjs ROOT EPISODES
import { countArg, deriveSeed, Rng, sim } from './transport-sim.mjs';

const E = countArg(100);
const names = sim.entities.map((e) => e.name);
const [pi, gi] = [names.indexOf('package_0'), names.indexOf('goal')];
const n = sim.agentCount, rew = new Float32Array(n);
let [mx, my] = [0, 0];
for (let a = 0; a < 9; a++) {
  const acts = new Int32Array(n).fill(a);
  let sum = 0, sq = 0, wins = 0;
  for (let e = 0; e < E; e++) {
    sim.reset(new Rng(deriveSeed(4242, e)));
    if (a === 0) { mx += sim.positions[2 * gi] - sim.positions[2 * pi]; my += sim.positions[2 * gi + 1] - sim.positions[2 * pi + 1]; }
    let ret = 0;
    for (let t = 0; t < sim.maxSteps && !sim.terminated; t++) { sim.step(acts, rew); ret += rew[0]; }
    if (sim.terminated) wins++;
    sum += ret; sq += ret * ret;
  }
  const mean = sum / E, sd = Math.sqrt(sq / E - mean * mean);
  console.log(`action ${a}: return ${mean.toFixed(3)} ± ${(1.96 * sd / Math.sqrt(E)).toFixed(3)}, success ${wins}/${E}`);
}
console.log(`mean goal − package at reset: ${(mx / E).toFixed(4)}, ${(my / E).toFixed(4)}`);
