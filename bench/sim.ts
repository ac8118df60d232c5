import { Rng } from '../shared/rng.ts';
import { AgentIO } from '../server/env/agent-io.ts';
import { ParallelEnv } from '../server/env/parallel-env.ts';
import { VecEnv } from '../server/env/vec-env.ts';
import { builtinScenarios, createSimulation } from '../server/scenarios/registry.ts';
import type { Simulation } from '../server/env/simulation.ts';

export type SimFigure = {
  scenario: string;
  physics: string;
  mode: 'scalar' | 'parallelEnv' | 'vectorised';
  /** Wall-clock rate. */
  envStepsPerSecond: number;
  /** Steps per second of this process's CPU time: what a free core does; steadier on a shared machine. */
  envStepsPerCpuSecond: number;
  agents: number;
};

export type Rate = { wall: number; cpu: number };

/** Pick a uniformly random allowed action per agent from the masks (allocation-free). */
function randomActions(io: AgentIO, rng: Rng, out: Int32Array, offset: number): void {
  const counts = io.sim.actionCounts;
  for (let i = 0; i < counts.length; i++) {
    const base = io.maskOffsets[i];
    let allowed = 0;
    for (let a = 0; a < counts[i]; a++) allowed += io.masks[base + a];
    let k = Math.floor(rng.uniform() * allowed);
    let chosen = 0;
    for (let a = 0; a < counts[i]; a++) {
      if (io.masks[base + a] === 1 && k-- === 0) {
        chosen = a;
        break;
      }
    }
    out[offset + i] = chosen;
  }
}

/** Run `step` repeatedly for about `seconds`, return steps per wall second and per CPU second. */
export function timeLoop(seconds: number, step: () => number): Rate {
  // warm-up so the JIT has compiled the hot path
  const warmEnd = performance.now() + Math.min(200, seconds * 250);
  while (performance.now() < warmEnd) step();
  let steps = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let k = 0; k < 64; k++) steps += step();
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpuStart);
  return { wall: steps / ((now - start) / 1000), cpu: steps / ((cpu.user + cpu.system) / 1e6) };
}

/**
 * The scalar loop is the server's hot path: one simulation, every agent's observation and mask,
 * the global state, every step. The vectorised loop is the trainer's: VecEnv over 64 envs.
 */
function benchScalar(make: () => Simulation, seconds: number): Rate {
  const sim = make();
  const io = new AgentIO(sim);
  const rng = new Rng(1);
  const actions = new Int32Array(sim.agentNames.length);
  const rewards = new Float32Array(sim.agentNames.length);
  const obs = io.views.map((v) => new Float32Array(v.size));
  const state = new Float32Array(sim.stateSize);
  sim.reset(rng);
  io.refreshMasks();
  return timeLoop(seconds, () => {
    randomActions(io, rng, actions, 0);
    sim.step(actions, rewards);
    if (sim.terminated || sim.t >= sim.maxSteps) sim.reset(rng);
    io.refreshMasks();
    for (let i = 0; i < obs.length; i++) io.writeObservation(i, obs[i], 0);
    sim.writeState(state, 0);
    return 1;
  });
}

function benchParallelEnv(make: () => Simulation, seconds: number): Rate {
  const env = new ParallelEnv(make(), { actions: 'lenient' });
  const rng = new Rng(2);
  let { observations } = env.reset({ seed: 0 });
  const names = env.possibleAgents;
  const actions: Record<string, number> = {};
  return timeLoop(seconds, () => {
    for (const name of names) {
      const mask = observations[name].actionMask;
      let a = Math.floor(rng.uniform() * mask.length);
      while (mask[a] !== 1) a = (a + 1) % mask.length;
      actions[name] = a;
    }
    const step = env.step(actions);
    observations = env.agents.length === 0 ? env.reset().observations : step.observations;
    return 1;
  });
}

function benchVectorised(make: () => Simulation, seconds: number, numEnvs = 64): Rate {
  const vec = new VecEnv(make, { numEnvs, seed: 3 });
  vec.reset();
  const rng = new Rng(3);
  const n = vec.numAgents;
  const actions = new Int32Array(numEnvs * n);
  return timeLoop(seconds / 4, () => {
    for (let e = 0; e < numEnvs; e++) {
      for (let a = 0; a < n; a++) {
        const count = vec.actionCounts[a];
        const mask = vec.masks[a];
        let k = Math.floor(rng.uniform() * count);
        while (mask[e * count + k] !== 1) k = (k + 1) % count;
        actions[e * n + a] = k;
      }
    }
    vec.step(actions);
    return numEnvs;
  });
}

export const SIM_SCENARIOS: readonly { scenario: string; physics: string }[] = [
  { scenario: 'spread', physics: 'mpe' },
  { scenario: 'spread', physics: 'matter' },
  { scenario: 'speaker_listener', physics: 'mpe' },
  { scenario: '3m', physics: 'matter' },
  { scenario: '3m', physics: 'kinematic' },
  { scenario: '8m', physics: 'matter' },
  { scenario: '8m', physics: 'kinematic' },
  { scenario: '3s5z', physics: 'matter' },
  { scenario: '3s5z', physics: 'kinematic' },
  { scenario: 'MMM', physics: 'matter' },
  { scenario: 'MMM', physics: 'kinematic' },
  // Every robot world in both of its physics modes.
  ...['navigation', 'navigation_obstacles', 'navigation_diff_drive', 'navigation_64', 'transport', 'passage', 'balance'].flatMap((scenario) =>
    ['vmas', 'matter'].map((physics) => ({ scenario, physics })),
  ),
];

export async function benchSim(options: { seconds: number; log: (line: string) => void }): Promise<{ figures: SimFigure[]; missing: string[] }> {
  const figures: SimFigure[] = [];
  const missing: string[] = [];
  const known = builtinScenarios();
  for (const { scenario, physics } of SIM_SCENARIOS) {
    if (!known.has(scenario)) {
      missing.push(scenario);
      continue;
    }
    const make = () => createSimulation(scenario, { physics });
    const agents = make().agentNames.length;
    for (const [mode, run] of [
      ['scalar', benchScalar],
      ['parallelEnv', benchParallelEnv],
      ['vectorised', benchVectorised],
    ] as const) {
      const rate = run(make, options.seconds);
      const envStepsPerSecond = Math.round(rate.wall);
      const envStepsPerCpuSecond = Math.round(rate.cpu);
      figures.push({ scenario, physics, mode, envStepsPerSecond, envStepsPerCpuSecond, agents });
      options.log(
        `sim  ${scenario.padEnd(17)} ${physics.padEnd(9)} ${mode.padEnd(12)} ${envStepsPerSecond.toLocaleString('en-US').padStart(11)} env steps/s  (${envStepsPerCpuSecond.toLocaleString('en-US').padStart(11)} per CPU second)`,
      );
    }
  }
  return { figures, missing };
}
