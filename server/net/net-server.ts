import { EventEmitter } from 'node:events';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { pino, type Logger } from 'pino';
import { CLOSE_CODES, ROLES } from '../../shared/protocol.ts';
import type { TickMode } from '../../shared/handshake-protocol.ts';
import { AgentSlots } from './agent-slots.ts';
import type { ServerClient } from './client.ts';
import { Connections } from './connections.ts';
import { ControllerRole } from './controller-role.ts';
import { isRefusal, readHello } from './handshake.ts';
import type { LatencyHistogram } from './latency-histogram.ts';
import { Room, type NetServerOptions, type ServerEvents } from './room.ts';
import { serverStatus, type ServerStatus } from './server-status.ts';
import { SnapshotStream } from './snapshot-stream.ts';
import { SpectatorRole } from './spectator-role.ts';
import { SupervisorRole } from './supervisor-role.ts';
import { TickLoop } from './tick-loop.ts';
import { newToken } from './tokens.ts';
import type { LoadedScenario } from '../scenarios/registry.ts';
import { WorldSession, type EpisodeEnd } from './world-session.ts';

export type { HttpHandler, NetServerOptions } from './room.ts';
export type { AgentStatus, ServerStatus } from './server-status.ts';

/**
 * `kdmarl serve`: one scenario behind a WebSocket server. Agents claim slots and answer each
 * tick's observation with an action; the supervisor sees every transition and may push new
 * weights; spectators get the scene and latest-wins snapshots.
 *
 * This class wires the parts together: the connections (transport and frame checks), one part per
 * role, the tick loop and the snapshot stream, all sharing one `Room`.
 */
export class NetServer extends EventEmitter<ServerEvents> {
  readonly log: Logger;
  private readonly room: Room;
  private readonly connections: Connections;
  private readonly ticks: TickLoop;
  private readonly stream: SnapshotStream;
  private readonly agents: AgentSlots;
  private readonly supervisors: SupervisorRole;
  private readonly spectators: SpectatorRole;
  private readonly controllers: ControllerRole;
  private readonly clients: Set<ServerClient>;
  private idleTimer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(options: NetServerOptions) {
    super();
    this.log = options.logger ?? pino({ name: 'kdmarl-serve' }, pino.destination(2));
    const room = new Room(options, this.log, this, options.controlToken ?? newToken());
    this.room = room;
    this.clients = room.clients;
    const world = new WorldSession({ scenario: options.scenario, agents: options.agents, seed: options.seed, fallback: options.fallback });
    if (options.tokens && options.tokens.length !== world.agentCount) {
      throw new Error(`tokens: ${options.tokens.length} given, scenario '${world.name}' has ${world.agentCount} agents`);
    }
    room.useWorld(world, options.tokens ?? world.sim.agentNames.map(() => newToken()));
    this.connections = new Connections(room, {
      http: (req, res) => this.onHttp(req, res),
      message: (client, value, now) => this.onMessage(client, value, now),
      detached: (client) => this.onDetached(client),
    });
    this.ticks = new TickLoop(room, {
      stepped: (tick, episode, t, end, now) => this.afterStep(tick, episode, t, end, now),
      reject: (client, code, reason) => this.connections.reject(client, code, reason),
      beforeReset: () => this.controllers.beforeReset(),
    });
    const round = (): number => this.ticks.round;
    this.stream = new SnapshotStream(room, () => this.ticks.tickRate(), round);
    this.stream.newScene();
    this.spectators = new SpectatorRole(room, this.connections, this.stream, (action, value) => this.control(action, value), round);
    this.agents = new AgentSlots(room, this.connections, this.ticks, () => this.spectators.updateDistributionRequests());
    this.supervisors = new SupervisorRole(room, this.connections, this.ticks, (client, value) => this.spectators.control(client, value));
    this.controllers = new ControllerRole(room, this.connections, this.ticks, this.agents, (client, value) => this.spectators.control(client, value));
  }

