import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { fromRoot } from '../../shared/paths.ts';
import type { Caps } from '../../shared/student-profile.ts';
import { removeAgentCgroup } from '../../shared/cgroup-caps.ts';
import { LAUNCHER_MESSAGES, type ClaimMessage, type LauncherMessage } from '../../shared/launcher-ipc.ts';

export type AgentSpec = {
  slot: number;
  token: string;
  model: string;
  caps: Caps;
  /** More `kdmarl agent` flags (fault injection). */
  args?: string[];
  /** Host mode: this process claims these slots (e.g. '0-63') with tokens from `tokensFile`. */
  hostSlots?: string;
  tokensFile?: string;
};

/**
 * When a crashed agent comes back. A crash after the agent held its slot for `healthyMs` is not a
 * loop: it restarts after `soonMs` and its back-off starts over. An agent that exits on its own
 * before that (at start-up, or soon after connecting) made a quick crash: the first
 * `freeQuickCrashes` in a row still restart after `soonMs`, later ones wait `backoffBaseMs` x 2^k,
 * capped at `backoffMaxMs`. A process killed by a signal restarts after `soonMs` whenever it dies.
 */
export const RESTART = {
  soonMs: 100,
  healthyMs: 1000,
  freeQuickCrashes: 3,
  backoffBaseMs: 250,
  backoffMaxMs: 10_000,
} as const;

/** The wait before restarting after `quickCrashes` quick crashes in a row (this one included). */
export function restartDelay(quickCrashes: number): number {
  if (quickCrashes <= RESTART.freeQuickCrashes) return RESTART.soonMs;
  return Math.min(RESTART.backoffMaxMs, RESTART.backoffBaseMs * 2 ** (quickCrashes - RESTART.freeQuickCrashes - 1));
}

type Spare = {
  child: ChildProcess;
  onExit: (code: number | null) => void;
  /** The spare listens for its claim (it said 'standby'); a claim sent before that would be lost. */
  listening: boolean;
  /** The claim to send once it listens, when it was taken before that. */
  claim: ClaimMessage | null;
};

type Managed = {
  spec: AgentSpec;
  child: ChildProcess | null;
  restarts: number;
  /** Crashes in a row that came before the agent had held its slot for RESTART.healthyMs. */
  quickCrashes: number;
  /** When the running process said it holds its slot (0: not yet). */
  readyAt: number;
  /** Set while a restart waits its delay. */
  restartTimer: NodeJS.Timeout | null;
  stopping: boolean;
  stderrTail: string;
};

type Events = {
  spawned: [slot: number, pid: number];
  /** The agent process holds its slot (it was welcomed by the server). */
  ready: [slot: number, pid: number];
  /** A warm spare was started (it takes the next crashed slot of its kind). */
  spare: [pid: number];
  /** A crashed agent will be started again after `delayMs`. */
  restarting: [slot: number, delayMs: number];
  /** `lastLine`: the last stderr line (why it stopped). */
  exited: [slot: number, code: number | null, signal: string | null, expected: boolean, lastLine: string];
};

/**
 * What agent processes run: the agent bundle (one ES module, built by `npm run build`), which
 * takes `kdmarl agent`'s flags. Loading one file instead of a few hundred is most of an agent's
 * start-up (docs/protocol.md). Compiled JS either way: no TypeScript loader in an agent process.
 */
export function builtAgent(): string {
  const bundle = fromRoot('dist', 'agent.js');
  if (!existsSync(bundle)) throw new Error(`agent processes run from ${bundle}, which does not exist: run npm run build`);
  return bundle;
}

/**
 * Starts one `kdmarl agent` process per spec, restarts crashed ones (see RESTART), and
 * stops them all cleanly: SIGTERM, then SIGKILL after a timeout. Tokens travel in the environment
 * or over IPC, never on the command line (other users can read argv). Every agent has an IPC
 * channel to this process: it says when it holds its slot, and it exits when the channel closes
 * (this process died, even by SIGKILL). With `spares`, a warm agent of each kind waits with its
 * model loaded and takes over a crashed slot without a process start-up.
 */
