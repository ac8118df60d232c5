import type { FrozenTeacher } from './frozen-teacher.ts';

/** What a distillation update asks of its teacher: targets for the loss terms and values for teacher-guided GAE. */
export type DistillTeacher = Pick<FrozenTeacher, 'logits' | 'hidden' | 'values' | 'hiddenSize' | 'path' | 'dispose'>;

/**
 * Two frozen teachers of one scenario acting as one: the action target is the normalised geometric
 * mean of their policies (the mean of their logits, so an action mask applied afterwards leaves it
 * the geometric mean of the masked policies), the relation and role embedding is their last hidden
 * layers side by side, and the value for teacher-guided GAE is the mean of their critics' returns.
 */
export class TeacherPair implements DistillTeacher {
  readonly hiddenSize: number;
  readonly path: string;
  private readonly first: FrozenTeacher;
  private readonly second: FrozenTeacher;

  constructor(first: FrozenTeacher, second: FrozenTeacher) {
    this.first = first;
    this.second = second;
    this.hiddenSize = first.hiddenSize + second.hiddenSize;
    this.path = `${first.path} + ${second.path}`;
  }

  logits(agent: number, observations: Float32Array, rows: number): Float32Array {
    const a = this.first.logits(agent, observations, rows);
    const b = this.second.logits(agent, observations, rows);
    return a.map((v, i) => (v + b[i]) / 2);
  }

  hidden(agent: number, observations: Float32Array, rows: number): Float32Array {
    const a = this.first.hidden(agent, observations, rows);
    const b = this.second.hidden(agent, observations, rows);
    const wa = this.first.hiddenSize;
    const wb = this.second.hiddenSize;
    const out = new Float32Array(rows * this.hiddenSize);
    for (let r = 0; r < rows; r++) {
      out.set(a.subarray(r * wa, (r + 1) * wa), r * this.hiddenSize);
      out.set(b.subarray(r * wb, (r + 1) * wb), r * this.hiddenSize + wa);
    }
    return out;
  }

  values(agent: number, states: Float32Array, rows: number, observations?: Float32Array): Float32Array {
    const a = this.first.values(agent, states, rows, observations);
    const b = this.second.values(agent, states, rows, observations);
    return a.map((v, i) => (v + b[i]) / 2);
  }

  dispose(): void {
    this.first.dispose();
    this.second.dispose();
  }
}