  get http(): Server {
    return this.connections.http;
  }
  /** The URL this machine uses (ws://, or wss:// with TLS). */
  get url(): string {
    return this.connections.url;
  }
  /** The URLs other machines use (this machine's addresses when bound to 0.0.0.0 or ::). */
  get remoteUrls(): string[] {
    return this.connections.remoteUrls;
  }
  /** http:// or https://, the viewer's page. */
  get httpUrl(): string {
    return this.url.replace(/^ws/, 'http');
  }
  get world(): WorldSession {
    return this.room.world;
  }
  get tokens(): string[] {
    return this.room.tokens;
  }
  get controlToken(): string {
    return this.room.controlToken;
  }
  get mode(): TickMode {
    return this.room.mode;
  }
  get hz(): number {
    return this.room.hz;
  }
  get baseHz(): number {
    return this.room.baseHz;
  }
  get defaultDeadlineMs(): number {
    return this.room.defaultDeadlineMs;
  }
  /** Ticking has begun (every slot claimed, or not waiting for them). */
  get started(): boolean {
    return this.ticks.started;
  }
  get paused(): boolean {
    return this.room.paused;
  }
  get roundTrips(): LatencyHistogram {
    return this.room.roundTrips;
  }
  get decisions(): number {
    return this.room.decisions;
  }
  /** Live agent-ticks: decisions that were due (the denominator of the miss rate). */
  get due(): number {
    return this.room.due;
  }
  get rejected(): Record<string, number> {
    return this.room.rejected;
  }

  /** Bind and start the heartbeat; resolves with the ws:// URL. */
  async listen(): Promise<string> {
    const url = await this.connections.listen(this.room.options.host ?? '127.0.0.1', this.room.options.port ?? 0);
    this.idleTimer = setInterval(() => {
      this.spectators.updateDistributionRequests();
      this.stream.idle();
    }, 1000);
    this.idleTimer.unref();
    this.log.info({ url, scenario: this.world.name, mode: this.mode }, 'listening');
    this.emit('listening', url);
    if (this.room.options.waitForAgents === false) this.ticks.start();
    return url;
  }

  /**
   * Stop stepping the world, keeping every connection: what happens from now on (agents being
   * stopped, links dropping) is not counted as misses. `close` does this first.
   */
  stopTicking(): void {
    this.room.closing = true;
    this.ticks.stopTimers();
  }

