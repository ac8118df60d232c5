import type { SceneMessage } from '../../../shared/protocol.ts';
import type { Snapshot } from '../stream/wire.ts';
import { byId, fmt, formatFlops } from './hud.ts';

/**
 * What the server may send back for an inspected agent. Everything is optional: the panel shows
 * what arrives and says what did not.
 */
export type InspectReply = {
  agent: number;
  teacher: ArrayLike<number> | null;
  student: ArrayLike<number> | null;
  probs: ArrayLike<number> | null;
  /** What the distribution is: 'softmax' (a policy file), 'one-hot' (a scripted heuristic's choice), 'uniform' (random). */
  probsKind: string | null;
  /** Why there are no probabilities (yet), as the server says. */
  probsNote: string | null;
  flopsCap: number | null;
  deadlineMs: number | null;
  /** What runs the slot ('student', 'scripted', ...). */
  policy: string | null;
  /** The agent process's cpu share and memory cap (MB), and how each holds: 'cgroup-v1', 'cgroup-v2' or 'emulated'. */
  cpuCap: number | null;
  memoryCapMb: number | null;
  cpuEnforcement: string | null;
  memoryEnforcement: string | null;
};

function numbers(value: unknown): ArrayLike<number> | null {
  if (ArrayBuffer.isView(value) || Array.isArray(value)) return value as unknown as ArrayLike<number>;
  return null;
}

