import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { describeZodError } from '../../shared/zod-error.ts';

/**
 * The distillation config (stage 2 of docs/method.md §3), one documented field per knob. Resolution:
 * defaults, then `--config FILE`, then flags. The loss weights keep the method's (docs/method.md §3.2) names so results
 * stay comparable; the ablations of `kdmarl report` are presets over these fields.
 */
export const distillConfigSchema = z.strictObject({
  scenario: z.string().min(1).describe('Scenario name or path; must be the teacher\'s scenario.'),
  seed: z.number().int().nonnegative().describe('Seed for student init, env resets and action sampling.'),
  totalSteps: z.number().int().positive().describe('Env steps of student rollouts, summed over all envs.'),
  numEnvs: z.number().int().positive().describe('Parallel envs in the in-process VecEnv.'),
  rolloutLength: z.number().int().positive().describe('Env steps per env per update.'),
  greedyEnvs: z
    .number()
    .int()
    .nonnegative()
    // Runs and checkpoints from before the field collected by sampling alone.
    .default(0)
    .describe('Envs (of numEnvs) where the students act greedily while collecting, as they do when deployed, so the teacher labels the states greedy students reach; L_PG skips their rows, in its mean and in its advantage normalisation (their actions were not sampled).'),
  epochs: z.number().int().positive().describe('Passes over each rollout.'),
  minibatches: z.number().int().positive().describe('Minibatches per epoch (split over time steps, so all agents of a step stay together for L_SR).'),
  lr: z.number().positive().describe('Adam learning rate of the students and their training-only heads.'),
  lrAnneal: z.boolean().describe('Anneal the learning rate linearly towards 0 over totalSteps (CleanRL anneal_lr); ignored by online distillation, which has no end.'),
  adamEps: z.number().positive().describe('Adam epsilon.'),
  maxGradNorm: z.number().positive().describe('Global gradient-norm clip.'),
  gamma: z.number().min(0).max(1).describe('Discount of teacher-guided GAE.'),
  gaeLambda: z.number().min(0).max(1).describe('Lambda of teacher-guided GAE.'),
  clip: z.number().positive().describe('PPO ratio clip epsilon of L_PG.'),
  teacherGae: z.boolean().describe('Use L_PG with advantages from the frozen teacher critic (off: pure imitation).'),
  wPg: z.number().min(0).describe('Weight of L_PG (teacher-guided policy gradient).'),
  wKl: z.number().min(0).describe('Weight of L_KL = tau^2 KL(softmax(z_T/tau) || softmax(z_S/tau)).'),
  wCe: z.number().min(0).describe('Weight of L_CE = -log pi_S(argmax pi_T).'),
  wSr: z.number().min(0).describe('Weight of L_SR, the structural relation loss.'),
  wRa: z.number().min(0).describe('Weight of L_RA, the role alignment loss.'),
  wEnt: z.number().min(0).describe('Weight of the student entropy bonus.'),
  tau: z.number().positive().describe('Distillation temperature of L_KL.'),
  srEmbedding: z.enum(['projection', 'actions']).describe("L_SR embeddings: students' last hidden layer through a training-only projection, or action distributions."),
  projectionWidth: z.number().int().positive().describe('Common width of the training-only projection heads.'),
  huberDelta: z.number().positive().describe('Huber delta of L_SR.'),
  roles: z.enum(['kmeans', 'type']).describe("Role source: k-means over teacher hidden states, or the unit type."),
  numRoles: z.number().int().min(2).describe('k of the k-means roles.'),
  layerNorm: z.boolean().describe('Input LayerNorm in the students (counted in their FLOPs).'),
  backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).describe("tfjs backend: 'auto' tries tfjs-node, then wasm, then cpu."),
  checkpointEvery: z.number().int().positive().describe('Write the checkpoint (atomically) every N updates, and at the end.'),
  evalEvery: z.number().int().nonnegative().describe('Greedy evaluation of the exported students every N updates (0 = only at the end).'),
  evalEpisodes: z.number().int().positive().describe('Episodes per evaluation (fixed seed list).'),
});

