/**
 * The handshake: what a connection claims in its hello and what the server answers in its welcome
 * (the slots, the world's sizes, the tick mode and the fallback action).
 */
import type { EntityInfo } from './entity-info.ts';
import type { ROLES, Role } from './protocol.ts';
import type { Caps } from './student-profile.ts';
import type { ViewSpec } from './view-spec.ts';

/** One slot an agent connection claims in its hello. */
export type SlotClaim = {
  slot: number;
  token: string;
  caps: Caps;
  /** The view this slot's policy was trained on; absent: the scenario's default student view. */
  view?: ViewSpec;
  /** Views by agent name (a policy file's table); the server picks the slot's agent. */
  viewByAgent?: Record<string, ViewSpec>;
  /** What runs the slot ('student', 'scripted', 'random'), for status lines. */
  policy: string;
  /**
   * The slot's actions are samples of its policy (`kdmarl agent --sample`), which the online
   * teacher's policy-gradient term needs. Absent: greedy (agents send it only when true).
   */
  sample?: boolean;
};

/** The first frame of every connection; its role decides the path (supervisors at SUPERVISOR_PATH). */
export type Hello =
  | {
      kind: 'hello';
      version: number;
      role: typeof ROLES.agent;
      slots: SlotClaim[];
      /** Views by agent name for every slot of this hello (a policy file's table, sent once); a slot's own view or table wins. */
      viewByAgent?: Record<string, ViewSpec>;
      pid?: number;
    }
  | {
      kind: 'hello';
      version: number;
      role: typeof ROLES.spectator;
      /** The control token; without it the spectator is read-only. */
      token?: string;
      /** Snapshot rate in Hz. */
      rate?: number;
    }
  | {
      kind: 'hello';
      version: number;
      role: typeof ROLES.supervisor;
      token: string;
      /** Send teacher (full) observations in step frames (default true). */
      teacherObservations: boolean;
    }
  | {
      kind: 'hello';
      version: number;
      role: typeof ROLES.controller;
      /** The control token. */
      token: string;
    };

/** What a slot looks like to its agent: the answer to its claim. */
export type SlotInfo = {
  slot: number;
  agent: string;
  type: string;
  observationSize: number;
  actionCount: number;
  actionNames: string[];
  /** The effective deadline for this slot (its caps or the server default). */
  deadlineMs: number;
  view: ViewSpec;
  labels: string[];
  /** The agent's full observation layout (block names, rows, features) for scripted policies. */
  layout: { name: string; rows: number; features: string[]; spatial: boolean }[];
};

export type WelcomeMessage = {
  kind: 'welcome';
  version: number;
  role: Role;
  scenario: string;
  family: string;
  mode: TickMode;
  /** Realtime tick rate (Hz); 0 in lockstep. */
  hz: number;
  /** The server's default deadline (ms). */
  deadlineMs: number;
  maxSteps: number;
  dt: number;
  tick: number;
  episode: number;
  agentNames: string[];
  entities: EntityInfo[];
  stateSize: number;
  /** Agents only: one entry per claimed slot, in hello order. */
  slots: SlotInfo[];
  /** Supervisors: every agent's teacher and student observation sizes, in agent order. */
  teacherSizes: number[];
  studentSizes: number[];
  actionCounts: number[];
  /** Spectators: whether control messages will be accepted. */
  control: boolean;
};

export const TICK_MODES = { lockstep: 'lockstep', realtime: 'realtime' } as const;
export type TickMode = (typeof TICK_MODES)[keyof typeof TICK_MODES];

/** The action used when an agent's answer is late, missing or invalid. */
export const FALLBACKS = { hold: 'hold', stop: 'stop' } as const;
export type Fallback = (typeof FALLBACKS)[keyof typeof FALLBACKS];
