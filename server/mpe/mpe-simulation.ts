import type { Rng } from '../../shared/rng.ts';
import { RawObservation, type ObservationLayout } from '../env/layout.ts';
import type { EntityInfo, InitialState, Simulation, StepEvents } from '../env/simulation.ts';
import type { EpisodeMetrics } from '../env/episode-metrics.ts';
import { MatterPhysics } from './matter-physics.ts';
import { MPE_DT, MpeWorld, type MpeEntitySpec } from './mpe-world.ts';

export type MpePhysics = 'mpe' | 'matter';

export const MOVE_ACTION_NAMES = ['no_action', 'move_left', 'move_right', 'move_down', 'move_up'] as const;

export type MpeSetup = {
  entities: MpeEntitySpec[];
  dimC: number;
  /** Entity index of each policy-controlled agent, in agent order. */
  agentEntities: number[];
  layouts: ObservationLayout[];
  actionCounts: number[];
  actionNames: string[][];
  maxSteps: number;
  colors: ([number, number, number] | null)[];
  /** Team per entity for viewers (0 learners, 1 opponents, -1 neutral). */
  teams: number[];
};

/**
 * What every MPE scenario shares: the world, the physics mode, episode bookkeeping, the
 * Simulation arrays, state = the concatenation of every agent's observation (PettingZoo's
 * `state()`), all actions always available (MPE agents never die). Scenarios supply entities,
 * resets, action decoding, rewards and observations.
 */
export abstract class MpeSimulation implements Simulation {
  readonly agentNames: readonly string[];
  readonly actionCounts: readonly number[];
  readonly actionNames: readonly (readonly string[])[];
  readonly layouts: readonly ObservationLayout[];
  readonly stateSize: number;
  readonly maxSteps: number;
  readonly dt = MPE_DT;
  readonly defaultAction: readonly number[];
  readonly deadAction = 0;
  readonly entities: readonly EntityInfo[];
  readonly bounds = [-1, -1, 1, 1] as const;
  readonly alive: Uint8Array;
  readonly positions: Float32Array;
  readonly velocities: Float32Array;
  readonly health: Float32Array;
  readonly shield: Float32Array;
  readonly events: StepEvents = { attacks: [], heals: [] };
  readonly terminated = false;
  readonly won = false;
  t = 0;

  readonly world: MpeWorld;
  readonly agentEntities: Int32Array;
  protected readonly physicsMode: MpePhysics;
  private readonly matter: MatterPhysics | null;
  private readonly stateRaws: RawObservation[];
  private readonly entityIndex: ReadonlyMap<string, number>;

  constructor(setup: MpeSetup, physics: MpePhysics) {
    this.world = new MpeWorld(setup.entities, setup.dimC);
    this.agentEntities = Int32Array.from(setup.agentEntities);
    this.agentNames = setup.agentEntities.map((e) => setup.entities[e].name);
    this.actionCounts = setup.actionCounts;
    this.actionNames = setup.actionNames;
    this.layouts = setup.layouts;
    this.stateSize = setup.layouts.reduce((sum, l) => sum + l.size, 0);
    this.maxSteps = setup.maxSteps;
    this.defaultAction = setup.actionCounts.map(() => 0);
    this.entities = setup.entities.map((spec, e) => ({
      name: spec.name,
      kind: spec.kind === 'agent' ? 'agent' : spec.collide ? 'obstacle' : 'landmark',
      team: setup.teams[e],
      type: spec.type,
      radius: spec.size,
      agent: setup.agentEntities.indexOf(e),
      color: setup.colors[e],
    }));
    this.entityIndex = new Map(setup.entities.map((spec, e) => [spec.name, e]));
    const n = this.world.count;
    this.alive = new Uint8Array(setup.agentEntities.length).fill(1);
    this.positions = new Float32Array(2 * n);
    this.velocities = new Float32Array(2 * n);
    this.health = new Float32Array(n).fill(1);
    this.shield = new Float32Array(n);
    this.physicsMode = physics;
    this.matter = physics === 'matter' ? new MatterPhysics(this.world) : null;
    this.stateRaws = setup.layouts.map((l) => new RawObservation(l));
  }