export type DistillConfig = z.infer<typeof distillConfigSchema>;

export const DEFAULT_DISTILL_CONFIG: Omit<DistillConfig, 'scenario'> = {
  seed: 1,
  totalSteps: 500_000,
  numEnvs: 32,
  rolloutLength: 50,
  greedyEnvs: 0,
  epochs: 5,
  minibatches: 1,
  lr: 1e-3,
  lrAnneal: false,
  adamEps: 1e-5,
  maxGradNorm: 10,
  gamma: 0.99,
  gaeLambda: 0.95,
  clip: 0.2,
  teacherGae: true,
  wPg: 1,
  wKl: 1,
  wCe: 0.5,
  wSr: 0.1,
  wRa: 0.1,
  wEnt: 0.01,
  tau: 1.5,
  srEmbedding: 'projection',
  projectionWidth: 32,
  huberDelta: 1,
  roles: 'kmeans',
  numRoles: 3,
  layerNorm: true,
  backend: 'auto',
  checkpointEvery: 10,
  evalEvery: 20,
  evalEpisodes: 32,
};

/** Presets for the baselines and ablations of docs/method.md §5 (used by `kdmarl report` and `--variant`). */
export const DISTILL_VARIANTS = {
  full: {},
  kl: { teacherGae: false, wPg: 0, wCe: 0, wSr: 0, wRa: 0 },
  kl_ce: { teacherGae: false, wPg: 0, wSr: 0, wRa: 0 },
  no_sr: { wSr: 0 },
  no_ra: { wRa: 0 },
  no_struct: { wSr: 0, wRa: 0 },
  no_tgae: { teacherGae: false, wPg: 0 },
} as const satisfies Record<string, Partial<DistillConfig>>;
export type DistillVariant = keyof typeof DISTILL_VARIANTS;

/**
 * A variant's config: defaults, then the config file, then the variant, then flags. The variant
 * comes after the file so that a file raising a weight (e.g. `wCe`) does not bring back into an
 * ablation the term the variant switches off.
 */
export function resolveVariantConfig(scenario: string, variant: DistillVariant, file: Partial<DistillConfig>, flags: Partial<DistillConfig>): DistillConfig {
  return resolveDistillConfig(scenario, file, DISTILL_VARIANTS[variant], flags);
}

export function readDistillConfigFile(path: string): Partial<DistillConfig> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: cannot read config (${(error as Error).message})`);
  }
  const parsed = distillConfigSchema.partial().safeParse(json);
  if (!parsed.success) throw new Error(`${path}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

export function resolveDistillConfig(scenario: string, ...layers: Partial<DistillConfig>[]): DistillConfig {
  const merged = Object.assign({}, DEFAULT_DISTILL_CONFIG, ...layers, { scenario });
  const parsed = distillConfigSchema.safeParse(merged);
  if (!parsed.success) throw new Error(`config: ${describeZodError(parsed.error)}`);
  if (parsed.data.greedyEnvs > parsed.data.numEnvs) throw new Error(`config: greedyEnvs: ${parsed.data.greedyEnvs} greedy envs but only ${parsed.data.numEnvs} envs (numEnvs)`);
  return parsed.data;
}

/** Every config field with its doc and default, for `kdmarl distill --help-config`. */
export function describeDistillConfig(): string {
  return Object.entries(distillConfigSchema.shape)
    .map(([key, schema]) => {
      const fallback = (DEFAULT_DISTILL_CONFIG as Record<string, unknown>)[key];
      return `  ${key.padEnd(20)} ${(schema as z.ZodType).description ?? ''}${fallback === undefined ? '' : ` (default ${JSON.stringify(fallback)})`}`;
    })
    .join('\n');
}
