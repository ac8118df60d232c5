import type { Snapshot } from '../stream/wire.ts';
import { ROLE_COLORS_CSS } from '../world/agent-overlays.ts';

/**
 * Says what the graph and role overlays show. The server computes both from the agents' action
 * distributions (sent only while someone looks): an edge's brightness is the relation
 * R[i][j] = distance between the two agents' action distributions / mean distance (the L_SR relation of docs/method.md §3.3,
 * brightest = the pair acting most differently); a role is the action category
 * (hold, move, attack, heal, say) holding most of the agent's probability mass.
 */
export class OverlayLegend {
  private readonly root: HTMLElement;
  private readonly graphLine: HTMLElement;
  private readonly rolesLine: HTMLElement;
  private shownRoles = '';

  constructor(parent: HTMLElement) {
    this.root = document.createElement('div');
    this.root.id = 'overlay-legend';
    this.root.className = 'panel legend small';
    this.root.hidden = true;
    this.graphLine = document.createElement('div');
    this.rolesLine = document.createElement('div');
    this.root.append(this.graphLine, this.rolesLine);
    parent.append(this.root);
  }

  update(graph: boolean, roles: boolean, snap: Snapshot | null): void {
    this.root.hidden = !graph && !roles;
    if (this.root.hidden) return;
    const extras = snap?.extras ?? null;
    this.graphLine.hidden = !graph;
    if (graph) {
      this.graphLine.textContent = extras?.relations
        ? 'graph: edge brightness = distance between two agents’ action distributions / mean distance (brightest: act most differently)'
        : 'graph: waiting for action distributions (agents with a policy, scripted or random send them on request)';
    }
    this.rolesLine.hidden = !roles;
    if (!roles) return;
    const names = extras?.roles ? extras.roleNames : [];
    const key = names.join('|');
    if (key === this.shownRoles && this.rolesLine.childElementCount > 0) return;
    this.shownRoles = key;
    if (names.length === 0) {
      this.rolesLine.textContent = 'roles: waiting for action distributions';
      return;
    }
    const label = document.createElement('span');
    label.textContent = 'role = most likely action category: ';
    const swatches = names.map((name, i) => {
      const item = document.createElement('span');
      item.className = 'swatch';
      const dot = document.createElement('i');
      dot.style.background = ROLE_COLORS_CSS[i % ROLE_COLORS_CSS.length]!;
      item.append(dot, name);
      return item;
    });
    this.rolesLine.replaceChildren(label, ...swatches);
  }
}
