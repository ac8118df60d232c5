/**
 * `npm run bench [-- --json] [-- --only sim,physics,net,train,learner,deploy] [-- --seconds S]`: speed figures and ratios
 * (`train` includes `learner`, the PPO update alone against PyTorch; `learner` runs it alone;
 * `deploy` times one decision of each shipped student in the C export, the typed-array runtime and
 * onnxruntime, and the Python agent's round trip beside the Node agent's; `physics` times the robot
 * worlds' lidar and one step of each physics mode without a scenario).
 * A benchmark, not a test: it prints what it measures and asserts nothing. Single core per loop;
 * the figures are noisy (10-20% run to run on these machines), compare ratios.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { benchSim } from './sim.ts';

/** The Python MPE reference (simple_spread, 3 agents, numpy) on these machines: PERF-NOTES.md. */
const PYTHON_MPE_STEPS_PER_SECOND = 7000;

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    only: { type: 'string', default: 'sim,physics,net,train,deploy' },
    seconds: { type: 'string', default: '1' },
  },
});
const only = new Set(String(values.only).split(','));
const seconds = Number(values.seconds);
if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--seconds: expected a positive number, got ${values.seconds}`);
const log = values.json ? (line: string) => process.stderr.write(line + '\n') : (line: string) => console.log(line);

const result: Record<string, unknown> = { machine: { cpus: (await import('node:os')).cpus().length, node: process.version } };

if (only.has('sim')) {
  const sim = await benchSim({ seconds, log });
  const spread = sim.figures.find((f) => f.scenario === 'spread' && f.physics === 'mpe' && f.mode === 'scalar');
  if (spread) log(`sim  spread (mpe) vs Python MPE reference (~${PYTHON_MPE_STEPS_PER_SECOND}/s): ${(spread.envStepsPerSecond / PYTHON_MPE_STEPS_PER_SECOND).toFixed(1)}x wall, ${(spread.envStepsPerCpuSecond / PYTHON_MPE_STEPS_PER_SECOND).toFixed(1)}x per CPU second`);
  if (sim.missing.length) log(`sim  not available yet: ${sim.missing.join(', ')}`);
  result.sim = sim.figures;
}

/** Other rooms' benchmarks live beside their code; each exports one function. */
async function optional(name: string, file: string, fn: string): Promise<void> {
  if (!only.has(name)) return;
  const url = new URL(file, import.meta.url);
  if (!existsSync(url)) {
    log(`${name}: benchmark not present (${file})`);
    return;
  }
  const module = (await import(url.href)) as Record<string, (o: unknown) => Promise<unknown>>;
  result[name] = await module[fn]({ seconds, log });
}
await optional('physics', './robot-physics.js', 'benchRobotPhysics');
await optional('net', './net.js', 'benchNet');
await optional('train', './train.js', 'benchTrain');
await optional('learner', './train.js', 'benchLearner');
await optional('deploy', './deploy.js', 'benchDeploy');

if (values.json) console.log(JSON.stringify(result));
