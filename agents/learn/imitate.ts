import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { Rng, deriveSeed } from '../../shared/rng.ts';
import { createSimulation, resolveScenario, scenarioHasWins } from '../../server/scenarios/registry.ts';
import { initBackend, type BackendName } from './backend.ts';
import { checkConfig, type TrainConfig } from './config.ts';
import { ActorCritic } from './actor-critic.ts';
import { Adam, linearDecay } from './adam.ts';
import { Mlp } from './mlp.ts';
import { ValueNorm } from './value-norm.ts';
import { maskedLogProbAndEntropy } from './ppo.ts';
import { MASKED_LOGIT } from './sampling.ts';
import { CHECKPOINT_FILE, POLICY_FILE, makeCheckpoint, saveCheckpoint, writePolicyFile } from './checkpoint.ts';
import { EVAL_SEED_OFFSET, buildTeacherNet } from './trainer.ts';
import { writeFileAtomic } from '../../shared/atomic-write.ts';
import { METRIC } from './metrics-log.ts';
import { RunLoop } from '../run/run-loop.ts';
import { prepareRunDir } from '../run/run-dir.ts';
import { evaluate, type EvalAgent } from '../eval/evaluate.ts';
import { policyFileAgents } from '../eval/policies.ts';
import { loadEvalPolicy } from '../eval/load-eval-policy.ts';
import type { DecisionPolicy } from '../baselines/decision-policy.ts';

/**
 * Imitation before reinforcement: behaviour cloning of an expert (a scripted baseline, the
 * privileged scripted-micro, or any full-view policy file) into the MAPPO actor, then DAgger
 * rounds: the clone plays, the expert labels the states the clone reaches, the clone retrains on
 * everything gathered. The actor reads only each agent's own observation, so the clone stays a
 * decentralized policy even when its expert read the whole battle. `kdmarl train --init-from`
 * then fine-tunes it with MAPPO.
 */
export type ImitateSettings = {
  /** An eval `--policy` spec: 'scripted', 'scripted-micro', 'scripted-micro-imitable' or a policy / checkpoint path with full views. */
  expert: string;
  /** Episodes the expert plays to start the dataset. */
  demoEpisodes: number;
  /** Epochs of behaviour cloning on the demonstrations. */
  epochs: number;
  daggerRounds: number;
  /** Episodes the clone plays per DAgger round. */
  daggerEpisodes: number;
  /** Epochs over the whole aggregated dataset after each DAgger round. */
  daggerEpochs: number;
  batchSize: number;
  /** Adam learning rate at the start of each training phase; falls linearly to 0 over the phase. */
  lr: number;
};

export const DEFAULT_IMITATE: Omit<ImitateSettings, 'expert'> = {
  demoEpisodes: 4000,
  epochs: 20,
  daggerRounds: 3,
  daggerEpisodes: 2000,
  daggerEpochs: 10,
  batchSize: 512,
  lr: 1e-3,
};

/** Per-phase figures of an imitation run, rewritten (atomically) after each phase. */
export const PHASES_FILE = 'imitate.json';

/** Every HOLDOUT_EVERY-th episode of each phase is held out: whole episodes, so accuracy is on unseen starts. */
const HOLDOUT_EVERY = 10;

export type ImitatePhase = {
  name: string;
  /** Episodes played in this phase and who applied the actions. */
  episodes: number;
  player: 'expert' | 'clone';
  /** Win rate of whoever played (the expert on demonstrations, the greedy clone in DAgger rounds). */
  playedWinRate: number;
  /** Share of the clone's decisions equal to the expert's label on the states played. */
  agreement: number;
  rows: number;
  trainLoss: number;
  holdoutAccuracy: number;
  /** Greedy clone on the run's evaluation seed list after this phase's training. */
  evalWinRate: number;
  evalReturn: number;
};

export type ImitateResult = { runDir: string; backend: BackendName; phases: ImitatePhase[]; wallSeconds: number; stopped: boolean };

export type ImitateOptions = {
  config: TrainConfig;
  settings: ImitateSettings;
  runDir: string;
  producedBy: string;
  /** A progress bar (TTY) or plain lines on stderr; off unless true. */
  progress?: boolean;
  log?: (message: string) => void;
};

