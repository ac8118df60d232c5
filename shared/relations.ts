/**
 * The method's coordination structure in plain arrays (no tfjs), shared by distillation (the
 * frozen teacher's relation targets, docs/method.md §3.3 L_SR) and the server (the viewer's graph and role
 * overlays, computed from the agents' action distributions).
 */

/**
 * Relation matrices of per-agent embeddings (agent i's rows at `embeddings[i][r * width ..]`):
 * R[i][j] = d(e_i, e_j) / mean over live pairs k != l of d(e_k, e_l), Euclidean d, per row r.
 * `outRelation` and `outPairs` are [rows, N, N]; pairs that are not live (i == j or either agent
 * not alive in that row) are 0 in both.
 */
export function relationMatricesPlain(embeddings: Float32Array[], width: number, rows: number, alive: (row: number, agent: number) => boolean, outRelation: Float32Array, outPairs: Float32Array): void {
  const n = embeddings.length;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    let count = 0;
    const base = r * n * n;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        const live = i !== j && alive(r, i) && alive(r, j);
        outPairs[base + i * n + j] = live ? 1 : 0;
        if (!live) {
          outRelation[base + i * n + j] = 0;
          continue;
        }
        let s = 0;
        for (let d = 0; d < width; d++) {
          const x = embeddings[i][r * width + d] - embeddings[j][r * width + d];
          s += x * x;
        }
        const distance = Math.sqrt(s + 1e-8);
        outRelation[base + i * n + j] = distance;
        sum += distance;
        count++;
      }
    }
    const mean = count > 0 ? sum / count : 1;
    for (let k = 0; k < n * n; k++) outRelation[base + k] /= mean + 1e-6;
  }
}

/**
 * Cheap roles for live streams: an agent's role is the action category holding most of its
 * probability mass. Indices into ACTION_CATEGORIES; -1 = no distribution (dead, not sent).
 */
export const ACTION_CATEGORIES = ['hold', 'move', 'attack', 'heal', 'say', 'other'] as const;
export type ActionCategory = (typeof ACTION_CATEGORIES)[number];

/** The category of an action name as the simulators spell them (SMAC, MPE; `move_x+say_k` counts as its movement). */
export function actionCategory(name: string): number {
  const head = name.split('+')[0].toLowerCase();
  if (head === 'no_op' || head === 'noop' || head === 'stop' || head === 'no_action') return 0;
  if (head.startsWith('move')) return 1;
  if (head.startsWith('attack')) return 2;
  if (head.startsWith('heal')) return 3;
  if (head.startsWith('say')) return 4;
  return 5;
}

/**
 * Relation matrix and roles of one step from per-agent action distributions, into reused
 * buffers: no allocation per call once built. Agents have different action counts
 * (heterogeneous teams), so each distribution is zero-padded to the widest one.
 */
export class DistributionStructure {
  readonly agents: number;
  readonly width: number;
  /** Row-major N x N, 0 on the diagonal and for pairs without two live distributions. */
  readonly relations: Float32Array;
  readonly roles: Int32Array;
  readonly roleNames: readonly string[] = ACTION_CATEGORIES;
  private readonly embeddings: Float32Array[];
  private readonly pairs: Float32Array;
  private readonly categories: Int8Array[];
  private readonly mass = new Float64Array(ACTION_CATEGORIES.length);
  private readonly live: Uint8Array;
  private readonly isLive = (_row: number, agent: number): boolean => this.live[agent] === 1;

  /** `actionNames[i]`: agent i's action names (their count is its action count). */
  constructor(actionNames: readonly (readonly string[])[]) {
    const n = actionNames.length;
    this.agents = n;
    this.width = Math.max(1, ...actionNames.map((names) => names.length));
    this.embeddings = actionNames.map(() => new Float32Array(this.width));
    this.categories = actionNames.map((names) => Int8Array.from(names, actionCategory));
    this.relations = new Float32Array(n * n);
    this.pairs = new Float32Array(n * n);
    this.roles = new Int32Array(n).fill(-1);
    this.live = new Uint8Array(n);
  }

  /**
   * `probs` holds every agent's distribution back to back (agent i from `offsets[i]`, its action
   * count long); `live[i]` = 1 where agent i has a current distribution. Returns how many agents
   * were live (relations need at least two).
   */
  compute(probs: Float32Array, offsets: readonly number[], live: Uint8Array): number {
    let count = 0;
    const mass = this.mass;
    for (let i = 0; i < this.agents; i++) {
      this.live[i] = live[i];
      const e = this.embeddings[i];
      e.fill(0);
      if (live[i] !== 1) {
        this.roles[i] = -1;
        continue;
      }
      count++;
      const categories = this.categories[i];
      const from = offsets[i];
      mass.fill(0);
      for (let a = 0; a < categories.length; a++) {
        e[a] = probs[from + a];
        mass[categories[a]] += probs[from + a];
      }
      let best = 0;
      for (let c = 1; c < mass.length; c++) if (mass[c] > mass[best]) best = c;
      this.roles[i] = best;
    }
    relationMatricesPlain(this.embeddings, this.width, 1, this.isLive, this.relations, this.pairs);
    return count;
  }
}