export class AgentLauncher extends EventEmitter<Events> {
  private readonly managed = new Map<number, Managed>();
  private readonly url: string;
  private readonly log: Logger;
  private readonly restart: boolean;
  private readonly agentScript: string;
  private readonly quiet: boolean;
  private readonly restartDelayMs: number | undefined;
  private readonly childStderr: 'pipe' | 'inherit';
  private readonly useSpares: boolean;
  private readonly ca: string | undefined;
  /** Warm spares by agent kind (model, caps, flags): started with --standby, model loaded, no slot yet. */
  private readonly spares = new Map<string, Spare>();
  private closing = false;

  /**
   * `childStderr`: 'inherit' writes the agents' stderr to this process's (no last line on a crash then).
   * `spares`: keep one warm agent process per kind of agent, which takes over a crashed slot at once.
   */
  constructor(options: {
    url: string;
    log: Logger;
    restart?: boolean;
    quietChildren?: boolean;
    restartDelayMs?: number;
    childStderr?: 'pipe' | 'inherit';
    spares?: boolean;
    /** A CA (or the server's own certificate) the agents trust for a wss:// server, passed as --ca. */
    ca?: string;
  }) {
    super();
    this.url = options.url;
    this.log = options.log;
    this.restart = options.restart ?? true;
    this.quiet = options.quietChildren ?? true;
    this.restartDelayMs = options.restartDelayMs;
    this.childStderr = options.childStderr ?? 'pipe';
    this.useSpares = options.spares ?? false;
    this.ca = options.ca;
    this.agentScript = builtAgent();
  }

  start(spec: AgentSpec): void {
    const existing = this.managed.get(spec.slot);
    if (existing?.child) throw new Error(`slot ${spec.slot} already has an agent process`);
    const managed: Managed = existing ?? { spec, child: null, restarts: 0, quickCrashes: 0, readyAt: 0, restartTimer: null, stopping: false, stderrTail: '' };
    managed.spec = spec;
    managed.stopping = false;
    this.managed.set(spec.slot, managed);
    this.closing = false;
    this.spawnManaged(managed);
  }

  /** One agent process for `spec`: for its slot, or (standby) a spare that waits for one over IPC. */
  private spawnAgent(spec: AgentSpec, standby: boolean): ChildProcess {
    // A small young generation: agents allocate little per tick, and it saves ~10 MiB of RSS per process.
    // One V8 worker thread instead of one per core: ~4 MiB less per agent process.
    const execArgv = ['--max-semi-space-size=1', '--v8-pool-size=1', ...(spec.caps.memoryMb !== undefined ? [`--max-old-space-size=${spec.caps.memoryMb}`] : [])];
    const claim = standby ? ['--standby'] : spec.hostSlots !== undefined ? ['--host-slots', spec.hostSlots, '--tokens-file', spec.tokensFile ?? ''] : ['--slot', String(spec.slot)];
    const args = [this.agentScript, '--server', this.url, ...claim, '--model', spec.model, ...capArgs(spec.caps), ...(this.ca ? ['--ca', this.ca] : []), ...(spec.args ?? [])];
    if (this.quiet) args.push('--log-level', 'warn');
    return spawn(process.execPath, [...execArgv, ...args], {
      // msgpackr's native addon only speeds up string-heavy data; skipping it saves ~5 MiB and ~10 ms per agent.
      env: { ...process.env, ...(standby ? {} : { KDMARL_AGENT_TOKEN: spec.token }), MSGPACKR_NATIVE_ACCELERATION_DISABLED: 'true' },
      // The IPC channel: the agent says when it holds its slot, and exits when this process is gone.
      stdio: ['ignore', 'ignore', this.childStderr, 'ipc'],
    });
  }

