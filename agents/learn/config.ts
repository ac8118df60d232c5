import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { describeZodError } from '../../shared/zod-error.ts';

/**
 * The one MAPPO training config (CleanRL style: every field documented where it is declared).
 * Resolution order: these defaults, then the scenario's defaults below, then `--config FILE`,
 * then command-line flags. The resolved config is written to `config.json` in the run dir.
 */
export const trainConfigSchema = z.strictObject({
  scenario: z.string().min(1).describe('Scenario name (server/scenarios/data) or path to a scenario .json file.'),
  seed: z.number().int().nonnegative().describe('Seed for network init, env resets and action sampling.'),
  totalSteps: z.number().int().positive().describe('Env steps to train for, summed over all parallel envs.'),
  numEnvs: z.number().int().positive().describe('Parallel envs stepped in-process by the VecEnv (MAPPO: rollout threads).'),
  rolloutLength: z.number().int().positive().describe('Env steps per env per update (MAPPO: episode_length / buffer length).'),
  actorHidden: z.array(z.number().int().positive()).min(1).describe('Actor hidden layer widths (ReLU). docs/method.md §2 default 2 x 256.'),
  criticHidden: z.array(z.number().int().positive()).min(1).describe('Centralized critic hidden layer widths (ReLU).'),
  layerNorm: z.boolean().describe('LayerNorm on the network inputs (MAPPO use_feature_normalization).'),
  lr: z.number().positive().describe('Actor Adam learning rate (MAPPO 5e-4, MPE scripts 7e-4).'),
  criticLr: z.number().positive().describe('Critic Adam learning rate.'),
  adamEps: z.number().positive().describe('Adam epsilon (MAPPO opti_eps 1e-5).'),
  epochs: z.number().int().positive().describe('PPO epochs per update (MAPPO ppo_epoch, 5-15).'),
  minibatches: z.number().int().positive().describe('Minibatches per epoch (MAPPO num_mini_batch, default 1).'),
  gamma: z.number().min(0).max(1).describe('Discount factor.'),
  gaeLambda: z.number().min(0).max(1).describe('GAE lambda.'),
  clip: z.number().positive().describe('PPO ratio clip epsilon (also the value clip range, in normalised units).'),
  entropyCoef: z.number().min(0).describe('Entropy bonus weight.'),
  valueCoef: z.number().min(0).describe('Value loss weight.'),
  huberDelta: z.number().positive().describe('Huber delta of the value loss (MAPPO 10).'),
  valueClip: z.boolean().describe('Clipped value loss (max of clipped and unclipped Huber errors).'),
  valueNorm: z.boolean().describe('Normalise value targets with running mean/std (MAPPO ValueNorm).'),
  maxGradNorm: z.number().positive().describe('Global gradient-norm clip per network.'),
  normalizeAdvantages: z.boolean().describe('Normalise advantages over the live samples of each update.'),
  shareActor: z.boolean().describe('Agents with the same observation size and action count share one actor (with an agent-id one-hot).'),
  // Defaults keep checkpoints written before these two fields existed loadable.
  actorViews: z.enum(['full', 'student']).default('full').describe("'full': actors see the teacher (full) view (MAPPO). 'student': each agent's own actor sees its student view with its student's size from `studentProfile`: the method's (docs/method.md §5) from-scratch baseline."),
  studentProfile: z.string().default('default').describe("Student profile for actorViews 'student': 'default' (agents/distill/profiles/<scenario>.json) or a path."),
  // Defaults again keep older checkpoints' configs parsing.
  recurrent: z.boolean().default(false).describe('GRU actors (MAPPO rMAPPO): ReLU hidden layers, then a GRU at the last hidden width, then the logits head. The critic stays an MLP.'),
  recurrentChunk: z.number().int().positive().default(10).describe('Recurrent training sequence length in steps (MAPPO data_chunk_length); rolloutLength must be a multiple of it.'),
  // Default 'state' keeps older checkpoints' configs parsing and their critics as they were.
  criticInput: z.enum(['state', 'agent_state']).default('state').describe("Critic input. 'state': global state ++ agent one-hot. 'agent_state': MAPPO's agent-specific global state (AS): global state ++ that agent's own full observation (zero-padded to the widest agent's) ++ agent one-hot."),
  // Default 0 keeps older checkpoints' configs parsing.
  freezeActorUpdates: z.number().int().nonnegative().default(0).describe('The first N updates train only the critic (actors frozen): with --init-from an imitation run, the critic learns the clone\'s values before PPO moves the clone.'),
  // Default 0 keeps older checkpoints' configs parsing.
  anchorKl: z.number().min(0).default(0).describe('Weight of KL(anchor || actor) in the actor loss, the anchor being the actor --init-from started from, frozen: PPO fine-tunes an imitation clone where the return says to and keeps its behaviour elsewhere (0 = off).'),
  denseMode: z.enum(['auto', 'custom', 'stock']).describe("Dense gradient: 'custom' (explicit transposes, fast on wasm), 'stock' (tfjs matMul gradient), 'auto' = custom."),
  // Default false keeps older checkpoints' configs parsing.
  lrAnneal: z.boolean().default(false).describe('Anneal both learning rates linearly towards 0 over totalSteps (CleanRL anneal_lr): late updates polish instead of jumping.'),
  // Default 'auto' keeps older checkpoints' configs parsing.
  learner: z.enum(['auto', 'native', 'tfjs']).default('auto').describe("What runs the PPO update: 'native' (hand-written forward and backward over OpenBLAS, agents/learn/fast; feed-forward actors without a KL anchor), 'tfjs' (autodiff on the tfjs backend), 'auto' = native where it is built and supports the config, else tfjs. Checkpoints move between them."),
  backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).describe("tfjs backend: 'auto' tries tfjs-node, then wasm, then cpu."),
  checkpointEvery: z.number().int().positive().describe('Write the checkpoint (atomically) every N updates, and at the end.'),
  evalEvery: z.number().int().nonnegative().describe('Greedy evaluation every N updates (0 = only at the end).'),
  evalEpisodes: z.number().int().positive().describe('Episodes per periodic greedy evaluation (fixed seed list).'),
  logEvery: z.number().int().positive().describe('Write a metrics line every N updates.'),
  // Default 0 keeps older runs (written before this field) single-threaded on --resume.
  workers: z.number().int().nonnegative().default(0).describe("Worker threads beside the learner's: the numEnvs envs are shared among workers + 1 ranks, each collecting its share and computing its gradient, summed every minibatch (same seed and workers: the same run). 0: collect and update in one thread. Default: every core but one (at most numEnvs - 1; 0 for recurrent actors)."),
});

