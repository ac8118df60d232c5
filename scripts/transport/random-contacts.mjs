// Under uniform random actions (vmas mode, 1500-step limit): how often any robot touches the package
// (centre within the box half-width + radius + 0.005 on both axes), how far the package moves, and the
// scale of the shared per-step reward. Usage: node random-contacts.mjs ROOT EPISODES
import { countArg, deriveSeed, Rng, sim } from './transport-sim.mjs';

const E = countArg(100);
const names = sim.entities.map((e) => e.name);
const pi = names.indexOf('package_0');
const n = sim.agentCount, acts = new Int32Array(n), rew = new Float32Array(n);
let touchSteps = 0, steps = 0, episodesTouched = 0, sumAbs = 0, sumSq = 0, moved = [], returns = [];
for (let e = 0; e < E; e++) {
  const rng = new Rng(deriveSeed(777, e));
  sim.reset(rng);
  const P = sim.positions, [x0, y0] = [P[2 * pi], P[2 * pi + 1]];
  let touched = false, ret = 0;
  for (let t = 0; t < sim.maxSteps; t++) {
    for (let a = 0; a < n; a++) acts[a] = Math.floor(rng.uniform() * 9);
    sim.step(acts, rew);
    ret += rew[0]; sumAbs += Math.abs(rew[0]); sumSq += rew[0] * rew[0]; steps++;
    const Q = sim.positions;
    for (let a = 0; a < n; a++) if (Math.abs(Q[2 * a] - Q[2 * pi]) < 0.11 && Math.abs(Q[2 * a + 1] - Q[2 * pi + 1]) < 0.11) { touchSteps++; touched = true; break; }
    if (sim.terminated) break;
  }
  if (touched) episodesTouched++;
  moved.push(Math.hypot(sim.positions[2 * pi] - x0, sim.positions[2 * pi + 1] - y0)); returns.push(ret);
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`episodes ${E}: some robot touching the package in ${(100 * touchSteps / steps).toFixed(2)}% of steps, in ${(100 * episodesTouched / E).toFixed(0)}% of episodes; package moved ${mean(moved).toFixed(4)} on average (max ${Math.max(...moved).toFixed(4)}); return ${mean(returns).toFixed(3)} (min ${Math.min(...returns).toFixed(3)}, max ${Math.max(...returns).toFixed(3)}); per-step |reward| ${(sumAbs / steps).toExponential(2)}, rms ${Math.sqrt(sumSq / steps).toExponential(2)}`);