  /** Run the slot's agent: the warm spare of its kind when there is one (handed the slot over IPC), else a new process. */
  private spawnManaged(managed: Managed): void {
    const { spec } = managed;
    const spare = this.takeSpare(spec);
    if (spare) {
      const claim: ClaimMessage = { kind: 'claim', slot: spec.slot, token: spec.token };
      if (spare.listening) spare.child.send(claim);
      else spare.claim = claim;
    }
    this.attach(managed, spare?.child ?? this.spawnAgent(spec, false));
    // Also when the spare taken was dying (killed, its exit not seen yet): the next one starts now.
    this.fillSpare(spec);
  }

  private attach(managed: Managed, child: ChildProcess): void {
    const { spec } = managed;
    managed.child = child;
    managed.readyAt = 0;
    managed.stderrTail = '';
    child.on('message', (message: LauncherMessage) => {
      if (message?.kind !== LAUNCHER_MESSAGES.ready || managed.child !== child) return;
      managed.readyAt = Date.now();
      this.emit('ready', spec.slot, child.pid ?? 0);
    });
    child.on('error', (error) => this.log.error({ slot: spec.slot, err: error.message }, 'agent process failed to start'));
    child.stderr?.on('data', (chunk: Buffer) => {
      if (managed.child !== child) return;
      managed.stderrTail = (managed.stderrTail + chunk.toString()).slice(-2000);
    });
    child.on('exit', (code, signal) => {
      if (managed.child === child) managed.child = null;
      // An agent killed (SIGKILL, crash) could not remove its cgroup; it is empty now.
      if (child.pid !== undefined) removeAgentCgroup(child.pid);
      const expected = managed.stopping;
      const lastLine = managed.stderrTail.trim().split('\n').pop() ?? '';
      this.emit('exited', spec.slot, code, signal, expected, lastLine);
      if (expected) return;
      this.log.warn({ slot: spec.slot, code, signal, lastLine }, 'agent process exited');
      // 0: stopped cleanly (shutdown, scenario switch); 2: refused its policy, which a restart would not change.
      if (!this.restart || code === 0 || code === 2) return;
      const healthy = managed.readyAt > 0 && Date.now() - managed.readyAt >= RESTART.healthyMs;
      // Killed by a signal (an operator, a fault test) is not the agent failing on its own: no back-off for it.
      if (healthy) managed.quickCrashes = 0;
      else if (signal === null) managed.quickCrashes++;
      const delay = this.restartDelayMs ?? restartDelay(managed.quickCrashes);
      managed.restarts++;
      this.emit('restarting', spec.slot, delay);
      managed.restartTimer = setTimeout(() => {
        managed.restartTimer = null;
        if (!managed.stopping && !managed.child) this.spawnManaged(managed);
      }, delay);
      managed.restartTimer.unref();
    });
    if (child.pid !== undefined) this.emit('spawned', spec.slot, child.pid);
  }

  private takeSpare(spec: AgentSpec): Spare | null {
    const key = spareKey(spec);
    const spare = this.spares.get(key);
    if (!spare) return null;
    this.spares.delete(key);
    spare.child.off('exit', spare.onExit);
    return spare.child.exitCode === null && spare.child.signalCode === null && spare.child.connected ? spare : null;
  }

