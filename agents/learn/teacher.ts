import { initBackend } from './backend.ts';
import { ActorCritic, type ActorGroup, type ScenarioShape } from './actor-critic.ts';
import { checkpointToPolicyFile, readCheckpoint, checkShapeMatches, type Checkpoint } from './checkpoint.ts';
import { ValueNorm, IdentityValueNorm } from './value-norm.ts';
import type { PolicyFile } from '../../shared/model-format.ts';

/**
 * A frozen MAPPO teacher for distillation: actor logits and hidden activations per group, and
 * critic values on the returns scale (value norm applied). Inputs and outputs are row-major
 * Float32Arrays; nothing here trains.
 */
export type Teacher = {
  readonly scenario: string;
  readonly checkpoint: Checkpoint;
  readonly shape: ScenarioShape;
  readonly groups: readonly ActorGroup[];
  /** Index of each agent's group and its slot (agent-id index) inside it. */
  readonly agentGroup: Int32Array;
  readonly agentSlot: Int32Array;
  /** Width of the last actor hidden layer (the embedding `actorHidden` returns). */
  readonly hiddenSize: number;
  readonly criticInputSize: number;
  /**
   * Build actor input rows for `agents[r]`'s observations (each `group.observationSize` long,
   * concatenated) with the agent-id one-hot appended where the group is shared.
   */
  actorInput(agents: readonly number[], observations: Float32Array): Float32Array;
  /** Logits [rows x actionCount] of group `group` (name) for actor input rows. */
  actorLogits(group: string, input: Float32Array): Float32Array;
  /** Last hidden layer activations [rows x hiddenSize] for actor input rows. */
  actorHidden(group: string, input: Float32Array): Float32Array;
  /** Critic values on the returns scale for `states` [rows x stateSize], one row per `agents[r]`. */
  value(states: Float32Array, agents: readonly number[]): Float32Array;
  /** The actors in the deployed format (for the typed-array runtime). */
  policyFile(): PolicyFile;
  dispose(): void;
};

/** Load a frozen teacher from a checkpoint (run dir checkpoint.ckpt or models/<scenario>/checkpoint.ckpt). */
export async function loadTeacher(path: string, expected?: ScenarioShape): Promise<Teacher> {
  await initBackend();
  const ckpt = readCheckpoint(path);
  if (expected) checkShapeMatches(ckpt, expected, path);
  const config = ckpt.config;
  const net = new ActorCritic(ckpt.shape, { actorHidden: config.actorHidden, criticHidden: config.criticHidden, layerNorm: config.layerNorm, shareActor: config.shareActor, denseMode: 'custom', seed: config.seed });
  net.setWeights(ckpt.weights, path);
  const valueNorm = config.valueNorm ? new ValueNorm() : new IdentityValueNorm();
  valueNorm.setState(ckpt.valueNorm);
  const rowsOf = (input: Float32Array, width: number, what: string): number => {
    if (input.length % width !== 0) throw new Error(`${what}: ${input.length} values is not a whole number of rows of ${width}`);
    return input.length / width;
  };
  return {
    scenario: ckpt.scenario,
    checkpoint: ckpt,
    shape: ckpt.shape,
    groups: net.groups,
    agentGroup: net.agentGroup,
    agentSlot: net.agentSlot,
    hiddenSize: config.actorHidden[config.actorHidden.length - 1],
    criticInputSize: net.criticInputSize,
    actorInput(agents, observations) {
      if (!agents.length) return new Float32Array(0);
      const g = net.groups[net.agentGroup[agents[0]]];
      if (agents.some((a) => net.agentGroup[a] !== net.agentGroup[agents[0]])) throw new Error('actorInput: agents of different groups in one batch');
      if (observations.length !== agents.length * g.observationSize) throw new Error(`actorInput: ${observations.length} values for ${agents.length} observations of ${g.observationSize}`);
      const out = new Float32Array(agents.length * g.inputSize);
      agents.forEach((a, r) => net.writeActorInput(a, observations, r * g.observationSize, out, r));
      return out;
    },
    actorLogits(group, input) {
      const gi = net.groupIndex(group);
      return net.actorForward(gi, input, rowsOf(input, net.groups[gi].inputSize, `actorLogits(${group})`));
    },
    actorHidden(group, input) {
      const gi = net.groupIndex(group);
      return net.actorForward(gi, input, rowsOf(input, net.groups[gi].inputSize, `actorHidden(${group})`), true);
    },
    value(states, agents) {
      const s = ckpt.shape.stateSize;
      const rows = rowsOf(states, s, 'value');
      if (agents.length !== rows) throw new Error(`value: ${rows} states but ${agents.length} agent indices`);
      const input = new Float32Array(rows * net.criticInputSize);
      for (let r = 0; r < rows; r++) net.writeCriticInput(agents[r], states, r * s, input, r);
      return valueNorm.denormalize(net.criticForward(input, rows));
    },
    policyFile: () => checkpointToPolicyFile(ckpt, path),
    dispose: () => net.dispose(),
  };
}