  /** Draw the episode's initial positions, goals and colours. */
  protected abstract resetEntities(rng: Rng): void;
  /** Decode agent i's action into world forces and comm. */
  protected abstract applyAction(agent: number, action: number): void;
  /** Actions of scripted (non-policy) entities, after the policy agents' ones. */
  protected scriptedActions(): void {}
  protected abstract computeRewards(rewards: Float32Array): void;
  abstract observe(agent: number, out: RawObservation): void;
  /** Fix goals from `--init` (scenarios with goals override this). */
  protected setGoals(goals: Record<string, string>): void {
    if (Object.keys(goals).length > 0) throw new Error(`init.goals: this scenario has no goals`);
  }

  reset(rng: Rng): void {
    this.world.vel.fill(0);
    this.world.force.fill(0);
    this.world.comm.fill(0);
    this.resetEntities(rng);
    this.t = 0;
    this.afterPositionsChanged();
  }

  step(actions: Int32Array, rewards: Float32Array): void {
    const world = this.world;
    world.force.fill(0);
    for (let i = 0; i < this.agentEntities.length; i++) this.applyAction(i, actions[i]);
    this.scriptedActions();
    if (this.matter) {
      this.matter.step();
    } else {
      world.addContactForces();
      world.integrate();
    }
    this.t++;
    this.computeRewards(rewards);
    this.syncOutputs();
  }

  writeMask(agent: number, out: Uint8Array, offset: number): void {
    out.fill(1, offset, offset + this.actionCounts[agent]);
  }

  writeState(out: Float32Array, offset: number): void {
    let o = offset;
    for (let i = 0; i < this.agentEntities.length; i++) {
      const raw = this.stateRaws[i];
      this.observe(i, raw);
      out.set(raw.values, o);
      o += raw.values.length;
    }
  }

  setInitialState(init: InitialState): void {
    for (const [name, value] of Object.entries(init.entities ?? {})) {
      const e = this.entityIndex.get(name);
      if (e === undefined) throw new Error(`init.entities: unknown entity '${name}' (entities: ${[...this.entityIndex.keys()].join(', ')})`);
      if (value.pos) {
        this.world.pos[2 * e] = finite(value.pos[0], `init.entities.${name}.pos[0]`);
        this.world.pos[2 * e + 1] = finite(value.pos[1], `init.entities.${name}.pos[1]`);
      }
      if (value.vel) {
        this.world.vel[2 * e] = finite(value.vel[0], `init.entities.${name}.vel[0]`);
        this.world.vel[2 * e + 1] = finite(value.vel[1], `init.entities.${name}.vel[1]`);
      }
    }
    if (init.goals) this.setGoals(init.goals);
    this.afterPositionsChanged();
  }

  /** No measures beyond return by default; scenarios with a task to check (spread, speaker_listener) override this. */
  episodeMetrics(): EpisodeMetrics {
    return {};
  }

  protected entityByName(name: string, where: string): number {
    const e = this.entityIndex.get(name);
    if (e === undefined) throw new Error(`${where}: unknown entity '${name}'`);
    return e;
  }

  /** Write relative position (other - self) of entity `other` as seen by entity `self`. */
  protected writeRelative(self: number, other: number, values: Float32Array, offset: number): number {
    const pos = this.world.pos;
    const dx = pos[2 * other] - pos[2 * self];
    const dy = pos[2 * other + 1] - pos[2 * self + 1];
    values[offset] = dx;
    values[offset + 1] = dy;
    return Math.sqrt(dx * dx + dy * dy);
  }

  private afterPositionsChanged(): void {
    this.matter?.syncFromWorld();
    this.syncOutputs();
  }

  private syncOutputs(): void {
    const { pos, vel } = this.world;
    for (let i = 0; i < pos.length; i++) {
      this.positions[i] = pos[i];
      this.velocities[i] = vel[i];
    }
  }
}

function finite(value: number, where: string): number {
  if (!Number.isFinite(value)) throw new Error(`${where}: must be a finite number, got ${value}`);
  return value;
}

/** An MPE agent entity with PettingZoo's defaults (size 0.05, mass 1, no speed limit). */
export function agentSpec(name: string, overrides: Partial<MpeEntitySpec> = {}): MpeEntitySpec {
  return { name, kind: 'agent', size: 0.05, movable: true, collide: true, silent: false, mass: 1, maxSpeed: null, accel: null, type: 'agent', ...overrides };
}

/** An MPE landmark with PettingZoo's defaults (size 0.05, immovable). */
export function landmarkSpec(name: string, overrides: Partial<MpeEntitySpec> = {}): MpeEntitySpec {
  return { name, kind: 'landmark', size: 0.05, movable: false, collide: true, silent: true, mass: 1, maxSpeed: null, accel: null, type: 'landmark', ...overrides };
}
