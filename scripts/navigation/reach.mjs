// How many navigation episodes can be finished within the step limit at all: for each reset of a
// seed list, every robot's shortest path to its goal around the statics (the path-distance field
// of `pos_shaping: "path"`, for the robot's radius), against the distance a lone robot covers from
// rest in the limit when it holds the fastest action (a diagonal) all the way. A reset whose
// slowest robot cannot get within the success radius even so cannot succeed, whatever the policy;
// the share of the others bounds any policy's success rate from above (it ignores the turns a
// path has and the other robots).
// Usage (after npm run build:code): node scripts/navigation/reach.mjs ROOT [SCENARIO=navigation_obstacles] [EPISODES=1000] [LIST=12345]
import { resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const scenario = process.argv[3] ?? 'navigation_obstacles';
const [episodes, list] = [Number(process.argv[4] ?? 1000), Number(process.argv[5] ?? 12345)];
const { createSimulation, resolveScenario } = await import(`${root}/dist/server/scenarios/registry.js`);
const { EnvCore } = await import(`${root}/dist/server/env/env-core.js`);
const { deriveSeed } = await import(`${root}/dist/shared/rng.js`);
const { placedStatics, spawnBoxField } = await import(`${root}/dist/server/robots/path-distance.js`);

const loadedScenario = resolveScenario(scenario);
const { maxSteps } = loadedScenario.file;
const { goal_radius: goalRadius, world_spawning_x: sx, world_spawning_y: sy } = loadedScenario.file.params;

// A lone robot from rest holding action 8 (+x, +y): its distance from the start after each step.
// Run in this scenario's own physics with every static and other robot moved far out of its way.
const free = createSimulation(loadedScenario, {});
const freeCore = new EnvCore(free, {});
freeCore.reset(1);
const fp = free.physics;
for (let e = 0; e < free.bodies.length; e++) {
  fp.posX[e] = 100 + 10 * e;
  fp.posY[e] = 100;
  fp.velX[e] = 0;
  fp.velY[e] = 0;
}
fp.posX[0] = -50;
fp.posY[0] = -50;
fp.syncFromState();
const covered = [0];
for (let t = 1; t <= maxSteps; t++) {
  for (let a = 0; a < free.agentNames.length; a++) freeCore.setAction(a, a === 0 ? 8 : 0, 'lenient');
  freeCore.step();
  covered.push(Math.hypot(fp.posX[0] + 50, fp.posY[0] + 50));
}
const stepsFor = (distance) => {
  const t = covered.findIndex((c) => c >= distance);
  return t < 0 ? Infinity : t;
};

const sim = createSimulation(loadedScenario, {});
const core = new EnvCore(sim, {});
const p = sim.physics;
const names = sim.entities.map((e) => e.name);
const statics = placedStatics(sim.bodies, p);
const fields = sim.robots.map((r) => spawnBoxField(statics, r.spec.radius, sx, sy));
const n = sim.agentNames.length;
let reachable = 0;
let reachableStraight = 0;
const slowest = [];
for (let ep = 0; ep < episodes; ep++) {
  core.reset(deriveSeed(list, ep));
  let worst = 0;
  let worstStraight = 0;
  for (let a = 0; a < n; a++) {
    const g = names.indexOf(`goal_${a}`);
    fields[a].setGoal(p.posX[g], p.posY[g]);
    const path = fields[a].distance(p.posX[a], p.posY[a]);
    const straight = Math.hypot(p.posX[a] - p.posX[g], p.posY[a] - p.posY[g]);
    worst = Math.max(worst, stepsFor(path - goalRadius));
    worstStraight = Math.max(worstStraight, stepsFor(straight - goalRadius));
  }
  slowest.push(worst);
  if (worst <= maxSteps) reachable++;
  if (worstStraight <= maxSteps) reachableStraight++;
}
slowest.sort((x, y) => x - y);
const at = (q) => slowest[Math.min(slowest.length - 1, Math.floor(q * slowest.length))];
console.log(JSON.stringify({
  scenario: loadedScenario.file.name, episodes, list, maxSteps,
  fastestRun: { after25: covered[25], after50: covered[50], afterLimit: covered[maxSteps] },
  reachableAroundStatics: reachable / episodes,
  reachableStraight: reachableStraight / episodes,
  slowestRobotSteps: { median: at(0.5), p90: at(0.9), p99: at(0.99), max: slowest[slowest.length - 1] },
}));