export async function imitate(options: ImitateOptions): Promise<ImitateResult> {
  const { config, settings, runDir } = options;
  checkConfig(config, 'config');
  if (config.recurrent) throw new Error('config: imitation trains MLP actors (recurrent: false); a GRU clone would need whole-episode sequences');
  if (config.actorViews !== 'full') throw new Error("config: imitation trains the full-view teacher actor (actorViews 'full')");
  const log = options.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const started = performance.now();
  const backend = await initBackend(config.backend === 'auto' ? undefined : config.backend);
  log(`tfjs backend: ${backend}`);

  const scenario = resolveScenario(config.scenario);
  const hasWins = scenarioHasWins(scenario);
  const scenarioName = scenario.file.name;
  const probe = createSimulation(scenario);
  const expert = await loadEvalPolicy(settings.expert, scenarioName, probe, '--expert');
  const fullSizes = probe.layouts.map((l) => l.size);
  expert.agents.forEach((a, i) => {
    if (a.policy.observationSize !== fullSizes[i]) throw new Error(`--expert: ${probe.agentNames[i]} of '${settings.expert}' reads a ${a.policy.observationSize}-value view; an expert must read the full observation (${fullSizes[i]} values), like the actor it teaches`);
  });
  const { net, shape } = buildTeacherNet(config, scenario, probe);
  const optimizers = net.actors.map((a) => new Adam(a.variables(), settings.lr, config.adamEps));
  const datasets = net.groups.map((g) => new LabelledStates(g.inputSize, g.actionCount));
  const rng = new Rng(deriveSeed(config.seed, 0x1317a7e));
  prepareRunDir(runDir);
  writeFileAtomic(join(runDir, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  const phases: ImitatePhase[] = [];
  const rounds: { name: string; player: 'expert' | 'clone'; episodes: number; epochs: number }[] = [{ name: 'bc', player: 'expert', episodes: settings.demoEpisodes, epochs: settings.epochs }];
  for (let r = 1; r <= settings.daggerRounds; r++) rounds.push({ name: `dagger${r}`, player: 'clone', episodes: settings.daggerEpisodes, epochs: settings.daggerEpochs });
  // A phase is the loop's update and an episode its step: a signal stops the run after the phase it interrupts.
  const loop = new RunLoop({
    label: 'imitate', runDir, totalSteps: rounds.reduce((n, r) => n + r.episodes, 0), progress: options.progress === true,
    hasWins, unit: 'episodes', log,
  });

  try {
    for (const [index, round] of rounds.entries()) {
      if (!(await loop.next())) break;
      // 1. collect: whoever plays, the expert labels every decision
      const clone = policyFileAgents(net.toPolicyFile(scenarioName, options.producedBy), probe, scenarioName, 'clone').agents;
      const played = playAndLabel(scenario, net, clone, expert.agents, datasets, round.player, { episodes: round.episodes, seed: deriveSeed(config.seed, 0x1317 + index) });
      loop.say(`${round.name}: ${round.episodes} episodes played by the ${round.player} (${hasWins ? `won ${(100 * played.winRate).toFixed(1)}%, ` : ''}clone agrees with the expert on ${(100 * played.agreement).toFixed(1)}% of live decisions); dataset ${datasets.reduce((n, d) => n + d.rows, 0)} labelled states`);
      // 2. update: cross-entropy epochs over everything gathered so far
      let loss = Number.NaN;
      for (let epoch = 0; epoch < round.epochs; epoch++) {
        loss = fitEpoch(net, optimizers, datasets, rng, settings, epoch, round.epochs, config.maxGradNorm);
        await loop.yield();
      }
      loop.advance(round.episodes);
      // 3. evaluate, log, save
      const holdoutAccuracy = accuracy(net, datasets, true);
      const evalResult = evaluate(scenario, policyFileAgents(net.toPolicyFile(scenarioName, options.producedBy), probe, scenarioName, 'clone').agents, { episodes: config.evalEpisodes, seed: deriveSeed(config.seed, EVAL_SEED_OFFSET) });
      const phase: ImitatePhase = {
        name: round.name,
        episodes: round.episodes,
        player: round.player,
        playedWinRate: played.winRate,
        agreement: played.agreement,
        rows: datasets.reduce((n, d) => n + d.rows, 0),
        trainLoss: loss,
        holdoutAccuracy,
        evalWinRate: evalResult.winRate,
        evalReturn: evalResult.meanReturn,
      };
      phases.push(phase);
      writeFileAtomic(join(runDir, PHASES_FILE), JSON.stringify({ settings, phases }, null, 2) + '\n');
      loop.metrics.write({ ...loop.metricLine(), 'losses/imitation': loss, 'charts/holdout_accuracy': holdoutAccuracy, 'charts/expert_agreement': played.agreement, [METRIC.evalReturn]: evalResult.meanReturn, [METRIC.evalWinRate]: evalResult.winRate });
      loop.say(`${round.name}: ${round.epochs} epochs, loss ${loss.toFixed(4)}, held-out accuracy ${(100 * holdoutAccuracy).toFixed(1)}%; greedy clone ${hasWins ? `${(100 * evalResult.winRate).toFixed(1)}% wins, ` : ''}return ${evalResult.meanReturn.toFixed(3)} over ${config.evalEpisodes} eval episodes`);
      // Saved after every phase: a killed run keeps its last finished phase.
      const valueNorm = new ValueNorm();
      saveCheckpoint(join(runDir, CHECKPOINT_FILE), makeCheckpoint({ scenarioName, shape, config, net, optimizer: null, valueNorm: valueNorm.getState(), progress: { envSteps: 0, updates: 0, wallSeconds: loop.wallSeconds, rng: rng.getState() }, producedBy: options.producedBy }), { includeOptimizer: false });
      const policy = net.toPolicyFile(scenarioName, options.producedBy);
      writePolicyFile(join(runDir, POLICY_FILE), policy);
      // Each phase's clone kept beside the latest, to evaluate how much each round added.
      writePolicyFile(join(runDir, `${round.name}.policy`), policy);
      loop.show({ episodeReturn: evalResult.meanReturn, winRate: evalResult.winRate });
    }
  } finally {
    loop.close();
    for (const o of optimizers) o.dispose();
    net.dispose();
  }
  if (loop.stopRequested) log(`stopped by signal after ${phases.length} of ${rounds.length} phases; the clone of the last finished phase is saved in ${runDir}`);
  return { runDir, backend, phases, wallSeconds: (performance.now() - started) / 1000, stopped: loop.stopRequested };
}

/** Growable rows of (actor input, action mask, expert action) for one actor group. */
export class LabelledStates {
  readonly inputSize: number;
  readonly actionCount: number;
  rows = 0;
  inputs: Float32Array;
  masks: Uint8Array;
  labels: Int32Array;
  holdout: Uint8Array;

  constructor(inputSize: number, actionCount: number, capacity = 4096) {
    this.inputSize = inputSize;
    this.actionCount = actionCount;
    this.inputs = new Float32Array(capacity * inputSize);
    this.masks = new Uint8Array(capacity * actionCount);
    this.labels = new Int32Array(capacity);
    this.holdout = new Uint8Array(capacity);
  }

  /** Reserve the next row and return its index; the caller writes its input. */
  add(mask: Uint8Array, label: number, holdout: boolean): number {
    if (this.rows === this.labels.length) this.grow();
    const row = this.rows++;
    this.masks.set(mask, row * this.actionCount);
    this.labels[row] = label;
    this.holdout[row] = holdout ? 1 : 0;
    return row;
  }

  rowsWhere(holdout: boolean): Int32Array {
    const out: number[] = [];
    for (let i = 0; i < this.rows; i++) if ((this.holdout[i] === 1) === holdout) out.push(i);
    return Int32Array.from(out);
  }

  private grow(): void {
    const capacity = this.labels.length * 2;
    const inputs = new Float32Array(capacity * this.inputSize);
    inputs.set(this.inputs);
    this.inputs = inputs;
    const masks = new Uint8Array(capacity * this.actionCount);
    masks.set(this.masks);
    this.masks = masks;
    const labels = new Int32Array(capacity);
    labels.set(this.labels);
    this.labels = labels;
    const holdout = new Uint8Array(capacity);
    holdout.set(this.holdout);
    this.holdout = holdout;
  }
}

/**
 * Play episodes through evaluate() with the expert asked beside the clone on every step (its
 * overseer hook): `player` decides whose action is applied; the expert's action labels every
 * decision that had a choice (dead agents have one allowed action and teach nothing).
 */
export function playAndLabel(
  scenario: Parameters<typeof evaluate>[0],
  net: ActorCritic,
  clone: readonly EvalAgent[],
  expert: readonly EvalAgent[],
  datasets: LabelledStates[],
  player: 'expert' | 'clone',
  run: { episodes: number; seed: number },
): { winRate: number; agreement: number } {
  let episode = 0;
  let agreed = 0;
  let decisions = 0;
  // The clone's policy sees each agent's full observation first; keep it for the label row.
  const seen: Float32Array[] = clone.map(() => new Float32Array(0));
  const recording: EvalAgent[] = clone.map((agent, a) => ({
    view: agent.view,
    policy: recorder(agent.policy, (observation) => {
      seen[a] = observation;
    }),
  }));
  const result = evaluate(scenario, recording, {
    episodes: run.episodes,
    seed: run.seed,
    onEpisode: (index) => {
      episode = index + 1;
    },
    overseer: {
      agents: expert,
      choose: (agent, own, label, mask) => {
        let allowed = 0;
        for (let k = 0; k < mask.length; k++) allowed += mask[k];
        // A label the mask forbids (an expert's slip) would teach a -1e9 log-probability: skip it.
        if (allowed > 1 && mask[label] === 1) {
          const data = datasets[net.agentGroup[agent]];
          const row = data.add(mask, label, episode % HOLDOUT_EVERY === HOLDOUT_EVERY - 1);
          net.writeActorInput(agent, seen[agent], 0, data.inputs, row);
          decisions++;
          if (own === label) agreed++;
        }
        return player === 'expert' ? label : own;
      },
    },
  });
  return { winRate: result.winRate, agreement: decisions ? agreed / decisions : Number.NaN };
}

function recorder(policy: DecisionPolicy, onObservation: (observation: Float32Array) => void): DecisionPolicy {
  return {
    label: policy.label,
    flops: policy.flops,
    observationSize: policy.observationSize,
    decide(observation, mask, u) {
      onObservation(observation);
      return policy.decide(observation, mask, u);
    },
    reset: () => policy.reset?.(),
  };
}

/** One shuffled pass over every group's training rows: masked cross-entropy to the expert's action. */
function fitEpoch(net: ActorCritic, optimizers: Adam[], datasets: LabelledStates[], rng: Rng, settings: ImitateSettings, epoch: number, epochs: number, maxGradNorm: number): number {
  let lossSum = 0;
  let batches = 0;
  datasets.forEach((data, gi) => {
    const rows = data.rowsWhere(false);
    const order = rng.permutation(rows.length);
    const perEpoch = Math.floor(rows.length / settings.batchSize);
    const actor = net.actors[gi] as Mlp;
    for (let b = 0; b < perEpoch; b++) {
      optimizers[gi].lr = linearDecay(settings.lr, epoch * perEpoch + b, epochs * perEpoch);
      const batch = gatherRows(data, rows, order.subarray(b * settings.batchSize, (b + 1) * settings.batchSize));
      const { loss } = optimizers[gi].minimize(() => {
        const { logp } = maskedLogProbAndEntropy(actor.apply(batch.input), batch.maskAdd, batch.labels);
        return tf.neg(tf.mean(logp)) as tf.Scalar;
      }, maxGradNorm);
      tf.dispose([batch.input, batch.maskAdd, batch.labels]);
      lossSum += loss;
      batches++;
    }
  });
  return batches ? lossSum / batches : Number.NaN;
}

function gatherRows(data: LabelledStates, rows: Int32Array, pick: ArrayLike<number>): { input: tf.Tensor2D; maskAdd: tf.Tensor2D; labels: tf.Tensor2D } {
  const n = pick.length;
  const input = new Float32Array(n * data.inputSize);
  const maskAdd = new Float32Array(n * data.actionCount);
  const labels = new Float32Array(n * data.actionCount);
  for (let r = 0; r < n; r++) {
    const i = rows[pick[r]];
    input.set(data.inputs.subarray(i * data.inputSize, (i + 1) * data.inputSize), r * data.inputSize);
    for (let k = 0; k < data.actionCount; k++) maskAdd[r * data.actionCount + k] = data.masks[i * data.actionCount + k] === 1 ? 0 : MASKED_LOGIT;
    labels[r * data.actionCount + data.labels[i]] = 1;
  }
  return { input: tf.tensor2d(input, [n, data.inputSize]), maskAdd: tf.tensor2d(maskAdd, [n, data.actionCount]), labels: tf.tensor2d(labels, [n, data.actionCount]) };
}

/** Share of rows (held-out or training) where the clone's greedy allowed action is the expert's. */
export function accuracy(net: ActorCritic, datasets: LabelledStates[], holdout: boolean): number {
  let correct = 0;
  let total = 0;
  datasets.forEach((data, gi) => {
    const rows = data.rowsWhere(holdout);
    const A = data.actionCount;
    for (let start = 0; start < rows.length; start += 4096) {
      const n = Math.min(4096, rows.length - start);
      const input = new Float32Array(n * data.inputSize);
      for (let r = 0; r < n; r++) input.set(data.inputs.subarray(rows[start + r] * data.inputSize, (rows[start + r] + 1) * data.inputSize), r * data.inputSize);
      const logits = net.actorForward(gi, input, n);
      for (let r = 0; r < n; r++) {
        const i = rows[start + r];
        let best = -1;
        for (let k = 0; k < A; k++) if (data.masks[i * A + k] === 1 && (best < 0 || logits[r * A + k] > logits[r * A + best])) best = k;
        if (best === data.labels[i]) correct++;
      }
      total += n;
    }
  });
  return total ? correct / total : Number.NaN;
}
