import { EventEmitter } from 'node:events';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { createPackr } from '../../shared/codec.ts';
import type { SlotInfo, WelcomeMessage } from '../../shared/handshake-protocol.ts';
import { CLOSE_CODES, FATAL_AGENT_CLOSE_CODES, FRAME, LIMITS, closeCodeName } from '../../shared/protocol.ts';
import { Rng } from '../../shared/rng.ts';
import type { AgentReport, CapsEnforcement } from '../../shared/session-messages.ts';
import type { DecisionPolicy } from '../baselines/decision-policy.ts';
import { CapError, policyBytesSource } from '../policy-source.ts';
import { ActionSender } from './action-sender.ts';
import { agentHello, type AgentClientOptions, type AgentExit } from './agent-client-options.ts';
import type { AgentLog as Logger } from './agent-log.ts';
import { connectFailure, EXIT_CONFIG, tlsMismatch } from './link-errors.ts';
import { ReconnectBackoff } from './reconnect-backoff.ts';
import { SlotRunner } from './slot-runner.ts';

type Events = {
  welcome: [welcome: WelcomeMessage];
  firstAction: [ms: number];
  weights: [ok: boolean, generation: number];
  disconnected: [code: number, reason: string];
};

/**
 * An agent process's link to the server, for one slot or many (host mode): one connection, one
 * observation frame and one action frame per tick for all of its slots. Reconnects to the same
 * slots with exponential backoff after a dropped link; stops on a fatal close code.
 */
export class AgentClient extends EventEmitter<Events> {
  readonly options: AgentClientOptions;
  readonly runners: SlotRunner[] = [];
  private readonly packr = createPackr();
  private readonly log: Logger;
  private readonly rng: Rng;
  private ws: WebSocket | null = null;
  private stopped = false;
  private readonly backoff: ReconnectBackoff;
  private readonly sender: ActionSender;
  private reportTimer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private lastHeard = 0;
  private finish!: (exit: AgentExit) => void;
  private readonly done: Promise<AgentExit>;
  private welcomed = false;
  private generation = 0;
  private startedAt = performance.now();
  private acted = false;
  reconnects = 0;
  private welcomeMessage: WelcomeMessage | null = null;
  /** An observation that arrived while the policies were still loading; answered once they are. */
  private earlyFrame: unknown[] | null = null;

