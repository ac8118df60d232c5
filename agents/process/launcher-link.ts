/**
 * The link between an agent process and the launcher that started it (`kdmarl up`), over the IPC
 * channel the launcher opens. When the launcher dies, even by SIGKILL, the channel closes with it
 * and the agent stops instead of living on until its reconnects give up.
 */
import type { ClaimMessage, LauncherMessage } from '../../shared/launcher-ipc.ts';

export { LAUNCHER_MESSAGES } from '../../shared/launcher-ipc.ts';

/** Call `onGone` once the launcher's channel closes; a process started by hand has no channel and nothing happens. */
export function watchLauncher(onGone: () => void): void {
  if (!process.channel) return;
  // The channel must not keep a finished agent alive.
  process.channel.unref();
  process.once('disconnect', onGone);
}

/** Tell the launcher something (the agent holds its slot); a closed or absent channel is ignored. */
export function tellLauncher(message: LauncherMessage): void {
  if (!process.send || !process.connected) return;
  process.send(message, undefined, {}, () => {});
}

/** A warm spare waits here for its slot; null when the launcher goes away first (or there is none). */
export function waitForClaim(): Promise<{ slot: number; token: string } | null> {
  return new Promise((resolve) => {
    if (!process.channel) {
      resolve(null);
      return;
    }
    const onMessage = (message: Partial<ClaimMessage>): void => {
      if (message?.kind !== 'claim' || typeof message.slot !== 'number' || typeof message.token !== 'string') return;
      done();
      resolve({ slot: message.slot, token: message.token });
    };
    const onGone = (): void => {
      done();
      resolve(null);
    };
    const done = (): void => {
      process.off('message', onMessage);
      process.off('disconnect', onGone);
    };
    process.on('message', onMessage);
    process.once('disconnect', onGone);
  });
}
