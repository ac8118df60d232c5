// Steps a perfect push needs over N real transport resets (vmas mode). The perfect push: from the reset,
// the package moves straight at the goal with every robot pushing on a face, each adding 1/4 of the
// measured four-robot axis speed to one axis (push-speed.sh: 0.001778 per step; a corner chain measured
// slower), so the time is the Manhattan length of the straight path to the first on-goal position over
// that speed, plus the 3.3 steps the measured push lost getting up to speed. "With approach" adds the
// time the farthest robot needs to get behind the package at a free robot's top speed (0.024 per step).
// Usage: node limit.mjs ROOT N  → fraction of resets finished within each limit.
import { countArg, deriveSeed, Rng, sim } from './transport-sim.mjs';

const N = countArg(20000);
const names = sim.entities.map((e) => e.name);
const [pi, gi] = [names.indexOf('package_0'), names.indexOf('goal')];
const AXIS_SPEED = 0.001778, LAG = 3.3, ROBOT_SPEED = 0.024, HALF = 0.075, REACH = 0.15 + 4 / 600;
const overlaps = (bx, by, gx, gy) => Math.hypot(Math.max(Math.abs(gx - bx) - HALF, 0), Math.max(Math.abs(gy - by) - HALF, 0)) < REACH;
const push = [], full = [];
for (let i = 0; i < N; i++) {
  sim.reset(new Rng(deriveSeed(12345, i)));
  const P = sim.positions;
  const [px, py, gx, gy] = [P[2 * pi], P[2 * pi + 1], P[2 * gi], P[2 * gi + 1]];
  let lo = 0, hi = 1;
  if (overlaps(px, py, gx, gy)) hi = 0;
  for (let k = 0; k < 40 && hi > 0; k++) { const s = (lo + hi) / 2; if (overlaps(px + s * (gx - px), py + s * (gy - py), gx, gy)) hi = s; else lo = s; }
  const steps = (hi * (Math.abs(gx - px) + Math.abs(gy - py))) / AXIS_SPEED + LAG;
  const d = Math.hypot(gx - px, gy - py), [ux, uy] = [(gx - px) / d, (gy - py) / d];
  let approach = 0;
  for (let a = 0; a < sim.agentCount; a++) approach = Math.max(approach, Math.hypot(P[2 * a] - (px - 0.105 * ux), P[2 * a + 1] - (py - 0.105 * uy)) / ROBOT_SPEED);
  push.push(steps); full.push(steps + approach);
}
const frac = (xs, L) => xs.filter((s) => s <= L).length / xs.length;
const q = (xs, f) => xs.slice().sort((a, b) => a - b)[Math.floor(f * (xs.length - 1))];
console.log(`resets ${N}; steps needed, perfect push from the first step: median ${q(push, 0.5).toFixed(0)}, 99th pct ${q(push, 0.99).toFixed(0)}, max ${Math.max(...push).toFixed(0)}; with approach: median ${q(full, 0.5).toFixed(0)}, 99th ${q(full, 0.99).toFixed(0)}, max ${Math.max(...full).toFixed(0)}`);
for (const L of [100, 500, 1000, 1500, 2000, 2500, 3000]) console.log(`limit ${L}: push ${(100 * frac(push, L)).toFixed(2)}%  with approach ${(100 * frac(full, L)).toFixed(2)}%`);