function finite(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Lenient on purpose: fields the server does not send are simply left out of the panel. */
export function parseInspectReply(message: Record<string, unknown>): InspectReply | null {
  const agent = message['agent'];
  if (typeof agent !== 'number' || !Number.isInteger(agent)) return null;
  return {
    agent,
    teacher: numbers(message['teacher'] ?? message['teacherObs']),
    student: numbers(message['student'] ?? message['studentObs']),
    probs: numbers(message['probs'] ?? message['actionProbs']),
    probsKind: typeof message['probsKind'] === 'string' ? message['probsKind'] : null,
    probsNote: typeof message['probsNote'] === 'string' ? message['probsNote'] : null,
    flopsCap: finite(message['flopsCap'] ?? message['cap']),
    deadlineMs: finite(message['deadlineMs']),
    policy: typeof message['policy'] === 'string' ? message['policy'] : null,
    cpuCap: finite(message['cpuCap']),
    memoryCapMb: finite(message['memoryCapMb']),
    ...enforcement(message['enforcement']),
  };
}

function enforcement(value: unknown): { cpuEnforcement: string | null; memoryEnforcement: string | null } {
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  return { cpuEnforcement: text(record['cpu']), memoryEnforcement: text(record['memory']) };
}

/** '0.25 of a core · cgroup-v1 (enforced by the OS)' */
export function capText(value: string, how: string | null): string {
  const note = how === null ? 'not reported' : how === 'emulated' ? 'emulated by the agent' : `${how} (enforced by the OS)`;
  return `${value} · ${note}`;
}

type Row = { value: HTMLElement };

/** The side panel for one selected agent (or unit): ranges, views, action probabilities, compute. */
export class InspectPanel {
  private readonly root = byId('inspect');
  private readonly title = byId('inspect-title');
  private readonly stats = byId('inspect-stats');
  private readonly probs = byId('inspect-probs');
  private readonly teacherTable = byId<HTMLTableElement>('teacher-view');
  private readonly studentTable = byId<HTMLTableElement>('student-view');
  private readonly teacherCount = byId('teacher-count');
  private readonly studentCount = byId('student-count');
  private teacherRows: Row[] = [];
  private studentRows: Row[] = [];
  private probRows: { fill: HTMLElement; value: HTMLElement; name: HTMLElement }[] = [];
  private probHeading: HTMLElement | null = null;
  entity = -1;
  reply: InspectReply | null = null;

  get open(): boolean {
    return !this.root.hidden;
  }

  show(scene: SceneMessage, entity: number): void {
    this.entity = entity;
    this.reply = null;
    const info = scene.entities[entity]!;
    const agent = info.agent >= 0 ? scene.agents[info.agent] : undefined;
    this.title.textContent = `${agent?.name ?? info.name} · ${info.type} · team ${info.team}`;
    this.teacherRows = this.buildTable(this.teacherTable, agent?.teacherLabels ?? [], agent ? new Set(agent.studentLabels) : null);
    this.studentRows = this.buildTable(this.studentTable, agent?.studentLabels ?? [], null);
    this.teacherCount.textContent = agent ? `(${agent.teacherLabels.length})` : '';
    this.studentCount.textContent = agent ? `(${agent.studentLabels.length})` : '';
    this.probs.replaceChildren();
    this.probRows = [];
    this.probHeading = null;
    if (agent) {
      const heading = document.createElement('h4');
      heading.textContent = 'action probabilities';
      this.probHeading = heading;
      const grid = document.createElement('div');
      grid.className = 'probs';
      this.probRows = agent.actionNames.map((name, i) => {
        const label = document.createElement('span');
        label.textContent = name || `a${i}`;
        const bar = document.createElement('div');
        bar.className = 'bar';
        const fill = document.createElement('i');
        fill.style.width = '0%';
        bar.append(fill);
        const value = document.createElement('span');
        value.className = 'mono';
        grid.append(label, bar, value);
        return { fill, value, name: label };
      });
      this.probs.append(heading, grid);
    }
    this.root.hidden = false;
  }

  /** The bars as shown, for tests: the heading and each action's value text. */
  shownProbabilities(): { heading: string; values: string[] } {
    return { heading: this.probHeading?.textContent ?? '', values: this.probRows.map((row) => row.value.textContent ?? '') };
  }

  hide(): void {
    this.root.hidden = true;
    this.entity = -1;
    this.reply = null;
  }

  private buildTable(table: HTMLTableElement, labels: readonly string[], studentSees: Set<string> | null): Row[] {
    table.replaceChildren();
    if (labels.length === 0) {
      const row = table.insertRow();
      row.insertCell().textContent = 'no view (not an agent)';
      return [];
    }
    return labels.map((label) => {
      const row = table.insertRow();
      if (studentSees && !studentSees.has(label)) {
        row.className = 'hidden-from-student';
        row.title = 'the student does not observe this feature';
      }
      const name = row.insertCell();
      name.textContent = label;
      name.title = label;
      const value = row.insertCell();
      value.className = 'v';
      value.textContent = '·';
      return { value };
    });
  }

  update(scene: SceneMessage, snap: Snapshot): void {
    if (!this.open || this.entity < 0) return;
    const e = this.entity;
    const info = scene.entities[e]!;
    const a = info.agent;
    const agents = snap.agents;
    const entries: [string, string][] = [
      ['alive', snap.alive[e] ? 'yes' : 'dead'],
      ['health', `${Math.round(100 * snap.health[e]!)}%${snap.shield[e]! > 0 ? ` · shield ${Math.round(100 * snap.shield[e]!)}%` : ''}`],
      ['position', `${fmt(snap.positions[2 * e]!)}, ${fmt(snap.positions[2 * e + 1]!)}`],
    ];
    const rotations = snap.extras.rotations;
    if (rotations) entries.push(['heading', `${(((Math.round((rotations[e]! * 180) / Math.PI) % 360) + 360) % 360)}° from +x`]);
    if (a >= 0) {
      const agent = scene.agents[a]!;
      const action = agents.lastAction[a]!;
      entries.push(
        ['sight / attack', `${fmt(agent.sightRange)} / ${fmt(agent.attackRange)}`],
        ['connected', agents.connected[a] ? 'yes' : 'no'],
        ['last action', action >= 0 ? (agent.actionNames[action] ?? String(action)) : '–'],
        ['latency', `${agents.latencyMs[a]!.toFixed(2)} ms (median)`],
        ['deadline misses', String(agents.misses[a])],
        ['compute / decision', formatFlops(agents.flops[a]!)],
        ['compute cap', this.reply?.flopsCap != null ? formatFlops(this.reply.flopsCap) : 'not reported'],
      );
      if (this.reply?.deadlineMs != null) entries.push(['deadline', `${this.reply.deadlineMs} ms`]);
      if (this.reply?.cpuCap != null) entries.push(['cpu cap', capText(`${this.reply.cpuCap} of a core`, this.reply.cpuEnforcement)]);
      if (this.reply?.memoryCapMb != null) entries.push(['memory cap', capText(`${this.reply.memoryCapMb} MB`, this.reply.memoryEnforcement)]);
      if (this.reply?.policy) entries.push(['policy', this.reply.policy]);
      if (this.reply && this.reply.agent === a && !this.reply.probs && !snapshotProbabilities(scene, snap, a)) entries.push(['action probabilities', this.reply.probsNote ?? 'not sent by the server']);
      const roles = snap.extras.roles;
      if (roles) entries.push(['role', snap.extras.roleNames[roles[a]!] ?? `#${roles[a]}`]);
      const relations = snap.extras.relations;
      if (relations) {
        const n = scene.agents.length;
        let best = -1;
        for (let j = 0; j < n; j++) if (j !== a && (best < 0 || relations[a * n + j]! > relations[a * n + best]!)) best = j;
        if (best >= 0) entries.push(['strongest link', `${scene.agents[best]!.name} (${fmt(relations[a * n + best]!)})`]);
      }
    }
    this.stats.replaceChildren(
      ...entries.flatMap(([k, v]) => {
        const dt = document.createElement('dt');
        dt.textContent = k;
        const dd = document.createElement('dd');
        dd.textContent = v;
        return [dt, dd];
      }),
    );
    const reply = this.reply && this.reply.agent === a ? this.reply : null;
    fill(this.teacherRows, reply?.teacher ?? null);
    fill(this.studentRows, reply?.student ?? null);
    // The snapshot's distributions (while an overlay is on) are this tick's, like its roles; else the inspect reply's.
    const probs = (a >= 0 ? snapshotProbabilities(scene, snap, a) : null) ?? reply?.probs ?? null;
    // What they are comes with the inspect reply (the slot's policy); snapshots do not say.
    const kind = probs && reply?.probsKind ? (KIND_LABELS[reply.probsKind] ?? reply.probsKind) : null;
    if (this.probHeading) this.probHeading.textContent = `action probabilities${kind ? ` · ${kind}` : ''}`;
    const taken = a >= 0 ? agents.lastAction[a]! : -1;
    this.probRows.forEach((row, i) => {
      const p = probs && i < probs.length ? probs[i]! : null;
      row.fill.style.width = p === null ? '0%' : `${Math.round(100 * p)}%`;
      row.value.textContent = p === null ? '–' : p.toFixed(2);
      row.name.classList.toggle('taken', i === taken);
    });
  }
}

/** Agent a's distribution from the snapshot, when the snapshot has one for it (role >= 0). */
function snapshotProbabilities(scene: SceneMessage, snap: Snapshot, a: number): Float32Array | null {
  const all = snap.extras.probabilities;
  const roles = snap.extras.roles;
  if (!all || !roles || roles[a]! < 0) return null;
  let from = 0;
  for (let i = 0; i < a; i++) from += scene.agents[i]!.actionCount;
  return all.subarray(from, from + scene.agents[a]!.actionCount);
}

const KIND_LABELS: Record<string, string> = {
  softmax: 'policy softmax',
  'one-hot': 'scripted: one-hot of its choice',
  uniform: 'random: uniform over allowed',
};

function fill(rows: Row[], values: ArrayLike<number> | null): void {
  for (let i = 0; i < rows.length; i++) {
    rows[i]!.value.textContent = values && i < values.length ? fmt(values[i]!) : '·';
  }
}
