import * as tf from '@tensorflow/tfjs';
import { Rng } from '../../shared/rng.ts';
import { POLICY_FORMAT, POLICY_FORMAT_VERSION, type PolicyFile } from '../../shared/model-format.ts';
import { Mlp } from '../learn/mlp.ts';
import { dense } from '../learn/dense.ts';
import type { StudentPlan } from './student-plan.ts';

/**
 * The heterogeneous students: one small actor per agent, sized by its plan, plus the
 * training-only heads the composite loss needs (a projection to a common width for L_SR and a
 * role classifier for L_RA). Heads are never exported: deployment cost is the actor alone.
 */
export class StudentTeam {
  readonly plans: readonly StudentPlan[];
  readonly actors: Mlp[];
  readonly projections: Mlp[];
  readonly roleHeads: Mlp[];

  constructor(plans: readonly StudentPlan[], options: { layerNorm: boolean; projectionWidth: number; numRoles: number; seed: number }) {
    this.plans = plans;
    const rng = new Rng(options.seed ^ 0x57d7);
    this.actors = plans.map(
      (p) => new Mlp([p.observationSize, ...p.hidden, p.actionCount], { layerNorm: options.layerNorm, outputGain: 0.01, rng, denseMode: 'custom', name: `student_${p.agent}` }),
    );
    this.projections = plans.map(
      (p) => new Mlp([p.hidden[p.hidden.length - 1], options.projectionWidth], { layerNorm: false, outputGain: 1, rng, denseMode: 'custom', name: `proj_${p.agent}` }),
    );
    this.roleHeads = plans.map(
      (p) => new Mlp([p.hidden[p.hidden.length - 1], options.numRoles], { layerNorm: false, outputGain: 1, rng, denseMode: 'custom', name: `role_${p.agent}` }),
    );
  }

  /**
   * Trainable variables in a fixed order (the optimizer state's): actors, then the heads the loss
   * actually uses (a head with no gradient would be an error for the optimizer).
   */
  variables(heads: { projections: boolean; roles: boolean } = { projections: true, roles: true }): tf.Variable[] {
    return [...this.actors, ...(heads.projections ? this.projections : []), ...(heads.roles ? this.roleHeads : [])].flatMap((m) => m.variables());
  }

  /** Last hidden activations and logits of agent a's actor (inside a tidy). */
  forward(a: number, observations: tf.Tensor2D): { hidden: tf.Tensor2D; logits: tf.Tensor2D } {
    const actor = this.actors[a];
    const hidden = actor.apply(observations, true);
    const last = actor.weights.length - 1;
    const logits = dense(hidden, actor.weights[last] as tf.Tensor2D, actor.biases[last] as tf.Tensor1D, 'custom');
    return { hidden, logits };
  }

  /** Logits for rows of plain observations (collection), outside any tape. */
  logits(a: number, observations: Float32Array, rows: number): Float32Array {
    const actor = this.actors[a];
    return tf.tidy(() => actor.apply(tf.tensor2d(observations, [rows, actor.inputSize])).dataSync() as Float32Array);
  }

  /** The deployed students: one net per agent, each with its own view; heads dropped. */
  toPolicyFile(scenario: string, producedBy: string, role = 'student'): PolicyFile {
    const nets: PolicyFile['nets'] = {};
    const agents: PolicyFile['agents'] = {};
    this.plans.forEach((p, a) => {
      nets[p.agent] = this.actors[a].toPolicyNet();
      agents[p.agent] = { net: p.agent, view: p.view };
    });
    return { format: POLICY_FORMAT, version: POLICY_FORMAT_VERSION, scenario, role, producedBy, agents, nets };
  }

  /**
   * Start the actors from deployed students (a policy file of the same architecture), e.g. the
   * students the agent processes are running when online distillation begins.
   */
  loadActors(file: PolicyFile, where: string): void {
    this.plans.forEach((p, a) => {
      const spec = file.agents[p.agent];
      if (!spec) throw new Error(`${where}: no student for ${p.agent}`);
      const net = file.nets[spec.net];
      const values: Float32Array[] = [];
      for (const layer of net.layers) {
        if (layer.kind === 'layernorm') values.push(layer.gamma, layer.beta);
        else if (layer.kind === 'gru') throw new Error(`${where}: ${p.agent}'s net is recurrent (GRU); students are MLPs`);
        else values.push(layer.weight, layer.bias);
      }
      const expected = [p.observationSize, ...p.hidden, p.actionCount].join('-');
      const given = [net.inputSize, ...net.layers.flatMap((l) => (l.kind === 'dense' ? [l.outputSize] : []))].join('-');
      if (expected !== given) throw new Error(`${where}: ${p.agent}'s student is [${given}], the profile plans [${expected}]`);
      this.actors[a].setWeights(values, `${where}: ${p.agent}`);
    });
  }

  getWeights(): Record<string, Float32Array[]> {
    const out: Record<string, Float32Array[]> = {};
    this.plans.forEach((p, a) => {
      out[`actor/${p.agent}`] = this.actors[a].getWeights();
      out[`projection/${p.agent}`] = this.projections[a].getWeights();
      out[`role/${p.agent}`] = this.roleHeads[a].getWeights();
    });
    return out;
  }

  setWeights(weights: Record<string, Float32Array[]>, where: string): void {
    this.plans.forEach((p, a) => {
      for (const [key, net] of [[`actor/${p.agent}`, this.actors[a]], [`projection/${p.agent}`, this.projections[a]], [`role/${p.agent}`, this.roleHeads[a]]] as const) {
        const w = weights[key];
        if (!w) throw new Error(`${where}: no weights for '${key}'`);
        net.setWeights(w, `${where}: ${key}`);
      }
    });
  }

  dispose(): void {
    for (const m of [...this.actors, ...this.projections, ...this.roleHeads]) m.dispose();
  }
}
