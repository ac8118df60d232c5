import { Rng } from '../shared/rng.ts';
import { AgentIO } from '../server/env/agent-io.ts';
import { ParallelEnv } from '../server/env/parallel-env.ts';
import { VecEnv } from '../server/env/vec-env.ts';
import { builtinScenarios, createSimulation, resolveScenario } from '../server/scenarios/registry.ts';
import type { Simulation } from '../server/env/simulation.ts';
import { MATTER_REFERENCE_SETTINGS } from '../server/smac/matter-movement.ts';
import type { SmacScenarioFile } from '../server/smac/schema.ts';
import { SmacSimulation } from '../server/smac/smac-simulation.ts';

export type SimFigure = {
  scenario: string;
  physics: string;
  mode: 'scalar' | 'parallelEnv' | 'vectorised';
  /** Wall-clock rate. */
  envStepsPerSecond: number;
  /** Steps per second of this process's CPU time: what a free core does; steadier on a shared machine. */
  envStepsPerCpuSecond: number;
  agents: number;
  /** On rows with a reference: envStepsPerCpuSecond over the reference's, measured in the same run. */
  cpuRatioToReference?: number;
};

/** SMAC's `matter` movement with its earlier settings (4 substeps of 1/64 s, Engine.update): the speed-ups' baseline. */
const SMAC_MATTER_REFERENCE = 'matter-reference';

function simulationMaker(scenario: string, physics: string): () => Simulation {
  if (physics === SMAC_MATTER_REFERENCE) {
    const file = resolveScenario(scenario).file as unknown as SmacScenarioFile;
    return () => new SmacSimulation(file, 'matter', MATTER_REFERENCE_SETTINGS);
  }
  return () => createSimulation(scenario, { physics });
}

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
 * Time two loops in alternating slices of about 250 ms for `seconds` each, so load from other
 * processes falls on both alike: their ratio is steadier than two back-to-back runs.
 */
export function timeInterleaved(seconds: number, a: () => number, b: () => number): [Rate, Rate] {
  const totals = [a, b].map((step) => {
    const warmEnd = performance.now() + Math.min(200, seconds * 250);
    while (performance.now() < warmEnd) step();
    return { step, steps: 0, wall: 0, cpu: 0 };
  });
  const slices = Math.max(1, Math.round(seconds * 4));
  for (let k = 0; k < slices; k++) {
    for (const t of totals) {
      const cpuStart = process.cpuUsage();
      const start = performance.now();
      let now = start;
      while (now < start + 250) {
        for (let i = 0; i < 16; i++) t.steps += t.step();
        now = performance.now();
      }
      const cpu = process.cpuUsage(cpuStart);
      t.wall += (now - start) / 1000;
      t.cpu += (cpu.user + cpu.system) / 1e6;
    }
  }
  const [ra, rb] = totals.map((t) => ({ wall: t.steps / t.wall, cpu: t.steps / t.cpu }));
  return [ra, rb];
}

/**
 * The scalar loop is the server's hot path: one simulation, every agent's observation and mask,
 * the global state, every step. The vectorised loop is the trainer's: VecEnv over 64 envs.
 */
function scalarLoop(make: () => Simulation): () => number {
  const sim = make();
  const io = new AgentIO(sim);
  const rng = new Rng(1);
  const actions = new Int32Array(sim.agentNames.length);
  const rewards = new Float32Array(sim.agentNames.length);
  const obs = io.views.map((v) => new Float32Array(v.size));
  const state = new Float32Array(sim.stateSize);
  sim.reset(rng);
  io.refreshMasks();
  return () => {
    randomActions(io, rng, actions, 0);
    sim.step(actions, rewards);
    if (sim.terminated || sim.t >= sim.maxSteps) sim.reset(rng);
    io.refreshMasks();
    for (let i = 0; i < obs.length; i++) io.writeObservation(i, obs[i], 0);
    sim.writeState(state, 0);
    return 1;
  };
}

