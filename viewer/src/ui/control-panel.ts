import { byId } from './hud.ts';

/** Whether this page may drive the run, as far as the page and the server have said. */
export const CONTROL_ACCESS = {
  /** Live, with a token the server has not refused. */
  allowed: 'allowed',
  /** Live, but the page has no `?token=`. */
  noToken: 'no-token',
  /** The server answered that the page's token is not its control token. */
  rejected: 'rejected',
  /** No live run to control: before the first connection, or playing a replay. */
  offline: 'offline',
} as const;
export type ControlAccess = (typeof CONTROL_ACCESS)[keyof typeof CONTROL_ACCESS];

const RUN_CONTROLS = ['btn-pause', 'btn-step', 'btn-reset', 'sel-speed', 'in-scenario', 'btn-scenario'] as const;

/** Shown on each disabled control (its tooltip) and when a shortcut is pressed anyway. */
const REASONS: Record<ControlAccess, string | null> = {
  allowed: null,
  'no-token': 'read-only: open the viewer with ?token=… (the URL kdmarl serve and kdmarl up print) to control the run',
  rejected: 'disabled: the server rejected this page’s control token (?token=)',
  offline: 'no live run to control',
};

/** The line under the controls: says why they are off where the page can do something about it. */
const STATUS: Record<ControlAccess, string> = {
  allowed: '',
  'no-token': 'Read-only: add ?token=… to the URL to pause, step or reset (kdmarl serve and kdmarl up print the full URL).',
  rejected:
    'Control token rejected by the server: Pause, Step, Reset, speed and scenario are disabled. Open the viewer URL that kdmarl serve or kdmarl up printed; it carries the current token.',
  offline: '',
};

/**
 * The run controls (pause, step, reset, speed, scenario): enabled only when the server may accept
 * them, and otherwise disabled with the reason on each control and in the status line. Also fills
 * the scenario switcher's list.
 */
export class ControlPanel {
  access: ControlAccess = CONTROL_ACCESS.offline;
  private readonly status = byId('control-status');
  private readonly titles = new Map<string, string>();

  constructor() {
    for (const id of RUN_CONTROLS) this.titles.set(id, byId(id).title);
    this.set(CONTROL_ACCESS.offline);
  }

  set(access: ControlAccess): void {
    this.access = access;
    const reason = REASONS[access];
    for (const id of RUN_CONTROLS) {
      const control = byId<HTMLButtonElement>(id);
      control.disabled = reason !== null;
      control.title = reason ?? this.titles.get(id) ?? '';
    }
    this.status.textContent = STATUS[access];
    this.status.hidden = STATUS[access] === '';
    this.status.classList.toggle('rejected', access === CONTROL_ACCESS.rejected);
  }

  /** Fill the scenario switcher from the server's /scenarios (absent under `vite dev`: then typed names only). */
  async loadScenarioNames(): Promise<void> {
    try {
      const response = await fetch(new URL('scenarios', location.href.split('?')[0]), { cache: 'no-store' });
      if (!response.ok) return;
      const body = (await response.json()) as { scenarios?: { name?: unknown; family?: unknown }[] };
      for (const entry of body.scenarios ?? []) {
        if (typeof entry.name === 'string') this.addScenario(entry.name, typeof entry.family === 'string' ? entry.family : '');
      }
    } catch {
      // No listing: the switcher still takes a typed name.
    }
  }

  addScenario(name: string, label: string): void {
    const list = byId('scenario-list');
    if ([...list.children].some((o) => (o as HTMLOptionElement).value === name)) return;
    const option = document.createElement('option');
    option.value = name;
    option.label = label;
    list.append(option);
  }

  /** Why a control cannot be sent now, or null when it can. */
  get refusal(): string | null {
    return REASONS[this.access];
  }
}
