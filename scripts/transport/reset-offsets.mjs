// Mean positions at reset over N transport resets (package, goal, robots) with standard errors: the reset should be symmetric.
import { countArg, deriveSeed, Rng, sim } from './transport-sim.mjs';

const N = countArg(20000);
const names = sim.entities.map((e) => e.name);
const stats = names.map(() => [0, 0, 0, 0]);
for (let i = 0; i < N; i++) {
  sim.reset(new Rng(deriveSeed(99, i)));
  names.forEach((_, k) => { const [x, y] = [sim.positions[2 * k], sim.positions[2 * k + 1]]; const s = stats[k]; s[0] += x; s[1] += y; s[2] += x * x; s[3] += y * y; });
}
names.forEach((nm, k) => { const s = stats[k]; const [mx, my] = [s[0] / N, s[1] / N]; const se = (m2, m) => Math.sqrt((m2 / N - m * m) / N); console.log(nm, mx.toFixed(4), '±', se(s[2], mx).toFixed(4), my.toFixed(4), '±', se(s[3], my).toFixed(4)); });
