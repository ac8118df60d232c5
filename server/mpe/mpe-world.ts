/**
 * The MPE world as structure-of-arrays, and MPE2's physics step reproduced exactly
 * (mpe2/_mpe_utils/core.py @53c1b41): action force, softplus contact force between every pair of
 * colliding entities, then position first, damping per step, force, max-speed clamp.
 * Entities are agents first, then landmarks, as in MPE's `world.entities`.
 */
export const MPE_DT = 0.1;
export const MPE_DAMPING = 0.25;
export const MPE_CONTACT_FORCE = 1e2;
export const MPE_CONTACT_MARGIN = 1e-3;
/** Action sensitivity when an agent has no `accel` (simple_env.py `_set_action`). */
export const MPE_DEFAULT_SENSITIVITY = 5.0;

export type MpeEntitySpec = {
  name: string;
  kind: 'agent' | 'landmark';
  size: number;
  movable: boolean;
  collide: boolean;
  silent: boolean;
  mass: number;
  /** null: no clamp. */
  maxSpeed: number | null;
  /** null: MPE's default sensitivity of 5. */
  accel: number | null;
  type: string;
};

export class MpeWorld {
  readonly specs: readonly MpeEntitySpec[];
  readonly count: number;
  readonly numAgents: number;
  readonly dimC: number;
  /** x, y per entity, float64 like numpy. */
  readonly pos: Float64Array;
  readonly vel: Float64Array;
  /** Per-step applied force. */
  readonly force: Float64Array;
  /** Communication state per agent (dimC each). */
  readonly comm: Float64Array;
  readonly size: Float64Array;
  /** Indices of entities that collide, for the pair loop. */
  readonly colliders: Int32Array;

  constructor(specs: readonly MpeEntitySpec[], dimC: number) {
    this.specs = specs;
    this.count = specs.length;
    this.numAgents = specs.filter((s) => s.kind === 'agent').length;
    for (let i = 0; i < this.numAgents; i++) {
      if (specs[i].kind !== 'agent') throw new Error('MPE entities must list agents before landmarks');
    }
    this.dimC = dimC;
    this.pos = new Float64Array(2 * this.count);
    this.vel = new Float64Array(2 * this.count);
    this.force = new Float64Array(2 * this.count);
    this.comm = new Float64Array(Math.max(1, this.numAgents * dimC));
    this.size = Float64Array.from(specs.map((s) => s.size));
    this.colliders = Int32Array.from(specs.flatMap((s, i) => (s.collide ? [i] : [])));
  }

  /**
   * Set agent i's action force from a discrete movement index (0 none, 1 left, 2 right, 3 down,
   * 4 up), times its sensitivity. Immovable agents get no force.
   */
  setMoveAction(i: number, move: number): void {
    const spec = this.specs[i];
    let ux = 0;
    let uy = 0;
    if (spec.movable) {
      if (move === 1) ux = -1;
      else if (move === 2) ux = 1;
      else if (move === 3) uy = -1;
      else if (move === 4) uy = 1;
      const sensitivity = spec.accel ?? MPE_DEFAULT_SENSITIVITY;
      ux *= sensitivity;
      uy *= sensitivity;
    }
    this.force[2 * i] = ux;
    this.force[2 * i + 1] = uy;
  }

  /** Agent i says word `word` (one-hot), or stays silent (zeros). */
  setCommAction(i: number, word: number): void {
    const base = i * this.dimC;
    this.comm.fill(0, base, base + this.dimC);
    if (!this.specs[i].silent && word >= 0) this.comm[base + word] = 1;
  }

  /** Add MPE's softplus contact forces for every pair of colliding entities. */
  addContactForces(): void {
    const { pos, force, size, colliders, specs } = this;
    const k = MPE_CONTACT_MARGIN;
    for (let p = 0; p < colliders.length; p++) {
      const a = colliders[p];
      for (let q = p + 1; q < colliders.length; q++) {
        const b = colliders[q];
        const dx = pos[2 * a] - pos[2 * b];
        const dy = pos[2 * a + 1] - pos[2 * b + 1];
        const dist = Math.sqrt(dx * dx + dy * dy);
        const distMin = size[a] + size[b];
        // np.logaddexp(0, x) * k, written to stay finite for large x.
        const x = -(dist - distMin) / k;
        const penetration = (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x))) * k;
        // numpy gives nan for coincident centres (0/0); we push along +x instead so nothing goes NaN.
        const fx = dist > 0 ? (MPE_CONTACT_FORCE * dx * penetration) / dist : MPE_CONTACT_FORCE * penetration;
        const fy = dist > 0 ? (MPE_CONTACT_FORCE * dy * penetration) / dist : 0;
        if (specs[a].movable) {
          force[2 * a] += fx;
          force[2 * a + 1] += fy;
        }
        if (specs[b].movable) {
          force[2 * b] -= fx;
          force[2 * b + 1] -= fy;
        }
      }
    }
  }

  /** MPE2's integrate_state: position first with the old velocity, then damping, force and clamp. */
  integrate(): void {
    const { pos, vel, force, specs } = this;
    for (let i = 0; i < this.count; i++) {
      const spec = specs[i];
      if (!spec.movable) continue;
      pos[2 * i] += vel[2 * i] * MPE_DT;
      pos[2 * i + 1] += vel[2 * i + 1] * MPE_DT;
      let vx = vel[2 * i] * (1 - MPE_DAMPING) + (force[2 * i] / spec.mass) * MPE_DT;
      let vy = vel[2 * i + 1] * (1 - MPE_DAMPING) + (force[2 * i + 1] / spec.mass) * MPE_DT;
      if (spec.maxSpeed !== null) {
        const speed = Math.sqrt(vx * vx + vy * vy);
        if (speed > spec.maxSpeed) {
          vx = (vx / speed) * spec.maxSpeed;
          vy = (vy / speed) * spec.maxSpeed;
        }
      }
      vel[2 * i] = vx;
      vel[2 * i + 1] = vy;
    }
  }

  distance(a: number, b: number): number {
    const dx = this.pos[2 * a] - this.pos[2 * b];
    const dy = this.pos[2 * a + 1] - this.pos[2 * b + 1];
    return Math.sqrt(dx * dx + dy * dy);
  }

  /** MPE's is_collision: centres closer than the sum of radii. */
  colliding(a: number, b: number): boolean {
    return this.distance(a, b) < this.size[a] + this.size[b];
  }
}