  /** Close every client (serverShutdown), stop ticking, flush the recording. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopTicking();
    if (this.idleTimer) clearInterval(this.idleTimer);
    await this.connections.close();
    await this.stream.recorder?.close();
    await this.connections.closeListeners();
    this.emit('closed');
  }

  private onHttp(req: IncomingMessage, res: ServerResponse): void {
    const fallback = (): void => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/status') {
        const body = JSON.stringify(this.status());
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        res.end(body);
        return;
      }
      if (path === '/' || path === '/index.html') {
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`kdmarl serve: ${this.world.name}\nviewer not built: run npm run build\n`);
        return;
      }
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
    };
    const handler = this.room.options.httpHandler;
    if (handler) handler(req, res, fallback);
    else fallback();
  }

  private onMessage(client: ServerClient, value: unknown, now: number): void {
    if (client.role === null) {
      const hello = readHello(client, value);
      if (isRefusal(hello)) return this.connections.reject(client, hello.code, hello.reason);
      if (hello.role === ROLES.agent) this.agents.hello(client, hello);
      else if (hello.role === ROLES.spectator) this.spectators.hello(client, hello);
      else if (hello.role === ROLES.controller) this.controllers.hello(client, hello);
      else this.supervisors.hello(client, hello);
    } else if (client.role === ROLES.agent) {
      this.agents.message(client, value, now);
    } else if (client.role === ROLES.spectator) {
      this.spectators.message(client, value);
    } else if (client.role === ROLES.controller) {
      this.controllers.message(client, value, now);
    } else {
      this.supervisors.message(client, value);
    }
  }

  private onDetached(client: ServerClient): void {
    this.agents.release(client);
    if (client.role === ROLES.spectator) this.spectators.updateDistributionRequests();
    this.ticks.afterRelease();
  }

  private afterStep(tick: number, episode: number, t: number, end: EpisodeEnd | null, now: number): void {
    if (this.room.hasSupervisor()) this.supervisors.sendStep(tick, episode, t, end);
    if (this.controllers.hasController()) this.controllers.sendResult(tick, episode, t, end);
    if (end) {
      this.emit('episode', end);
      this.log.debug({ episode: this.world.episodes, return: end.return, won: end.won }, 'episode end');
    }
    this.stream.afterStep(now);
  }

  /** Apply a run control; returns an error message or null. Also used by `kdmarl up`. */
  control(action: string, value?: number | string): string | null {
    const room = this.room;
    switch (action) {
      case 'pause':
        room.paused = true;
        return null;
      case 'resume':
        room.paused = false;
        this.ticks.stepBudget = 0;
        this.ticks.resume();
        return null;
      case 'step':
        if (!room.paused) return 'step works while paused';
        this.ticks.stepBudget++;
        this.ticks.resume();
        return null;
      case 'reset':
        this.world.resetEpisode();
        this.ticks.restartRound();
        return null;
      case 'speed': {
        const factor = typeof value === 'number' ? value : Number(value);
        if (!Number.isFinite(factor) || factor < 0 || factor > 1000) return `speed: expected a factor in [0, 1000] (0 = as fast as agents answer), got ${String(value).slice(0, 40)}`;
        this.setSpeed(factor === 0 ? 0 : room.baseHz * factor);
        return null;
      }
      case 'hz': {
        const hz = typeof value === 'number' ? value : Number(value);
        if (!Number.isFinite(hz) || hz < 0 || hz > 1000) return `speed: expected a rate in [0, 1000] Hz, got ${String(value).slice(0, 40)}`;
        this.setSpeed(hz);
        return null;
      }
      case 'scenario': {
        if (typeof value !== 'string' || value.length === 0) return 'scenario: expected a scenario name';
        try {
          this.switchScenario(value);
        } catch (error) {
          return (error as Error).message;
        }
        return null;
      }
      default:
        return `unknown control '${action}'`;
    }
  }

  /** Realtime at `hz`, or lockstep when hz is 0. */
  setSpeed(hz: number): void {
    this.ticks.setSpeed(hz);
  }

  /** Switch scenario: agents and supervisors are closed (their spaces changed), spectators get the new scene. */
  switchScenario(name: string): void {
    const room = this.room;
    const world = new WorldSession({ scenario: name, seed: room.options.seed, fallback: room.options.fallback });
    this.ticks.halt();
    for (const client of this.clients) {
      if (client.role === ROLES.agent || client.role === ROLES.supervisor || client.role === ROLES.controller) {
        this.connections.closeClient(client, CLOSE_CODES.scenarioChanged, `scenario switched to ${world.name}`, true);
      }
    }
    room.useWorld(world, world.sim.agentNames.map(() => newToken()));
    this.stream.newScene();
    this.log.info({ scenario: world.name }, 'scenario switched');
    this.emit('scenario', world.name, [...room.tokens]);
    if (room.options.waitForAgents === false) this.ticks.start();
  }

  /**
   * Run a changed version of the scenario (same name, agents and spaces; see
   * server/scenarios/world-change.ts) without closing anyone: agents keep their slots and views,
   * the running episode restarts on the changed world. Throws, changing nothing, when it does not fit.
   */
  changeWorld(loaded: LoadedScenario): void {
    this.world.changeWorld(loaded);
    this.room.simulationChanged();
    this.ticks.restartRound();
    this.stream.newScene();
    this.log.info({ scenario: this.world.name, file: loaded.path }, 'world changed');
  }

  /** Ticks per second over the last 64 ticks (0 when idle for more than 2 s). */
  tickRate(): number {
    return this.ticks.tickRate();
  }

  status(): ServerStatus {
    return serverStatus(this.room, this.ticks.tickRate());
  }

  /** Test and launcher hook: cut an agent's link without telling it (as a network drop would). */
  dropSlot(slot: number): boolean {
    const client = this.room.slots.client[slot];
    if (!client) return false;
    client.ws.terminate();
    return true;
  }
}