function parallelEnvLoop(make: () => Simulation): () => number {
  const env = new ParallelEnv(make(), { actions: 'lenient' });
  const rng = new Rng(2);
  let { observations } = env.reset({ seed: 0 });
  const names = env.possibleAgents;
  const actions: Record<string, number> = {};
  return () => {
    for (const name of names) {
      const mask = observations[name].actionMask;
      let a = Math.floor(rng.uniform() * mask.length);
      while (mask[a] !== 1) a = (a + 1) % mask.length;
      actions[name] = a;
    }
    const step = env.step(actions);
    observations = env.agents.length === 0 ? env.reset().observations : step.observations;
    return 1;
  };
}

function vectorisedLoop(make: () => Simulation, numEnvs = 64): () => number {
  const vec = new VecEnv(make, { numEnvs, seed: 3 });
  vec.reset();
  const rng = new Rng(3);
  const n = vec.numAgents;
  const actions = new Int32Array(numEnvs * n);
  return () => {
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
  };
}

/** `reference`: a second configuration timed in alternating slices with each mode, its ratio printed. */
export const SIM_SCENARIOS: readonly { scenario: string; physics: string; reference?: string }[] = [
  { scenario: 'spread', physics: 'mpe' },
  { scenario: 'spread', physics: 'matter' },
  { scenario: 'speaker_listener', physics: 'mpe' },
  { scenario: '3m', physics: 'matter', reference: SMAC_MATTER_REFERENCE },
  { scenario: '3m', physics: 'kinematic' },
  { scenario: '8m', physics: 'matter', reference: SMAC_MATTER_REFERENCE },
  { scenario: '8m', physics: 'kinematic' },
  { scenario: '3s5z', physics: 'matter', reference: SMAC_MATTER_REFERENCE },
  { scenario: '3s5z', physics: 'kinematic' },
  { scenario: 'MMM', physics: 'matter', reference: SMAC_MATTER_REFERENCE },
  { scenario: 'MMM', physics: 'kinematic' },
  // Every robot world in both of its physics modes.
  ...['navigation', 'navigation_obstacles', 'navigation_diff_drive', 'navigation_64', 'transport', 'passage', 'balance'].flatMap((scenario) =>
    ['vmas', 'matter'].map((physics) => ({ scenario, physics })),
  ),
];

function toFigure(scenario: string, physics: string, mode: SimFigure['mode'], agents: number, rate: Rate): SimFigure {
  return { scenario, physics, mode, envStepsPerSecond: Math.round(rate.wall), envStepsPerCpuSecond: Math.round(rate.cpu), agents };
}

function formatFigure(f: SimFigure): string {
  const count = (v: number): string => v.toLocaleString('en-US').padStart(11);
  return `sim  ${f.scenario.padEnd(17)} ${f.physics.padEnd(16)} ${f.mode.padEnd(12)} ${count(f.envStepsPerSecond)} env steps/s  (${count(f.envStepsPerCpuSecond)} per CPU second)`;
}

export async function benchSim(options: { seconds: number; log: (line: string) => void }): Promise<{ figures: SimFigure[]; missing: string[] }> {
  const figures: SimFigure[] = [];
  const missing: string[] = [];
  const known = builtinScenarios();
  for (const { scenario, physics, reference } of SIM_SCENARIOS) {
    if (!known.has(scenario)) {
      missing.push(scenario);
      continue;
    }
    const make = simulationMaker(scenario, physics);
    const agents = make().agentNames.length;
    for (const [mode, loop, share] of [
      ['scalar', scalarLoop, 1],
      ['parallelEnv', parallelEnvLoop, 1],
      ['vectorised', vectorisedLoop, 1 / 4],
    ] as const) {
      const seconds = options.seconds * share;
      if (!reference) {
        const figure = toFigure(scenario, physics, mode, agents, timeLoop(seconds, loop(make)));
        figures.push(figure);
        options.log(formatFigure(figure));
        continue;
      }
      const [rate, baseRate] = timeInterleaved(seconds, loop(make), loop(simulationMaker(scenario, reference)));
      const figure = toFigure(scenario, physics, mode, agents, rate);
      const baseline = toFigure(scenario, reference, mode, agents, baseRate);
      figure.cpuRatioToReference = Math.round((100 * figure.envStepsPerCpuSecond) / baseline.envStepsPerCpuSecond) / 100;
      figures.push(figure, baseline);
      options.log(formatFigure(figure));
      options.log(`${formatFigure(baseline)}  -> ${physics} ${figure.cpuRatioToReference}x per CPU second`);
    }
  }
  return { figures, missing };
}
