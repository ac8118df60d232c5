import { Color } from 'three';
import type { SceneMessage } from '../../../shared/protocol.ts';

type Entity = SceneMessage['entities'][number];

/** Team 0 (the learning side) blue, team 1 (the enemy or scripted side) red. */
export const TEAM_COLORS: readonly string[] = ['#3b82f6', '#ef4444'];
export const NEUTRAL_COLOR = '#9ca3af';
const OBSTACLE_COLOR = '#475569';
/** Reference colours are chosen for a white background; darker ones are lifted to this lightness. */
const MIN_LIGHTNESS = 0.45;

/**
 * True where a scenario tells its agents apart by reference colour (MPE tag: red adversaries, a
 * green prey): one team colour would make the two roles look alike, so the scene keeps theirs.
 */
export function agentsColoredByRole(scene: SceneMessage): boolean {
  const colors = new Set<string>();
  for (const entity of scene.entities) if (entity.kind === 'agent' && entity.color) colors.add(entity.color.join(','));
  return colors.size > 1;
}

/**
 * The colour each entity is drawn in: the team colour for units and agents, the reference colour
 * for landmarks, obstacles and neutral bodies (and for agents where colour marks their role).
 * The HUD's legend reads the same colours, so it always says what the scene shows.
 */
export function entityColors(scene: SceneMessage): Color[] {
  const byRole = agentsColoredByRole(scene);
  return scene.entities.map((entity) => colorOf(entity, byRole));
}

function colorOf(entity: Entity, byRole: boolean): Color {
  const ownColor = entity.kind === 'landmark' || entity.kind === 'obstacle' || entity.team < 0 || (byRole && entity.kind === 'agent');
  const colour = entity.color && ownColor
    ? new Color(entity.color[0], entity.color[1], entity.color[2])
    : new Color(entity.team >= 0 ? (TEAM_COLORS[entity.team] ?? NEUTRAL_COLOR) : NEUTRAL_COLOR);
  // Static bodies (obstacles, walls) stay dark whatever their reference colour's lightness.
  const fixed = entity.kind === 'obstacle' || entity.kind === 'wall';
  if (fixed && !entity.color) colour.set(OBSTACLE_COLOR);
  if (fixed) return colour;
  const hsl = { h: 0, s: 0, l: 0 };
  colour.getHSL(hsl);
  if (hsl.l < MIN_LIGHTNESS) colour.setHSL(hsl.h, hsl.s, MIN_LIGHTNESS + hsl.l * 0.3);
  return colour;
}
