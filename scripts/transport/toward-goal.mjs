// Every robot holds the 8-direction action nearest the package→goal direction (a function of its own observation, p − g):
// robots behind the package push it, the others walk off. Usage: node toward-goal.mjs ROOT EPISODES
import { countArg, deriveSeed, Rng, sim } from './transport-sim.mjs';

const E = countArg(200);
const names = sim.entities.map((e) => e.name);
const [pi, gi] = [names.indexOf('package_0'), names.indexOf('goal')];
const n = sim.agentCount, rew = new Float32Array(n), acts = new Int32Array(n);
const part = (d, other) => (Math.abs(d) < 0.41 * Math.abs(other) ? 0 : d > 0 ? 2 : 1);
let sum = 0, wins = 0;
for (let e = 0; e < E; e++) {
  sim.reset(new Rng(deriveSeed(4242, e)));
  let ret = 0;
  for (let t = 0; t < sim.maxSteps && !sim.terminated; t++) {
    const P = sim.positions, dx = P[2 * gi] - P[2 * pi], dy = P[2 * gi + 1] - P[2 * pi + 1];
    acts.fill(3 * part(dx, dy) + part(dy, dx));
    sim.step(acts, rew); ret += rew[0];
  }
  if (sim.terminated) wins++;
  sum += ret;
}
console.log(`toward-goal: return ${(sum / E).toFixed(3)}, success ${wins}/${E}`);
