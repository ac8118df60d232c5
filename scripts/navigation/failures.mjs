// Why greedy navigation episodes fail: plays a policy greedily on episodes 0..N-1 of a seed list
// and, for every episode without success, prints each robot's distance to its goal at the end and
// whether it was ever within its radius (0.1); then the count of failures whose robots all ended
// within 0.2 of their goals ("near") against those with one or more farther away ("far"), and how
// many far failures end with a far robot out of its goal's sight (a static within a robot radius of
// the straight segment: its path distance around the statics is longer than the straight one).
// Usage (after npm run build:code): node scripts/navigation/failures.mjs ROOT SCENARIO POLICY [EPISODES=200] [LIST=4242]
import { resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const [scenario, policy] = [process.argv[3] ?? 'navigation_obstacles', process.argv[4]];
const [episodes, list] = [Number(process.argv[5] ?? 200), Number(process.argv[6] ?? 4242)];
if (!policy) throw new Error('usage: failures.mjs ROOT SCENARIO POLICY [EPISODES] [LIST]');
const { createSimulation, resolveScenario } = await import(`${root}/dist/server/scenarios/registry.js`);
const { EnvCore } = await import(`${root}/dist/server/env/env-core.js`);
const { loadEvalPolicy } = await import(`${root}/dist/agents/eval/load-eval-policy.js`);
const { Rng, deriveSeed } = await import(`${root}/dist/shared/rng.js`);
const { placedStatics, spawnBoxField } = await import(`${root}/dist/server/robots/path-distance.js`);

const loadedScenario = resolveScenario(scenario);
const sim = createSimulation(loadedScenario, {});
// A scenario file's policies name the scenario the file names.
const loaded = await loadEvalPolicy(policy, loadedScenario.file.name, sim);
const core = new EnvCore(sim, { views: loaded.agents.map((a) => a.view) });
const io = core.io;
const n = sim.agentNames.length;
const obs = io.views.map((v) => new Float32Array(v.size));
const names = sim.entities.map((e) => e.name);
const distanceToGoal = (a) => {
  const p = sim.positions;
  const g = names.indexOf(`goal_${a}`);
  return Math.hypot(p[2 * a] - p[2 * g], p[2 * a + 1] - p[2 * g + 1]);
};
// The path distance around the statics where they stand, for each robot's radius.
const p = sim.physics;
const statics = placedStatics(sim.bodies, p);
const { world_spawning_x: sx, world_spawning_y: sy } = loadedScenario.file.params;
const fields = sim.robots.map((r) => spawnBoxField(statics, r.spec.radius, sx, sy));
const hidden = (a) => {
  const g = names.indexOf(`goal_${a}`);
  fields[a].setGoal(sim.positions[2 * g], sim.positions[2 * g + 1]);
  return fields[a].distance(sim.positions[2 * a], sim.positions[2 * a + 1]) > distanceToGoal(a) + 1e-9;
};
let near = 0;
let far = 0;
let farHidden = 0;
for (let ep = 0; ep < episodes; ep++) {
  // As kdmarl eval plays episode ep of the list.
  const seed = deriveSeed(list, ep);
  const rng = new Rng(deriveSeed(seed, 0x5eed));
  core.reset(seed);
  const reached = new Array(n).fill(false);
  let done = false;
  while (!done) {
    for (let a = 0; a < n; a++) {
      io.writeObservation(a, obs[a], 0);
      const mask = io.masks.subarray(io.maskOffsets[a], io.maskOffsets[a] + sim.actionCounts[a]);
      core.setAction(a, loaded.agents[a].policy.decide(obs[a], mask, rng.uniform()), 'lenient');
    }
    done = core.step();
    for (let a = 0; a < n; a++) if (distanceToGoal(a) < 0.1) reached[a] = true;
  }
  const end = core.episodeEnd();
  if (end.metrics.success === 1) continue;
  const d = Array.from({ length: n }, (_, a) => distanceToGoal(a));
  const out = Array.from({ length: n }, (_, a) => d[a] >= 0.2 && hidden(a));
  if (Math.max(...d) < 0.2) near++;
  else far++;
  if (out.some((x) => x)) farHidden++;
  console.log(`episode ${ep}: length ${end.length}, distance to goal at the end ${d.map((x) => x.toFixed(2)).join(' ')}, ever within 0.1 ${reached.join(' ')}, far and out of sight ${out.join(' ')}`);
}
console.log(JSON.stringify({ episodes, list, failures: near + far, near, far, farOutOfSight: farHidden }));