export type TrainConfig = z.infer<typeof trainConfigSchema>;

export const DEFAULT_CONFIG: Omit<TrainConfig, 'scenario'> = {
  seed: 1,
  totalSteps: 2_000_000,
  numEnvs: 32,
  rolloutLength: 100,
  actorHidden: [256, 256],
  criticHidden: [256, 256],
  layerNorm: true,
  lr: 5e-4,
  criticLr: 5e-4,
  adamEps: 1e-5,
  epochs: 10,
  minibatches: 1,
  gamma: 0.99,
  gaeLambda: 0.95,
  clip: 0.2,
  entropyCoef: 0.01,
  valueCoef: 1,
  huberDelta: 10,
  valueClip: true,
  valueNorm: true,
  maxGradNorm: 10,
  normalizeAdvantages: true,
  shareActor: true,
  actorViews: 'full',
  studentProfile: 'default',
  recurrent: false,
  recurrentChunk: 10,
  criticInput: 'state',
  freezeActorUpdates: 0,
  anchorKl: 0,
  denseMode: 'auto',
  lrAnneal: false,
  learner: 'auto',
  backend: 'auto',
  checkpointEvery: 10,
  evalEvery: 20,
  evalEpisodes: 32,
  logEvery: 1,
  workers: 0,
};

/** Every core but one: the learner's thread is rank 0, the others are worker threads. */
export function defaultWorkers(): number {
  return Math.max(0, availableParallelism() - 1);
}

/**
 * Per-scenario defaults. 2 x 256 is the method's (docs/method.md §2) teacher, but on one wasm core it trains 3x slower
 * than 2 x 128 and 6x slower than 2 x 64 (spread, end to end: 1.7k / 5.2k / 10.7k agent-samples/s),
 * too slow for hour-scale runs here. MPE teachers and 3m default to 2 x 128; the bigger SMAC maps
 * (8-10 agents, 80-160 observation values, where the PPO update dominates) to MAPPO's own width,
 * 2 x 64. Raise them with --config where time allows.
 */
