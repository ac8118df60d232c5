/**
 * Steps/s of the SMAC scenarios per physics mode, single core, in process, random valid actions,
 * with every agent's observation, mask and the state each step (the bench/sim.ts scalar loop).
 * Run: npx tsc ... && node (see the report) or through vitest-free node after a build.
 */
import { Rng } from '../../shared/rng.ts';
import { AgentIO } from '../../server/env/agent-io.ts';
import { createSimulation } from '../../server/scenarios/registry.ts';

function measure(name: string, physics: string, seconds: number): number {
  const sim = createSimulation(name, { physics });
  const io = new AgentIO(sim);
  const rng = new Rng(1);
  const actions = new Int32Array(sim.agentNames.length);
  const rewards = new Float32Array(sim.agentNames.length);
  const obs = io.views.map((v) => new Float32Array(v.size));
  const state = new Float32Array(sim.stateSize);
  sim.reset(rng);
  io.refreshMasks();
  const step = (): void => {
    for (let i = 0; i < actions.length; i++) {
      const base = io.maskOffsets[i];
      const count = sim.actionCounts[i];
      let allowed = 0;
      for (let a = 0; a < count; a++) allowed += io.masks[base + a];
      let k = Math.floor(rng.uniform() * allowed);
      for (let a = 0; a < count; a++) {
        if (io.masks[base + a] === 1 && k-- === 0) {
          actions[i] = a;
          break;
        }
      }
    }
    sim.step(actions, rewards);
    if (sim.terminated || sim.t >= sim.maxSteps) sim.reset(rng);
    io.refreshMasks();
    for (let i = 0; i < obs.length; i++) io.writeObservation(i, obs[i], 0);
    sim.writeState(state, 0);
  };
  const warm = performance.now() + 300;
  while (performance.now() < warm) step();
  let steps = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let k = 0; k < 32; k++) step();
    steps += 32;
    now = performance.now();
  }
  return steps / ((now - start) / 1000);
}

const maps = process.argv[2] ? process.argv[2].split(',') : ['3m', '8m', '2s3z', '3s5z', 'MMM', '5m_vs_6m', '3s_vs_5z'];
const modes = process.argv[3] ? process.argv[3].split(',') : ['matter', 'kinematic'];
const seconds = Number(process.argv[4] ?? 2);
for (const map of maps) {
  for (const mode of modes) console.log(`${map.padEnd(9)} ${mode.padEnd(9)} ${Math.round(measure(map, mode, seconds))} steps/s`);
}
