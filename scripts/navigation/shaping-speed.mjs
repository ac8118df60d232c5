// Env steps per second of a navigation scenario with the straight-line shaping and with
// pos_shaping 'path' (both without the path block in the view), then with the straight shaping
// and the path block (path_hint), in the trainer's loop (VecEnv over 60 envs, random actions,
// resets included), each pair timed in alternating slices so load from other processes falls on
// both alike; also the cost of one path-field rebuild (one goal, a point out of its sight).
// Usage (after npm run build:code): node scripts/navigation/shaping-speed.mjs ROOT [SCENARIO=navigation_obstacles] [SECONDS=10]
import { resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const scenario = process.argv[3] ?? 'navigation_obstacles';
const seconds = Number(process.argv[4] ?? 10);
const { createSimulation, resolveScenario } = await import(`${root}/dist/server/scenarios/registry.js`);
const { VecEnv } = await import(`${root}/dist/server/env/vec-env.js`);
const { timeInterleaved } = await import(`${root}/dist/bench/sim.js`);
const { Rng } = await import(`${root}/dist/shared/rng.js`);
const { placedStatics, spawnBoxField } = await import(`${root}/dist/server/robots/path-distance.js`);

const loaded = resolveScenario(scenario);
const withParams = (shaping, hint) => ({ ...loaded, file: { ...loaded.file, params: { ...loaded.file.params, pos_shaping: shaping, path_hint: hint } } });

function vectorisedLoop(shaping, hint = false, numEnvs = 60) {
  const source = withParams(shaping, hint);
  const vec = new VecEnv(() => createSimulation(source, {}), { numEnvs, seed: 3 });
  vec.reset();
  const rng = new Rng(3);
  const n = vec.numAgents;
  const actions = new Int32Array(numEnvs * n);
  return () => {
    for (let k = 0; k < actions.length; k++) actions[k] = Math.floor(rng.uniform() * 9);
    vec.step(actions);
    return numEnvs;
  };
}

const [euclidean, path] = timeInterleaved(seconds, vectorisedLoop('euclidean'), vectorisedLoop('path'));
const [plain, hinted] = timeInterleaved(seconds, vectorisedLoop('euclidean'), vectorisedLoop('euclidean', true));
const sim = createSimulation(loaded, {});
const { world_spawning_x: sx, world_spawning_y: sy } = loaded.file.params;
const field = spawnBoxField(placedStatics(sim.bodies, sim.physics), sim.robots[0].spec.radius, sx, sy);
// A rebuild: a goal, then a point out of its sight (opposite it across the centre, behind the central obstacle).
const goals = 2000;
const rng = new Rng(5);
const rebuild = () => {
  const [gx, gy] = [rng.range(-sx, sx), rng.range(-sy, sy)];
  field.setGoal(gx, gy);
  return field.distance(-gx, -gy) > Math.hypot(2 * gx, 2 * gy) ? 1 : 0;
};
for (let k = 0; k < 200; k++) rebuild();
let hidden = 0;
const cpuStart = process.cpuUsage();
for (let k = 0; k < goals; k++) hidden += rebuild();
const cpu = process.cpuUsage(cpuStart);
const round = (x) => Math.round(x);
console.log(
  JSON.stringify({
    scenario,
    envs: 60,
    seconds,
    euclidean: { envStepsPerSecond: round(euclidean.wall), envStepsPerCpuSecond: round(euclidean.cpu) },
    path: { envStepsPerSecond: round(path.wall), envStepsPerCpuSecond: round(path.cpu) },
    cpuRatio: Number((path.cpu / euclidean.cpu).toFixed(3)),
    pathHint: { envStepsPerCpuSecond: round(hinted.cpu), withoutEnvStepsPerCpuSecond: round(plain.cpu), cpuRatio: Number((hinted.cpu / plain.cpu).toFixed(3)) },
    rebuilds: hidden,
    rebuildCpuMs: Number(((cpu.user + cpu.system) / 1000 / hidden).toFixed(3)),
  }),
);
