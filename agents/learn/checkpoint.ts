import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { decode, encode } from '../../shared/codec.ts';
import { writeFileAtomic } from '../../shared/atomic-write.ts';
import { POLICY_FORMAT, POLICY_FORMAT_VERSION, checkPolicyFile, type PolicyFile } from '../../shared/model-format.ts';
import { describeZodError } from '../../shared/zod-error.ts';
import { viewSpecSchema } from '../../shared/view-spec.ts';
import { trainConfigSchema, type TrainConfig } from './config.ts';
import { makeGroups, type ActorCritic, type ScenarioShape } from './actor-critic.ts';
import { policyNetFromWeights } from './mlp.ts';
import { recurrentPolicyNetFromWeights } from './recurrent-actor.ts';

export const CHECKPOINT_FORMAT = 'kdmarl-checkpoint';
export const CHECKPOINT_VERSION = 1;
export const CHECKPOINT_FILE = 'checkpoint.ckpt';
export const POLICY_FILE = 'teacher.policy';

const f32 = z.custom<Float32Array>((v) => v instanceof Float32Array, 'expected a Float32Array');
const adamSchema = z.strictObject({ step: z.number().int().nonnegative(), m: z.array(f32), v: z.array(f32) });

export const checkpointSchema = z.strictObject({
  format: z.literal(CHECKPOINT_FORMAT),
  version: z.number().int(),
  scenario: z.string(),
  shape: z.strictObject({
    agentNames: z.array(z.string()),
    observationSizes: z.array(z.number().int().positive()),
    actionCounts: z.array(z.number().int().positive()),
    stateSize: z.number().int().positive(),
  }),
  config: trainConfigSchema,
  /** Net weights by 'actor/<group>' and 'critic', each in Mlp.variables() order (RecurrentActor.variables() for recurrent actors). */
  weights: z.record(z.string(), z.array(f32)),
  /** Adam moments per net (same keys as weights), present when saved with includeOptimizer. */
  optimizer: z.record(z.string(), adamSchema).nullable(),
  valueNorm: z.strictObject({ mean: z.number(), meanSq: z.number(), debias: z.number() }),
  progress: z.strictObject({
    envSteps: z.number().int().nonnegative(),
    updates: z.number().int().nonnegative(),
    wallSeconds: z.number().nonnegative(),
    rng: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  }),
  producedBy: z.string(),
  savedAt: z.string(),
  /** Per-agent views of actors trained on student views (actorViews 'student'); absent: full views. */
  views: z.array(viewSpecSchema).optional(),
});

export type Checkpoint = z.infer<typeof checkpointSchema>;

/** A checkpoint of `net` as it is now, with the training state given. */
export function makeCheckpoint(parts: {
  scenarioName: string;
  shape: ScenarioShape;
  config: TrainConfig;
  net: ActorCritic;
  optimizer: Checkpoint['optimizer'];
  valueNorm: Checkpoint['valueNorm'];
  progress: Checkpoint['progress'];
  producedBy: string;
  /** Per-agent student views of from-scratch actors; absent: full views. */
  views?: Checkpoint['views'];
}): Checkpoint {
  const { shape } = parts;
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    scenario: parts.scenarioName,
    shape: { agentNames: [...shape.agentNames], observationSizes: [...shape.observationSizes], actionCounts: [...shape.actionCounts], stateSize: shape.stateSize },
    config: parts.config,
    weights: parts.net.getWeights(),
    optimizer: parts.optimizer,
    valueNorm: parts.valueNorm,
    progress: parts.progress,
    producedBy: parts.producedBy,
    savedAt: new Date().toISOString(),
    ...(parts.views ? { views: parts.views } : {}),
  };
}

/** Write a checkpoint atomically: a killed save leaves the previous checkpoint in place. */
export function saveCheckpoint(path: string, checkpoint: Checkpoint, options: { includeOptimizer: boolean }): void {
  const data = options.includeOptimizer ? checkpoint : { ...checkpoint, optimizer: null };
  writeFileAtomic(path, encode(data));
}

