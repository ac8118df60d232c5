/**
 * Steps/s of the SMAC scenarios per physics mode, single core, in process, random valid actions,
 * with every agent's observation, mask and the state each step (the bench/sim.ts scalar loop).
 * Not a test (no .test.ts) and not in the build: compile it with tsc (a tsconfig extending ours
 * with `files: [this file]`, emitting under the repo root so fromRoot() finds the scenario files)
 * and run `node <out>/test/smac/bench-smac.js [maps,..] [matter,kinematic] [seconds]`.
 */
import { Rng } from '../../shared/rng.ts';
import { AgentIO } from '../../server/env/agent-io.ts';
import { createSimulation } from '../../server/scenarios/registry.ts';

/** Steps per wall-clock second and per CPU second (the latter is what a free core would do; the machine is shared). */
function measure(name: string, physics: string, seconds: number): { wall: number; cpu: number } {
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
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let k = 0; k < 32; k++) step();
    steps += 32;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpuStart);
  return { wall: steps / ((now - start) / 1000), cpu: steps / ((cpu.user + cpu.system) / 1e6) };
}

const maps = process.argv[2] ? process.argv[2].split(',') : ['3m', '8m', '2s3z', '3s5z', 'MMM', '5m_vs_6m', '3s_vs_5z'];
const modes = process.argv[3] ? process.argv[3].split(',') : ['matter', 'kinematic'];
const seconds = Number(process.argv[4] ?? 2);
for (const map of maps) {
  for (const mode of modes) {
    const { wall, cpu } = measure(map, mode, seconds);
    console.log(`${map.padEnd(9)} ${mode.padEnd(9)} ${Math.round(wall)} steps/s wall, ${Math.round(cpu)} per CPU second`);
  }
}
