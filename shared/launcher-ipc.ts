/**
 * Messages between `kdmarl up`'s launcher and the agent processes it forks, over their IPC
 * channel. An agent that loses the channel (its launcher died, even by SIGKILL) stops.
 */

/** Agent to launcher. `standby`: a spare listens for its claim; `ready`: the agent holds its slot. */
export const LAUNCHER_MESSAGES = { standby: 'standby', ready: 'ready' } as const;

export type LauncherMessage = { kind: (typeof LAUNCHER_MESSAGES)[keyof typeof LAUNCHER_MESSAGES] };

/** Launcher to a warm spare (an agent started with --standby): the slot it now runs. */
export type ClaimMessage = { kind: 'claim'; slot: number; token: string };