export const SCENARIO_DEFAULTS: Record<string, Partial<TrainConfig>> = {
  spread: { lr: 7e-4, criticLr: 7e-4, rolloutLength: 25, numEnvs: 64, epochs: 10, actorHidden: [128, 128], criticHidden: [128, 128], totalSteps: 3_000_000 },
  speaker_listener: { lr: 7e-4, criticLr: 7e-4, rolloutLength: 25, numEnvs: 64, epochs: 15, actorHidden: [128, 128], criticHidden: [128, 128], totalSteps: 1_000_000 },
  reference: { lr: 7e-4, criticLr: 7e-4, rolloutLength: 25, numEnvs: 64, epochs: 15, actorHidden: [128, 128], criticHidden: [128, 128], totalSteps: 2_000_000 },
  tag: { lr: 7e-4, criticLr: 7e-4, rolloutLength: 25, numEnvs: 64, epochs: 10, actorHidden: [128, 128], criticHidden: [128, 128], totalSteps: 2_000_000 },
  '3m': { rolloutLength: 100, numEnvs: 16, epochs: 10, actorHidden: [128, 128], criticHidden: [128, 128], totalSteps: 600_000, evalEvery: 10 },
  '8m': { rolloutLength: 100, numEnvs: 16, epochs: 10, actorHidden: [64, 64], criticHidden: [64, 64], totalSteps: 400_000, evalEvery: 10 },
  '2s3z': { rolloutLength: 100, numEnvs: 16, epochs: 10, actorHidden: [64, 64], criticHidden: [64, 64], totalSteps: 600_000, evalEvery: 10 },
  '3s5z': { rolloutLength: 100, numEnvs: 16, epochs: 5, actorHidden: [128, 128], criticHidden: [128, 128], totalSteps: 2_000_000 },
  MMM: { rolloutLength: 100, numEnvs: 16, epochs: 10, actorHidden: [64, 64], criticHidden: [64, 64], totalSteps: 600_000, evalEvery: 10 },
};

/** Read and validate a JSON config file: a partial config; unknown fields are errors. */
export function readConfigFile(path: string): Partial<TrainConfig> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`${path}: cannot read config (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not valid JSON (${(error as Error).message})`);
  }
  return parsePartialConfig(json, path);
}

export function parsePartialConfig(json: unknown, where: string): Partial<TrainConfig> {
  const parsed = trainConfigSchema.partial().safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (issue.code === 'unrecognized_keys') {
      throw new Error(`${where}: ${issue.keys.join(', ')}: unknown config field (known fields: ${Object.keys(trainConfigSchema.shape).join(', ')}; see kdmarl train --help-config)`);
    }
    throw new Error(`${where}: ${describeZodError(parsed.error)}`);
  }
  // A partial config holds what it says: the defaults that keep old checkpoints parsing are not its values.
  const given = parsed.data as Record<string, unknown>;
  for (const key of Object.keys(given)) if (!(key in (json as object))) delete given[key];
  return parsed.data;
}

/** defaults <- scenario defaults <- file <- flags; the result is validated whole. */
export function resolveConfig(scenario: string, file: Partial<TrainConfig> = {}, flags: Partial<TrainConfig> = {}): TrainConfig {
  const scenarioName = scenario.replace(/^.*\//, '').replace(/\.json$/, '');
  const merged = { ...DEFAULT_CONFIG, ...(SCENARIO_DEFAULTS[scenarioName] ?? {}), ...file, ...flags, scenario };
  // Resolved to a number here so that config.json records it and a resume keeps it.
  merged.workers = flags.workers ?? file.workers ?? (merged.recurrent ? 0 : Math.min(defaultWorkers(), Math.max(0, merged.numEnvs - 1)));
  const parsed = trainConfigSchema.safeParse(merged);
  if (!parsed.success) throw new Error(`config: ${describeZodError(parsed.error)}`);
  checkConfig(parsed.data, 'config');
  return parsed.data;
}

/** Constraints between fields, which the field schemas cannot say. */
export function checkConfig(config: TrainConfig, where: string): void {
  if (config.workers > 0 && config.numEnvs < config.workers + 1) {
    throw new Error(`${where}: numEnvs ${config.numEnvs} is less than the ${config.workers + 1} ranks of workers ${config.workers} (every rank steps at least one env): raise numEnvs (--envs) to ${config.workers + 1} or more, or lower --workers to ${config.numEnvs - 1} or less`);
  }
  if (!config.recurrent) return;
  if (config.workers > 0) throw new Error(`${where}: workers ${config.workers} with recurrent actors: worker threads collect with feed-forward actors only (set workers 0)`);
  if (config.anchorKl > 0) throw new Error(`${where}: anchorKl is not supported with recurrent actors (the anchor's probabilities are computed per step, without the GRU's sequences)`);
  if (config.rolloutLength % config.recurrentChunk !== 0) {
    throw new Error(`${where}: rolloutLength ${config.rolloutLength} is not a multiple of recurrentChunk ${config.recurrentChunk} (recurrent training cuts each env's rollout into whole chunks; e.g. set recurrentChunk to a divisor of ${config.rolloutLength})`);
  }
  if (config.actorViews === 'student') {
    throw new Error(`${where}: recurrent is not supported with actorViews 'student' (the from-scratch students are MLPs of their students' sizes)`);
  }
}

/** One line per field: name, type and doc (for `kdmarl train --help-config`). */
export function describeConfig(): string {
  return Object.entries(trainConfigSchema.shape)
    .map(([key, schema]) => `  ${key.padEnd(20)} ${(schema as z.ZodType).description ?? ''}`)
    .join('\n');
}
