import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { common, defineCommand, intArg, str } from '../../shared/cli-args.ts';
import { Rng, deriveSeed } from '../../shared/rng.ts';
import { describeZodError } from '../../shared/zod-error.ts';
import { randomAllowedAction } from '../../shared/random-action.ts';
import { ParallelEnv } from '../env/parallel-env.ts';
import { createSimulation, resolveScenario, type LoadedScenario } from '../scenarios/registry.ts';
import type { Simulation } from '../env/simulation.ts';

const pair = z.tuple([z.number(), z.number()]);
const initSchema = z.strictObject({
  entities: z
    .record(z.string(), z.strictObject({ pos: pair.optional(), vel: pair.optional(), rot: z.number().optional(), ang_vel: z.number().optional() }))
    .optional(),
  goals: z.record(z.string(), z.string()).optional(),
  /** Scenario parameters under the reference implementation's names (VMAS kwargs for robot worlds). */
  scenario_kwargs: z.record(z.string(), z.unknown()).optional(),
});
const actionsSchema = z.array(z.record(z.string(), z.number().int()));

const command = defineCommand('rollout', {
  scenario: common.requiredScenario(),
  physics: str("physics mode, one of the scenario's ('kdmarl scenarios' lists them)", z.string().optional(), { defaultLabel: "the scenario's" }),
  seed: common.seed(0, 'reset seed'),
  init: str(
    'JSON file {"entities": {name: {"pos": [x, y], "vel": [vx, vy], "rot": a, "ang_vel": w}}, "goals": {agent: landmark}, "scenario_kwargs": {...}}',
    z.string().optional(),
  ),
  actions: str('JSON file [{agent: action index}, ...], one object per step; random actions when absent', z.string().optional()),
  steps: str('number of steps', intArg().positive().optional(), { defaultLabel: 'all given actions, else the episode length' }),
  json: common.json('print one JSON object {"steps": [...]} (the only output format)'),
});

function readJson<T>(path: string, schema: z.ZodType<T>, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    // JSON.parse quotes the text around the fault, newlines included: the refusal stays one line.
    throw new Error(`${what} ${path}: ${(error as Error).message.replace(/\s+/g, ' ').trim()}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new Error(`${what} ${path}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

function entityVectors(sim: Simulation, values: Float32Array): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  sim.entities.forEach((e, i) => {
    out[e.name] = [values[2 * i], values[2 * i + 1]];
  });
  return out;
}

/** Positions and velocities per entity, and where bodies turn (robot worlds) their angles and angular velocities. */
function entityState(sim: Simulation): Record<string, Record<string, number | [number, number]>> {
  const state: Record<string, Record<string, number | [number, number]>> = {
    positions: entityVectors(sim, sim.positions),
    velocities: entityVectors(sim, sim.velocities),
  };
  if (sim.rotations) state.rotations = entityScalars(sim, sim.rotations);
  if (sim.angularVelocities) state.angular_velocities = entityScalars(sim, sim.angularVelocities);
  return state;
}

function entityScalars(sim: Simulation, values: Float32Array): Record<string, number> {
  return Object.fromEntries(sim.entities.map((e, i) => [e.name, values[i]]));
}

/** The scenario with the init file's `scenario_kwargs` applied, for families that take them. */
function withKwargs(loaded: LoadedScenario, kwargs: Record<string, unknown> | undefined, initPath: string): LoadedScenario {
  if (!kwargs || Object.keys(kwargs).length === 0) return loaded;
  if (!loaded.family.applyKwargs) throw new Error(`init file ${initPath}: scenario_kwargs: the ${loaded.family.name} family takes none`);
  try {
    return { ...loaded, file: loaded.family.applyKwargs(loaded.file, kwargs) };
  } catch (error) {
    throw new Error(`init file ${initPath}: ${(error as Error).message}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  const init = args.init ? readJson(args.init, initSchema, 'init file') : undefined;
  const loaded = withKwargs(resolveScenario(args.scenario), init?.scenario_kwargs, args.init ?? '');
  const sim = createSimulation(loaded, { physics: args.physics });
  const env = new ParallelEnv(sim, { actions: 'strict' });
  const actions = args.actions ? readJson(args.actions, actionsSchema, 'actions file') : undefined;

  let { observations } = env.reset({ seed: args.seed });
  if (init) {
    try {
      sim.setInitialState(init);
    } catch (error) {
      throw new Error(`init file ${args.init}: ${(error as Error).message}`);
    }
    env.io.refreshMasks();
    observations = Object.fromEntries(
      env.possibleAgents.map((name, i) => {
        const observation = new Float32Array(env.io.views[i].size);
        env.io.writeObservation(i, observation, 0);
        return [name, { observation, actionMask: observations[name].actionMask }];
      }),
    );
  }
  const total = args.steps ?? actions?.length ?? sim.maxSteps;
  if (actions && total > actions.length) throw new Error(`--steps ${total} but the actions file has only ${actions.length} steps`);
  const rng = new Rng(deriveSeed(args.seed, 0x51ab));
  const toLists = (obs: typeof observations) => Object.fromEntries(Object.entries(obs).map(([k, v]) => [k, Array.from(v.observation)]));
  const result = {
    scenario: loaded.file.name,
    physics: args.physics ?? loaded.file.physics,
    seed: args.seed,
    initial: { observations: toLists(observations), ...entityState(sim) },
    steps: [] as unknown[],
  };
  for (let t = 0; t < total; t++) {
    let stepActions: Record<string, number>;
    if (actions) {
      stepActions = actions[t];
      for (const name of Object.keys(stepActions)) {
        if (!env.possibleAgents.includes(name)) throw new Error(`actions file step ${t}: unknown agent '${name}' (agents: ${env.possibleAgents.join(', ')})`);
      }
    } else {
      stepActions = Object.fromEntries(
        env.possibleAgents.map((name) => [name, randomAllowedAction(observations[name].actionMask, rng.uniform())]),
      );
    }
    let step;
    try {
      step = env.step(stepActions);
    } catch (error) {
      throw new Error(`step ${t}: ${(error as Error).message}`);
    }
    observations = step.observations;
    result.steps.push({
      observations: toLists(step.observations),
      rewards: step.rewards,
      terminations: step.terminations,
      truncations: step.truncations,
      ...entityState(sim),
    });
    if (env.agents.length === 0) break;
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  return 0;
}
