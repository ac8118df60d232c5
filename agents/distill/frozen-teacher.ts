import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ActorCritic, type ScenarioShape } from '../learn/actor-critic.ts';
import { CHECKPOINT_FILE, checkShapeMatches, readCheckpoint, type Checkpoint } from '../learn/checkpoint.ts';
import { ValueNorm, IdentityValueNorm } from '../learn/value-norm.ts';

/**
 * The stage-1 teacher, frozen: its actors give logits and hidden activations on full (teacher)
 * views, its centralized critic gives values (denormalised to returns) for teacher-guided GAE.
 * An 'agent_state' teacher's critic also reads each agent's own full observation.
 * Nothing here has an optimizer: the teacher's variables never change during distillation.
 */
export class FrozenTeacher {
  readonly checkpoint: Checkpoint;
  readonly net: ActorCritic;
  readonly valueNorm: ValueNorm;
  readonly path: string;
  /** Width of the teacher's last hidden layer (the embedding of L_SR and the roles). */
  readonly hiddenSize: number;

  constructor(checkpoint: Checkpoint, path: string) {
    this.checkpoint = checkpoint;
    this.path = path;
    const c = checkpoint.config;
    // The critic's observation sizes are the shape's only when the actors saw full views.
    if (c.criticInput === 'agent_state' && c.actorViews === 'student') throw new Error(`${path}: an 'agent_state' critic trained beside student-view actors cannot be rebuilt as a teacher (the checkpoint records student view sizes only)`);
    this.net = new ActorCritic(checkpoint.shape, {
      actorHidden: c.actorHidden,
      criticHidden: c.criticHidden,
      layerNorm: c.layerNorm,
      shareActor: c.shareActor,
      denseMode: c.denseMode === 'stock' ? 'stock' : 'custom',
      seed: c.seed,
      criticInput: c.criticInput,
    });
    this.net.setWeights(checkpoint.weights, path);
    this.valueNorm = c.valueNorm ? new ValueNorm() : new IdentityValueNorm();
    this.valueNorm.setState(checkpoint.valueNorm);
    this.hiddenSize = c.actorHidden[c.actorHidden.length - 1];
  }

  /** Logits of agent `agent` for `rows` full-view observations laid out row-major. */
  logits(agent: number, observations: Float32Array, rows: number): Float32Array {
    return this.forward(agent, observations, rows, false);
  }

  /** Last hidden activations of agent `agent` (rows x hiddenSize). */
  hidden(agent: number, observations: Float32Array, rows: number): Float32Array {
    return this.forward(agent, observations, rows, true);
  }

  /**
   * V_T(s, agent) as returns (denormalised) for `rows` states, exactly as the trainer's critic
   * computed them: `observations` (agent `agent`'s full views, row-major, like `logits` takes)
   * are required for an 'agent_state' critic and ignored otherwise.
   */
  values(agent: number, states: Float32Array, rows: number, observations?: Float32Array): Float32Array {
    const net = this.net;
    const size = net.criticObservationSizes[agent];
    if (net.criticObservationSize > 0) {
      if (!observations) throw new Error(`${this.path}: this teacher's critic is 'agent_state' (state ++ the agent's own full observation); values() needs ${net.shape.agentNames[agent]}'s full observations`);
      if (observations.length < rows * size) throw new Error(`${this.path}: values() got ${observations.length} observation values for ${rows} rows of ${net.shape.agentNames[agent]} (${size} each)`);
    }
    const obs = observations ?? EMPTY;
    const input = new Float32Array(rows * net.criticInputSize);
    for (let r = 0; r < rows; r++) net.writeCriticInput(agent, states, r * net.shape.stateSize, obs, r * size, input, r);
    return this.valueNorm.denormalize(Float32Array.from(net.criticForward(input, rows)));
  }

  dispose(): void {
    this.net.dispose();
  }

  private forward(agent: number, observations: Float32Array, rows: number, hidden: boolean): Float32Array {
    const net = this.net;
    const g = net.groups[net.agentGroup[agent]];
    const input = new Float32Array(rows * g.inputSize);
    for (let r = 0; r < rows; r++) net.writeActorInput(agent, observations, r * g.observationSize, input, r);
    return Float32Array.from(net.actorForward(net.agentGroup[agent], input, rows, hidden));
  }
}

const EMPTY = new Float32Array(0);

/** `--teacher PATH`: a checkpoint file, or a run / model directory holding checkpoint.ckpt. */
export function loadFrozenTeacher(path: string, shape: ScenarioShape, scenario: string): FrozenTeacher {
  const file = teacherCheckpointFile(path);
  const checkpoint = readCheckpoint(file);
  if (checkpoint.config.recurrent) throw new Error(`--teacher ${file}: this checkpoint was trained with a recurrent (GRU) actor; distillation needs an MLP teacher (train one without "recurrent": true)`);
  if (checkpoint.config.actorViews === 'student') throw new Error(`--teacher ${file}: this checkpoint's actors were trained on student views (a from-scratch baseline), not a teacher`);
  if (checkpoint.scenario !== scenario) throw new Error(`--teacher ${file}: teacher was trained on scenario '${checkpoint.scenario}', not '${scenario}'`);
  checkShapeMatches(checkpoint, shape, file);
  return new FrozenTeacher(checkpoint, file);
}

/** The checkpoint file `--teacher PATH` stands for: PATH itself, or the checkpoint.ckpt in it. */
export function teacherCheckpointFile(path: string): string {
  if (!existsSync(path)) throw new Error(`--teacher: '${path}' does not exist (a checkpoint file or a directory with ${CHECKPOINT_FILE})`);
  const file = statSync(path).isDirectory() ? join(path, CHECKPOINT_FILE) : path;
  if (!existsSync(file)) throw new Error(`--teacher: no ${CHECKPOINT_FILE} in ${path}`);
  return file;
}

/**
 * sha256 of the teacher's checkpoint file, recorded with a distillation run: a teacher retrained
 * at the same path has the same name but not the same digest.
 */
export function teacherDigest(path: string): string {
  return createHash('sha256').update(readFileSync(teacherCheckpointFile(path))).digest('hex');
}