  constructor(options: AgentClientOptions) {
    super();
    this.options = options;
    this.log = options.log;
    this.rng = new Rng(options.seed ?? process.pid);
    this.backoff = new ReconnectBackoff(options, this.rng, this.log);
    this.sender = new ActionSender(options.slots.length, this.packr, this.rng, options.faults, () => this.ws);
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  /** Connect and run until a fatal close, a give-up, or `stop()`. */
  run(): Promise<AgentExit> {
    this.startedAt = performance.now();
    this.connect();
    return this.done;
  }

  stop(reason = 'stopped'): void {
    if (this.stopped) return;
    this.end({ code: 0, reason });
  }

  private end(exit: AgentExit): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.reportTimer) clearInterval(this.reportTimer);
    if (this.watchdog) clearInterval(this.watchdog);
    const ws = this.ws;
    if (ws && ws.readyState === WebSocket.OPEN) ws.close(exit.code === 0 ? 1000 : CLOSE_CODES.agentRefused, exit.reason.slice(0, 120));
    this.finish(exit);
  }

  private connect(): void {
    if (this.stopped) return;
    this.backoff.attempting();
    const ws = new WebSocket(this.options.url, { maxPayload: LIMITS.supervisorMaxPayload, perMessageDeflate: false, ...(this.options.ca ? { ca: this.options.ca } : {}) });
    this.ws = ws;
    ws.on('error', (error) => {
      this.log.debug({ err: error.message }, 'socket error');
      if (ws.readyState === WebSocket.OPEN) return;
      // TLS on one side only, or a certificate not trusted: retrying would not change it.
      const mismatch = tlsMismatch(error, this.options.url);
      if (mismatch) {
        this.ws = null;
        this.end({ code: EXIT_CONFIG, reason: mismatch });
        return;
      }
      this.backoff.failedToOpen(connectFailure(error));
    });
    ws.on('open', () => {
      this.backoff.opened();
      this.lastHeard = performance.now();
      // A new connection starts without distributions until this server asks for them.
      this.sender.withDistributions = false;
      ws.send(this.packr.pack(agentHello(this.options)));
    });
    ws.on('ping', () => {
      this.lastHeard = performance.now();
    });
    ws.on('message', (data: Buffer) => {
      this.lastHeard = performance.now();
      let value: unknown;
      try {
        value = this.packr.unpack(data);
      } catch (error) {
        this.log.warn({ err: (error as Error).message }, 'server sent a frame that is not msgpack; ignored');
        return;
      }
      if (Array.isArray(value)) this.onObservation(value);
      else void this.onMessage(value as Record<string, unknown>);
    });
    ws.on('close', (code, reasonBytes) => {
      if (this.ws !== ws) return;
      this.ws = null;
      const reason = reasonBytes.toString();
      this.emit('disconnected', code, reason);
      if (this.stopped) return;
      if (FATAL_AGENT_CLOSE_CODES.includes(code)) {
        const clean = code === CLOSE_CODES.serverShutdown || code === CLOSE_CODES.scenarioChanged;
        this.log[clean ? 'info' : 'error']({ code: closeCodeName(code), reason }, 'server closed the connection');
        this.end({ code: clean ? 0 : 1, reason: `${closeCodeName(code)}: ${reason}`, closeCode: code });
        return;
      }
      this.scheduleReconnect(code, reason);
    });
  }

  private scheduleReconnect(code: number, reason: string): void {
    const next = this.backoff.next(code, reason);
    if ('giveUp' in next) this.end({ code: 1, reason: next.giveUp });
    else setTimeout(() => this.connect(), next.retryInMs);
  }

  private async onMessage(message: Record<string, unknown>): Promise<void> {
    switch (message.kind) {
      case 'welcome':
        return this.onWelcome(message as unknown as WelcomeMessage);
      case 'weights':
        return this.onWeights(message.id as number, message.policy as Uint8Array);
      case 'probabilities':
        this.sender.withDistributions = message.on === true;
        return;
      case 'error':
        this.log.error({ code: message.code, message: message.message }, 'server error');
        return;
      default:
        this.log.debug({ kind: message.kind }, 'ignored message');
    }
  }

  private async onWelcome(welcome: WelcomeMessage): Promise<void> {
    const infos = welcome.slots;
    if (infos.length !== this.options.slots.length) {
      this.end({ code: 1, reason: `welcome lists ${infos.length} slots, we claimed ${this.options.slots.length}` });
      return;
    }
    if (this.welcomed) {
      // A reconnect: same slots, same spaces, same policies.
      for (let k = 0; k < infos.length; k++) {
        if (infos[k].observationSize !== this.runners[k].info.observationSize) {
          this.end({ code: 1, reason: `slot ${infos[k].slot} changed its observation size across a reconnect` });
          return;
        }
      }
      this.reconnects++;
      this.backoff.welcomed();
      this.log.info({ reconnects: this.reconnects }, 'reconnected');
      this.emit('welcome', welcome);
      return;
    }
    try {
      for (const info of infos) {
        const policy = await this.options.source.forSlot(info, welcome);
        this.runners.push(new SlotRunner(info, policy, this.options.caps, !cpuInCgroup(this.options.enforcement)));
      }
    } catch (error) {
      const refused = error instanceof CapError ? 'refused: over a cap' : 'refused';
      this.log.error({ err: (error as Error).message }, refused);
      this.end({ code: 2, reason: `refused: ${(error as Error).message}` });
      return;
    }
    this.welcomed = true;
    this.welcomeMessage = welcome;
    this.sender.sizeDistributions(this.runners.reduce((sum, r) => sum + r.info.actionCount, 0));
    this.backoff.welcomed();
    this.log.info(
      { scenario: welcome.scenario, slots: infos.map((i) => `${i.slot}:${i.agent}`).join(' '), policy: this.options.source.label, flops: this.runners.map((r) => r.policy.flops) },
      'welcome',
    );
    this.reportTimer = setInterval(() => this.report(), this.options.reportEveryMs ?? 1000);
    this.reportTimer.unref();
    // The first report at once: the server shows how the caps hold from the start.
    this.report();
    // The server pings every heartbeat; a server silent for 3 of them is gone.
    this.watchdog = setInterval(() => {
      if (this.ws && performance.now() - this.lastHeard > 3 * LIMITS.heartbeatMs) {
        this.log.warn('server silent; dropping the link');
        this.ws.terminate();
      }
    }, LIMITS.heartbeatMs);
    this.watchdog.unref();
    this.emit('welcome', welcome);
    const early = this.earlyFrame;
    this.earlyFrame = null;
    if (early) this.onObservation(early);
  }

  private onObservation(frame: unknown[]): void {
    if (frame.length !== 6 || frame[0] !== FRAME.obs) return;
    if (!this.welcomed) {
      this.earlyFrame = frame;
      return;
    }
    const request = frame[1] as number;
    const t = frame[3] as number;
    const observations = frame[4];
    const masks = frame[5];
    if (!(observations instanceof Float32Array) || !(masks instanceof Uint8Array)) return;
    const runners = this.runners;
    const actions = this.sender.actions;
    const distributions = this.sender.distributions();
    let obsOffset = 0;
    let maskOffset = 0;
    let delayed = 0;
    for (let k = 0; k < runners.length; k++) {
      const runner = runners[k];
      if (t === 0) runner.startEpisode();
      const action = runner.decide(observations, obsOffset, masks, maskOffset, this.rng.uniform());
      // Distributions are laid out like the masks: each slot's action count, in hello order.
      if (distributions) runner.writeDistribution(distributions, maskOffset, action);
      obsOffset += runner.info.observationSize;
      maskOffset += runner.info.actionCount;
      const hold = runner.replyDelayMs + (this.options.extraDelayMs ?? 0);
      if (hold >= 1) {
        actions[k] = -1;
        delayed++;
        this.sender.sendLater(request, k, action, hold);
      } else {
        // Below timer resolution: hold the core for that long, as a slower device would, and
        // answer in the shared frame (a host sends one frame per tick, not one per slot).
        if (hold > 0) spin(hold);
        actions[k] = action;
      }
    }
    if (delayed < runners.length) this.sender.sendShared(request);
    if (!this.acted) {
      this.acted = true;
      this.emit('firstAction', performance.now() - this.startedAt);
    }
  }

  private async onWeights(id: number, policyBytes: Uint8Array): Promise<void> {
    const ack = (ok: boolean, error?: string): void => {
      this.ws?.send(this.packr.pack({ kind: 'weights-ack', id, ok, generation: this.generation, ...(error ? { error: error.slice(0, 2000) } : {}) }));
    };
    if (!(policyBytes instanceof Uint8Array)) return ack(false, 'weights message without policy bytes');
    let policies: DecisionPolicy[];
    try {
      // A sampling agent samples from the new students too (the online teacher's L_PG counts on it).
      const source = policyBytesSource(policyBytes, { flopsCap: this.options.caps.flops, sample: this.options.source.sample });
      const welcome = this.welcomeMessage;
      policies = [];
      for (const runner of this.runners) policies.push(await source.forSlot(runner.info, welcome!));
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'pushed weights refused');
      this.emit('weights', false, this.generation);
      return ack(false, (error as Error).message);
    }
    this.generation++;
    this.runners.forEach((runner, k) => runner.queue(policies[k], this.generation));
    this.log.info({ generation: this.generation }, 'new weights queued for the next episode');
    this.emit('weights', true, this.generation);
    ack(true);
  }

  private report(): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    const memory = process.memoryUsage();
    const report: AgentReport = {
      kind: 'report',
      slots: this.runners.map((r) => r.report()),
      rssMb: memory.rss / 2 ** 20,
      heapMb: memory.heapUsed / 2 ** 20,
      generation: this.runners[0]?.generation ?? 0,
      ...(this.options.enforcement ? { enforcement: this.options.enforcement } : {}),
    };
    ws.send(this.packr.pack(report));
  }

  slotInfos(): SlotInfo[] {
    return this.runners.map((r) => r.info);
  }
}

/** The OS holds the cpu share (a CPU quota): the reply delay would count it twice. */
function cpuInCgroup(enforcement: CapsEnforcement | undefined): boolean {
  return enforcement?.cpu === 'cgroup-v1' || enforcement?.cpu === 'cgroup-v2';
}

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}