export function readCheckpoint(path: string): Checkpoint {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new Error(`${path}: cannot read checkpoint (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  return parseCheckpoint(bytes, path);
}

export function parseCheckpoint(bytes: Uint8Array, where: string): Checkpoint {
  let raw: unknown;
  try {
    raw = decode(bytes);
  } catch (error) {
    throw new Error(`${where}: not a kdmarl checkpoint (msgpack decode failed: ${(error as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || (raw as { format?: unknown }).format !== CHECKPOINT_FORMAT) {
    const format = typeof raw === 'object' && raw !== null ? (raw as { format?: unknown }).format : undefined;
    throw new Error(`${where}: not a kdmarl checkpoint (format ${JSON.stringify(format)}, expected '${CHECKPOINT_FORMAT}')`);
  }
  const parsed = checkpointSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${where}: invalid checkpoint: ${describeZodError(parsed.error)}`);
  const ckpt = parsed.data;
  if (ckpt.version !== CHECKPOINT_VERSION) throw new Error(`${where}: checkpoint version ${ckpt.version}, this kdmarl reads ${CHECKPOINT_VERSION}`);
  // Weight shapes are checked when exported / loaded into nets; exporting here catches corrupt sizes early.
  checkpointToPolicyFile(ckpt, where);
  return ckpt;
}

/** Fail clearly when a checkpoint was trained on a scenario of another shape. */
export function checkShapeMatches(ckpt: Checkpoint, shape: ScenarioShape, where: string): void {
  const a = ckpt.shape;
  const same =
    a.stateSize === shape.stateSize &&
    a.agentNames.join(',') === shape.agentNames.join(',') &&
    a.observationSizes.join(',') === shape.observationSizes.join(',') &&
    a.actionCounts.join(',') === shape.actionCounts.join(',');
  if (!same) {
    throw new Error(
      `${where}: checkpoint was trained on scenario '${ckpt.scenario}' (agents ${a.agentNames.join(',')}; obs ${a.observationSizes.join(',')}; actions ${a.actionCounts.join(',')}; state ${a.stateSize}), which does not match this scenario (agents ${shape.agentNames.join(',')}; obs ${shape.observationSizes.join(',')}; actions ${shape.actionCounts.join(',')}; state ${shape.stateSize})`,
    );
  }
}

/** The actors of a checkpoint in the deployed policy format (no tfjs needed). */
export function checkpointToPolicyFile(ckpt: Checkpoint, where = 'checkpoint', producedBy = ckpt.producedBy): PolicyFile {
  // From-scratch students never share actors (each agent its own size), whatever shareActor says.
  const groups = makeGroups(ckpt.shape, ckpt.config.shareActor && ckpt.config.actorViews !== 'student');
  const nets: PolicyFile['nets'] = {};
  const agents: PolicyFile['agents'] = {};
  for (const g of groups) {
    const weights = ckpt.weights[`actor/${g.name}`];
    if (!weights) throw new Error(`${where}: no weights for actor group '${g.name}'`);
    try {
      nets[g.name] = ckpt.config.recurrent
        ? recurrentPolicyNetFromWeights([g.inputSize, ...ckpt.config.actorHidden, g.actionCount], ckpt.config.layerNorm, weights)
        : policyNetFromWeights(layerSizes(weights, ckpt.config.layerNorm, g.inputSize), ckpt.config.layerNorm, weights);
    } catch (error) {
      throw new Error(`${where}: actor '${g.name}': ${(error as Error).message}`);
    }
    g.agents.forEach((a, slot) => {
      agents[ckpt.shape.agentNames[a]] = { net: g.name, view: ckpt.views?.[a] ?? {}, ...(g.idSize > 0 ? { agentId: { index: slot, size: g.idSize } } : {}) };
    });
  }
  const role = ckpt.config.actorViews === 'student' ? 'scratch' : 'teacher';
  const file: PolicyFile = { format: POLICY_FORMAT, version: POLICY_FORMAT_VERSION, scenario: ckpt.scenario, role, producedBy, agents, nets };
  checkPolicyFile(file, where);
  return file;
}

export function writePolicyFile(path: string, file: PolicyFile): void {
  writeFileAtomic(path, encode(file));
}

/**
 * Layer sizes [in, h1, ..., out] of an actor from its weight arrays (LayerNorm gamma and beta first
 * when present, then weight and bias per layer): the biases give every width, so actors of
 * per-agent sizes export without extra bookkeeping.
 */
function layerSizes(weights: readonly Float32Array[], layerNorm: boolean, inputSize: number): number[] {
  const sizes = [inputSize];
  for (let k = layerNorm ? 3 : 1; k < weights.length; k += 2) sizes.push(weights[k].length);
  return sizes;
}