  /**
   * Start a warm spare for this kind of agent if there is none. A spare killed by a signal is
   * replaced; one that exits on its own (its model is refused, it crashes at start) is not, so a
   * broken spare never loops: slots then restart by starting new processes.
   */
  private fillSpare(spec: AgentSpec): void {
    if (!this.useSpares || this.closing || spec.hostSlots !== undefined) return;
    const key = spareKey(spec);
    if (this.spares.has(key)) return;
    const child = this.spawnAgent(spec, true);
    child.stderr?.resume();
    child.on('error', (error) => this.log.error({ err: error.message }, 'spare agent process failed to start'));
    const onExit = (code: number | null): void => {
      if (child.pid !== undefined) removeAgentCgroup(child.pid);
      if (this.spares.get(key)?.child !== child) return;
      this.spares.delete(key);
      if (code === null && !this.closing) setTimeout(() => this.fillSpare(spec), RESTART.soonMs).unref();
      else if (!this.closing) this.log.warn({ code }, 'spare agent process exited; crashed slots restart with new processes');
    };
    child.on('exit', onExit);
    const spare: Spare = { child, onExit, listening: false, claim: null };
    child.on('message', (message: LauncherMessage) => {
      if (message?.kind !== LAUNCHER_MESSAGES.standby) return;
      spare.listening = true;
      if (spare.claim) child.send(spare.claim);
    });
    this.spares.set(key, spare);
    if (child.pid !== undefined) this.emit('spare', child.pid);
  }

  sparePids(): number[] {
    return [...this.spares.values()].flatMap((s) => (s.child.pid !== undefined ? [s.child.pid] : []));
  }

  /** Kill one agent without telling the launcher it was meant (it is restarted): fault injection. */
  crash(slot: number): boolean {
    const child = this.managed.get(slot)?.child;
    if (!child) return false;
    child.kill('SIGKILL');
    return true;
  }

  /** Slots whose agent crashed and does not hold its slot again yet (waiting to restart, or starting). */
  restarting(): number[] {
    const slots: number[] = [];
    for (const m of this.managed.values()) {
      if (m.stopping || m.restarts === 0) continue;
      if (m.restartTimer || (m.child && m.readyAt === 0)) slots.push(m.spec.slot);
    }
    return slots.sort((a, b) => a - b);
  }

  restarts(slot: number): number {
    return this.managed.get(slot)?.restarts ?? 0;
  }

  running(): number {
    let count = 0;
    for (const m of this.managed.values()) if (m.child) count++;
    return count;
  }

  pids(): number[] {
    const pids: number[] = [];
    for (const m of this.managed.values()) if (m.child?.pid !== undefined) pids.push(m.child.pid);
    return pids;
  }

  /** SIGTERM every agent, SIGKILL whatever is left after `timeoutMs`. */
  async stopAll(timeoutMs = 3000): Promise<void> {
    this.closing = true;
    for (const { child, onExit } of this.spares.values()) {
      child.off('exit', onExit);
      child.once('exit', () => child.pid !== undefined && removeAgentCgroup(child.pid));
      child.kill('SIGTERM');
    }
    this.spares.clear();
    const waits: Promise<void>[] = [];
    for (const managed of this.managed.values()) {
      managed.stopping = true;
      if (managed.restartTimer) clearTimeout(managed.restartTimer);
      managed.restartTimer = null;
      const child = managed.child;
      if (!child || child.exitCode !== null) continue;
      waits.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.log.warn({ slot: managed.spec.slot, pid: child.pid }, 'agent ignored SIGTERM; killing');
            child.kill('SIGKILL');
          }, timeoutMs);
          child.once('exit', () => {
            clearTimeout(timer);
            if (child.pid !== undefined) removeAgentCgroup(child.pid);
            resolve();
          });
          child.kill('SIGTERM');
        }),
      );
    }
    await Promise.all(waits);
    this.managed.clear();
  }
}

/** Agents of one kind can stand in for each other: same model, caps and flags. */
function spareKey(spec: AgentSpec): string {
  return JSON.stringify([spec.model, spec.caps, spec.args ?? []]);
}

export function capArgs(caps: Caps): string[] {
  const args: string[] = [];
  if (caps.flops !== undefined) args.push('--flops', String(caps.flops));
  if (caps.deadlineMs !== undefined) args.push('--deadline', String(caps.deadlineMs));
  if (caps.cpu !== undefined) args.push('--cpu', String(caps.cpu));
  if (caps.memoryMb !== undefined) args.push('--memory', String(caps.memoryMb));
  return args;
}
