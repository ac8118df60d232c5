/**
 * The link between a process and the launcher that started it over an IPC channel: `kdmarl up`'s
 * agent processes, and the commands `kdmarl adapt` runs. When the launcher dies, even by SIGKILL,
 * the channel closes with it and the process stops instead of living on without it.
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

/**
 * A `kdmarl` command started with an IPC channel stops as on SIGTERM once the channel closes: a
 * run loop (train, teacher) stops at the next update boundary with its checkpoint, any other
 * command ends as SIGTERM ends it. The launcher's pipes died with it, so writes through
 * process.stdout and process.stderr are lost from then on instead of crashing the process with EPIPE
 * before it has saved (a logger writing to fd 2 by itself, as `serve`'s does, is not covered; adapt
 * starts no such command).
 */
export function stopWithLauncher(): void {
  // No channel: started by hand.
  if (typeof process.send !== 'function') return;
  for (const stream of [process.stdout, process.stderr]) stream.on('error', ignoreBrokenPipe);
  const stop = (): void => {
    process.kill(process.pid, 'SIGTERM');
  };
  // The launcher may be gone already (it died while this process was loading).
  if (!process.connected) stop();
  else watchLauncher(stop);
}

function ignoreBrokenPipe(error: NodeJS.ErrnoException): void {
  if (error.code !== 'EPIPE') throw error;
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
