import type { SceneMessage } from '../../../shared/protocol.ts';
import { agentsColoredByRole } from '../world/entity-colors.ts';

type Entity = SceneMessage['entities'][number];

/** One line of the legend: who (label), how many of which type (detail), the colours drawn, and the entity indices. */
export type TeamEntry = { label: string; detail: string; colors: string[]; entities: number[] };

/** Types that only repeat the kind ("agent", "landmark"): not worth a detail. */
const GENERIC_TYPES = new Set(['agent', 'landmark', 'obstacle', 'unit', 'wall', 'goal', 'body']);
/** Enough dots to show landmarks of different colours without a long row. */
const MAX_SWATCHES = 4;

/**
 * Which side is which colour: SMAC maps have allies (the agents) and enemies (the built-in AI);
 * MPE scenarios have agents, landmarks, obstacles, and adversaries or prey where colour marks a
 * role. `colorOf` is the colour the scene draws each entity in, so the legend cannot disagree
 * with the picture.
 */
export function teamEntries(scene: SceneMessage, colorOf: (entity: number) => string): TeamEntry[] {
  const byRole = agentsColoredByRole(scene);
  const groups = new Map<string, Group & { entities: number[] }>();
  scene.entities.forEach((entity, i) => {
    const group = groupOf(entity, scene.family, byRole);
    const found = groups.get(group.key) ?? { ...group, entities: [] };
    found.entities.push(i);
    groups.set(group.key, found);
  });
  return [...groups.values()].map((group) => {
    const members = group.entities.map((i) => scene.entities[i]!);
    const colors = [...new Set(group.entities.map(colorOf))].slice(0, MAX_SWATCHES);
    const detail = group.namesType ? String(members.length) : detailOf(members);
    return { label: group.label(members.length), detail, colors, entities: group.entities };
  });
}

/** `namesType`: the label already says the type, so the detail is just the count. */
type Group = { key: string; label: (count: number) => string; namesType?: boolean };

function groupOf(entity: Entity, family: string, byRole: boolean): Group {
  if (entity.kind === 'landmark') return { key: 'landmark', label: () => 'landmarks' };
  if (entity.kind === 'obstacle') return { key: 'obstacle', label: () => 'obstacles' };
  if (entity.kind === 'wall') return { key: 'wall', label: () => 'walls' };
  if (entity.kind === 'goal') return { key: 'goal', label: () => 'goals' };
  if (entity.kind === 'body') return { key: 'body', label: () => 'bodies' };
  const controlled = entity.agent >= 0;
  if (family === 'smac') {
    if (entity.team === 0) return { key: 'team0', label: () => 'allies (agents)' };
    if (entity.team === 1) return { key: 'team1', label: () => 'enemies (built-in AI)' };
    return { key: 'neutral', label: () => 'neutral' };
  }
  if (byRole) {
    const type = entity.type;
    return controlled
      ? { key: `agent:${type}`, label: (n) => `${type} ${n === 1 ? 'agent' : 'agents'}`, namesType: true }
      : { key: `scripted:${type}`, label: () => `${type} (scripted)`, namesType: true };
  }
  if (controlled) return { key: 'agents', label: () => 'agents' };
  return entity.team >= 0 ? { key: `team${entity.team}`, label: () => 'scripted' } : { key: 'neutral', label: () => 'neutral' };
}

/** "3 marine" or "7 marine, 2 marauder, 1 medivac"; just the count where the type says nothing more. */
function detailOf(entities: Entity[]): string {
  const counts = new Map<string, number>();
  for (const e of entities) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
  if (counts.size === 1 && GENERIC_TYPES.has(entities[0]!.type)) return String(entities.length);
  return [...counts].map(([type, n]) => `${n} ${type}`).join(', ');
}

/** The legend row in the HUD: a swatch per colour, the label, and the detail in muted text. */
export class TeamLegend {
  entries: TeamEntry[] = [];
  private readonly root: HTMLElement;

  constructor(root: HTMLElement) {
    this.root = root;
  }

  show(scene: SceneMessage, colorOf: (entity: number) => string): void {
    this.entries = teamEntries(scene, colorOf);
    this.root.replaceChildren(
      ...this.entries.map((entry) => {
        const item = document.createElement('span');
        item.className = 'team';
        for (const color of entry.colors) {
          const dot = document.createElement('i');
          dot.style.background = color;
          item.append(dot);
        }
        const detail = document.createElement('span');
        detail.className = 'muted';
        detail.textContent = entry.detail;
        item.append(`${entry.label} `, detail);
        return item;
      }),
    );
  }
}
