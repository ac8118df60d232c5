import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Duplex } from 'node:stream';
import { pino, type Logger } from 'pino';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { createPackr } from '../../shared/codec.ts';
import {
  CLOSE_CODES,
  FRAME,
  LIMITS,
  PROTOCOL_VERSION,
  ROLES,
  SUPERVISOR_PATH,
  actionFrameTick,
  agentReportSchema,
  closeCodeName,
  controlSchema,
  helloSchema,
  inspectSchema,
  overlaysSchema,
  weightsAckSchema,
  weightsSchema,
  type ControlReply,
  type ErrorMessage,
  type ProbabilitiesRequest,
  type Fallback,
  type Hello,
  type SlotInfo,
  type SupervisorStepFrame,
  type TickMode,
  type WelcomeMessage,
} from '../../shared/protocol.ts';
import type { ViewSpec } from '../../shared/view-spec.ts';
import { describeZodError } from '../../shared/zod-error.ts';
import { ServerClient, TokenBucket } from './client.ts';
import { AgentDistributions, probabilityKind } from './distributions.ts';
import { LatencyHistogram, RecentWindow } from './latency-histogram.ts';
import { ReplayRecorder } from './replay-recorder.ts';
import { SnapshotBuilder } from './snapshot-builder.ts';
import { newToken, tokensEqual } from './tokens.ts';
import type { ObservationView } from '../views/view.ts';
import { WorldSession, type EpisodeEnd } from './world-session.ts';

export type HttpHandler = (req: IncomingMessage, res: ServerResponse, next?: () => void) => void;

export type NetServerOptions = {
  scenario: string;
  /** `params.numAgents` override (spread-like scenarios). */
  agents?: number;
  host?: string;
  /** 0 = ephemeral. */
  port?: number;
  mode?: TickMode;
  /** Realtime tick rate. */
  hz?: number;
  /** Default per-agent deadline (ms) when an agent declares none. */
  deadlineMs?: number;
  fallback?: Fallback;
  seed?: number;
  /** Slot tokens in agent order; generated when absent. */
  tokens?: string[];
  controlToken?: string;
  /** Hold the first tick until every slot is claimed (default true). */
  waitForAgents?: boolean;
  heartbeatMs?: number;
  handshakeTimeoutMs?: number;
  /** Realtime: most steps run back to back to catch up after a stall before time is dropped. */
  maxCatchUp?: number;
  record?: string;
  httpHandler?: HttpHandler;
  logger?: Logger;
};

export type AgentStatus = {
  slot: number;
  agent: string;
  connected: boolean;
  policy: string;
  latencyMs: number;
  misses: number;
  invalid: number;
  offlineTicks: number;
  claims: number;
  reconnects: number;
  flops: number;
  decideMs: number;
  rssMb: number;
};

export type ServerStatus = {
  scenario: string;
  mode: TickMode;
  hz: number;
  tick: number;
  episode: number;
  episodes: number;
  wins: number;
  losses: number;
  winRate: number | null;
  lastReturn: number;
  meanReturn: number;
  tickRate: number;
  paused: boolean;
  agents: AgentStatus[];
  /** All slots together: answers received, and live agent-ticks (decisions due). */
  decisions: number;
  due: number;
  misses: number;
  roundTripMs: { p50: number; p99: number; mean: number; count: number };
  spectators: number;
  supervisors: number;
  rejected: Record<string, number>;
};

type Events = {
  listening: [url: string];
  tick: [tick: number];
  episode: [end: EpisodeEnd];
  claim: [slot: number, reconnect: boolean];
  release: [slot: number];
  rejected: [code: number, reason: string, role: string | null];
  scenario: [name: string, tokens: string[]];
  weightsAck: [ack: Record<string, unknown>];
};

/**
 * `kdmarl serve`: one scenario behind a WebSocket server. Agents claim slots and answer each
 * tick's observation with an action; the supervisor sees every transition and may push new
 * weights; spectators get the scene and latest-wins snapshots. Lockstep advances as soon as every
 * connected live agent answered, or at the deadline; realtime advances at a fixed rate. A late,
 * missing or bad action is replaced by the fallback and counted, so no client can hold the world.
 */
export class NetServer extends EventEmitter<Events> {
  readonly http: Server;
  readonly log: Logger;
  readonly controlToken: string;
  world: WorldSession;
  tokens: string[];
  mode: TickMode;
  hz: number;
  readonly baseHz: number;
  readonly defaultDeadlineMs: number;
  paused = false;
  url = '';

  private readonly options: NetServerOptions;
  private readonly wss: WebSocketServer;
  private readonly supervisorWss: WebSocketServer;
  private readonly packr = createPackr();
  private readonly clients = new Set<ServerClient>();
  private nextClientId = 1;
  private heartbeat: NodeJS.Timeout | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private closing = false;

  // --- per slot (agent index) ---
  private slotClient: (ServerClient | null)[] = [];
  private slotPolicy: string[] = [];
  private slotDeadline = new Float64Array(0);
  private slotCaps: Record<string, number | undefined>[] = [];
  private answered = new Uint8Array(0);
  private missedThisTick = new Uint8Array(0);
  private misses = new Int32Array(0);
  private invalid = new Int32Array(0);
  private offline = new Int32Array(0);
  private claims = new Int32Array(0);
  private connectedFlags = new Uint8Array(0);
  private latencyMedian = new Float32Array(0);
  private flops = new Float64Array(0);
  private decideMs = new Float64Array(0);
  private recent: RecentWindow[] = [];
  private studentOffsets: number[] = [];
  private studentObs = new Float32Array(0);
  private teacherOffsets: number[] = [];
  private teacherObs = new Float32Array(0);
  private stepMasks = new Uint8Array(0);
  private stepActions = new Int16Array(0);
  private snapshots!: SnapshotBuilder;
  private distributions!: AgentDistributions;
  /** Some spectator shows the graph or role overlay: snapshots carry relations and roles. */
  private structureWanted = false;
  private inspected = new Uint8Array(0);
  readonly roundTrips = new LatencyHistogram();
  decisions = 0;
  /** Live agent-ticks: decisions that were due (the denominator of the miss rate). */
  due = 0;

  // --- tick state ---
  /** Id of the observation round in flight; agents echo it. */
  private request = 0;
  private inFlight = false;
  private pending = 0;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private started = false;
  private stepBudget = 0;
  private realtimeTimer: NodeJS.Timeout | null = null;
  private nextTickAt = 0;
  private deferredSteps = 0;
  private tickTimes = new Float64Array(64);
  private tickTimeIndex = 0;
  private nextWeightsId = 1;
  private recorder: ReplayRecorder | null = null;
  readonly rejected: Record<string, number> = {};

  constructor(options: NetServerOptions) {
    super();
    this.options = options;
    this.log = options.logger ?? pino({ name: 'kdmarl-serve' }, pino.destination(2));
    this.mode = options.mode ?? 'lockstep';
    this.baseHz = options.hz ?? 10;
    this.hz = this.baseHz;
    this.defaultDeadlineMs = options.deadlineMs ?? 50;
    this.controlToken = options.controlToken ?? newToken();
    this.world = new WorldSession({ scenario: options.scenario, agents: options.agents, seed: options.seed, fallback: options.fallback });
    if (options.tokens && options.tokens.length !== this.world.agentCount) {
      throw new Error(`tokens: ${options.tokens.length} given, scenario '${this.world.name}' has ${this.world.agentCount} agents`);
    }
    this.tokens = options.tokens ?? this.world.sim.agentNames.map(() => newToken());
    this.resetSlots();
    if (options.record) {
      this.recorder = new ReplayRecorder(options.record);
      this.recorder.startScene(this.world.scene());
    }
    this.http = createServer((req, res) => this.onHttp(req, res));
    this.http.on('error', (error) => this.log.error({ err: error }, 'http server error'));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.maxPayload, perMessageDeflate: false });
    this.supervisorWss = new WebSocketServer({ noServer: true, maxPayload: LIMITS.supervisorMaxPayload, perMessageDeflate: false });
    for (const wss of [this.wss, this.supervisorWss]) {
      wss.on('error', (error) => this.log.error({ err: error }, 'websocket server error'));
      wss.on('connection', (ws, req) => this.onConnection(ws, req));
    }
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  /** Bind and start the heartbeat; resolves with the ws:// URL. */
  async listen(): Promise<string> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.options.port ?? 0, host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    const address = this.http.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    this.url = `ws://${shownHost}:${address.port}/`;
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs ?? LIMITS.heartbeatMs);
    this.heartbeat.unref();
    this.idleTimer = setInterval(() => this.idleSnapshots(), 1000);
    this.idleTimer.unref();
    this.log.info({ url: this.url, scenario: this.world.name, mode: this.mode }, 'listening');
    this.emit('listening', this.url);
    if (this.options.waitForAgents === false) this.start();
    return this.url;
  }

  get httpUrl(): string {
    return this.url.replace(/^ws/, 'http');
  }

  /** Close every client (serverShutdown), stop ticking, flush the recording. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.stopTimers();
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.idleTimer) clearInterval(this.idleTimer);
    // Give clients a moment to receive the close frame, so agents exit instead of reconnecting.
    const closed = [...this.clients].map((client) => new Promise<void>((resolve) => client.ws.once('close', () => resolve())));
    for (const client of this.clients) this.closeClient(client, CLOSE_CODES.serverShutdown, 'server shutting down', false);
    await Promise.race([Promise.all(closed), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    await this.recorder?.close();
    await new Promise<void>((resolve) => {
      this.wss.close();
      this.supervisorWss.close();
      this.http.close(() => resolve());
      this.http.closeAllConnections();
    });
  }

  // ------------------------------------------------------------------------------------------
  // Connections
  // ------------------------------------------------------------------------------------------

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
    if (this.options.httpHandler) this.options.httpHandler(req, res, fallback);
    else fallback();
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '/').split('?')[0];
    const wss = path === SUPERVISOR_PATH ? this.supervisorWss : path === '/' ? this.wss : null;
    if (!wss || this.closing) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const path = (req.url ?? '/').split('?')[0];
    const client = new ServerClient(this.nextClientId++, ws, path, `${req.socket.remoteAddress}:${req.socket.remotePort}`);
    ws.on('error', (error) => this.log.warn({ client: client.id, err: error.message }, 'socket error'));
    this.clients.add(client);
    client.frameLimit = path === SUPERVISOR_PATH ? LIMITS.supervisorMaxPayload : LIMITS.helloFrameBytes;
    client.bucket = new TokenBucket(LIMITS.spectatorRate, performance.now());
    client.handshakeTimer = setTimeout(() => {
      if (client.role === null) this.reject(client, CLOSE_CODES.handshakeTimeout, `no hello within ${this.options.handshakeTimeoutMs ?? LIMITS.handshakeTimeoutMs} ms`);
    }, this.options.handshakeTimeoutMs ?? LIMITS.handshakeTimeoutMs);
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('message', (data, isBinary) => this.onMessage(client, data, isBinary));
    ws.on('close', () => this.onClose(client));
  }

  private beat(): void {
    for (const client of this.clients) {
      if (!client.alive) {
        this.log.warn({ client: client.id, role: client.role, slots: client.slots }, 'heartbeat: no pong, terminating');
        this.count('heartbeat');
        client.ws.terminate();
        continue;
      }
      client.alive = false;
      try {
        client.ws.ping();
      } catch {
        client.ws.terminate();
      }
    }
  }

  private count(reason: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
  }

  /** Close one client for bad behaviour: a log line, an error frame, an application close code. */
  private reject(client: ServerClient, code: number, reason: string): void {
    if (client.closed) return;
    this.count(closeCodeName(code));
    this.log.warn({ client: client.id, remote: client.remote, role: client.role, slots: client.slots, code, reason }, `closing client: ${closeCodeName(code)}`);
    this.emit('rejected', code, reason, client.role);
    this.closeClient(client, code, reason, true);
  }

  private closeClient(client: ServerClient, code: number, reason: string, sendError: boolean): void {
    if (client.closed) return;
    if (sendError && client.ws.readyState === client.ws.OPEN) {
      const message: ErrorMessage = { kind: 'error', code, message: reason };
      client.ws.send(this.packr.pack(message));
    }
    // Close reasons are limited to 123 bytes.
    client.ws.close(code, Buffer.from(reason).subarray(0, 120).toString());
    this.detach(client);
    // A client that never completes the close handshake is cut off.
    setTimeout(() => client.ws.terminate(), 2000).unref();
  }

  private onClose(client: ServerClient): void {
    this.detach(client);
    this.clients.delete(client);
  }

  /** Release the client's slots (its agents fall back to the default action from now on). */
  private detach(client: ServerClient): void {
    if (client.closed) return;
    client.closed = true;
    if (client.handshakeTimer) clearTimeout(client.handshakeTimer);
    for (const slot of client.slots) {
      if (this.slotClient[slot] !== client) continue;
      this.slotClient[slot] = null;
      this.connectedFlags[slot] = 0;
      if (this.inFlight && !this.answered[slot] && this.world.sim.alive[slot] === 1) this.pending--;
      this.distributions.forget(slot);
      this.log.info({ slot, agent: this.world.sim.agentNames[slot] }, 'agent slot released');
      this.emit('release', slot);
    }
    if (client.role === ROLES.spectator) this.updateDistributionRequests();
    if (this.inFlight && this.mode === 'lockstep') this.maybeFinish();
  }

  private onMessage(client: ServerClient, data: RawData, isBinary: boolean): void {
    if (client.closed) return;
    const now = performance.now();
    if (!client.bucket!.take(now)) {
      this.reject(client, CLOSE_CODES.rateLimit, 'too many messages');
      return;
    }
    if (!isBinary) {
      this.reject(client, CLOSE_CODES.badFrame, 'text frames are not accepted: send binary msgpack');
      return;
    }
    const bytes = data as Buffer;
    if (bytes.length > client.frameLimit) {
      this.reject(client, CLOSE_CODES.tooLarge, `frame of ${bytes.length} bytes, limit ${client.frameLimit}`);
      return;
    }
    let value: unknown;
    try {
      value = this.packr.unpack(bytes);
    } catch (error) {
      this.reject(client, CLOSE_CODES.badFrame, `not msgpack: ${(error as Error).message}`);
      return;
    }
    try {
      if (client.role === ROLES.agent && Array.isArray(value)) this.onAction(client, value, now);
      else if (client.role === null) this.onHello(client, value);
      else this.onRoleMessage(client, value);
    } catch (error) {
      this.log.error({ client: client.id, err: error }, 'message handler failed');
      this.reject(client, CLOSE_CODES.badMessage, `server could not handle the message: ${(error as Error).message}`);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Handshakes
  // ------------------------------------------------------------------------------------------

  private onHello(client: ServerClient, value: unknown): void {
    if (typeof value !== 'object' || value === null || (value as { kind?: unknown }).kind !== 'hello') {
      this.reject(client, CLOSE_CODES.badMessage, 'the first message must be a hello');
      return;
    }
    const version = (value as { version?: unknown }).version;
    if (version !== PROTOCOL_VERSION) {
      this.reject(client, CLOSE_CODES.protocolVersion, `protocol version ${String(version)}, this server speaks ${PROTOCOL_VERSION}`);
      return;
    }
    const parsed = helloSchema.safeParse(value);
    if (!parsed.success) {
      this.reject(client, CLOSE_CODES.badMessage, `bad hello: ${describeZodError(parsed.error)}`);
      return;
    }
    const hello = parsed.data;
    const onSupervisorPath = client.path === SUPERVISOR_PATH;
    if ((hello.role === ROLES.supervisor) !== onSupervisorPath) {
      this.reject(client, CLOSE_CODES.wrongPath, hello.role === ROLES.supervisor ? `supervisors connect at ${SUPERVISOR_PATH}` : `${hello.role}s connect at /`);
      return;
    }
    if (hello.role === ROLES.agent) this.helloAgent(client, hello);
    else if (hello.role === ROLES.spectator) this.helloSpectator(client, hello);
    else this.helloSupervisor(client, hello);
  }

  private helloAgent(client: ServerClient, hello: Extract<Hello, { role: 'agent' }>): void {
    const world = this.world;
    const seen = new Set<number>();
    const views: (ViewSpec | undefined)[] = [];
    for (const claim of hello.slots) {
      if (claim.slot >= world.agentCount) {
        this.reject(client, CLOSE_CODES.wrongSlot, `slot ${claim.slot} does not exist (scenario '${world.name}' has slots 0-${world.agentCount - 1})`);
        return;
      }
      if (seen.has(claim.slot)) {
        this.reject(client, CLOSE_CODES.badMessage, `slot ${claim.slot} claimed twice in one hello`);
        return;
      }
      seen.add(claim.slot);
      if (!tokensEqual(claim.token, this.tokens[claim.slot])) {
        this.reject(client, CLOSE_CODES.badToken, `bad token for slot ${claim.slot}`);
        return;
      }
      const agent = world.sim.agentNames[claim.slot];
      let view = claim.view;
      const table = claim.viewByAgent ?? (claim.view ? undefined : hello.viewByAgent);
      if (table) {
        view = table[agent];
        if (!view) {
          this.reject(client, CLOSE_CODES.agentRefused, `the policy has no entry for ${agent} (slot ${claim.slot}); it has: ${Object.keys(table).join(', ')}`);
          return;
        }
      }
      views.push(view);
    }
    // Compile every view before touching any slot, so a bad view leaves the world as it was.
    const compiled: ObservationView[] = [];
    for (let k = 0; k < hello.slots.length; k++) {
      try {
        compiled.push(world.compileStudentView(hello.slots[k].slot, views[k]));
      } catch (error) {
        this.reject(client, CLOSE_CODES.badMessage, `slot ${hello.slots[k].slot}: ${(error as Error).message}`);
        return;
      }
    }
    if (client.handshakeTimer) clearTimeout(client.handshakeTimer);
    client.role = ROLES.agent;
    client.slots = hello.slots.map((c) => c.slot);
    client.frameLimit = LIMITS.agentFrameBytesBase + LIMITS.agentFrameBytesPerSlot * client.slots.length;
    client.distributionCount = client.slots.reduce((sum, s) => sum + world.sim.actionCounts[s], 0);
    client.bucket = new TokenBucket(LIMITS.agentRate, performance.now());
    const infos: SlotInfo[] = [];
    hello.slots.forEach((claim, k) => world.setStudentView(claim.slot, compiled[k]));
    for (const claim of hello.slots) {
      const slot = claim.slot;
      const previous = this.slotClient[slot];
      if (previous && previous !== client) {
        this.log.info({ slot, previous: previous.id, client: client.id }, 'slot taken over by a new connection');
        this.closeClient(previous, CLOSE_CODES.slotReplaced, `slot ${slot} claimed by another connection`, true);
      }
      const reconnect = this.claims[slot] > 0;
      this.claims[slot]++;
      this.slotClient[slot] = client;
      this.connectedFlags[slot] = 1;
      this.slotPolicy[slot] = claim.policy;
      this.slotCaps[slot] = { ...claim.caps };
      this.slotDeadline[slot] = claim.caps.deadlineMs ?? this.defaultDeadlineMs;
      this.recent[slot].clear();
      this.distributions.forget(slot);
      const view = world.studentViews[slot];
      infos.push({
        slot,
        agent: world.sim.agentNames[slot],
        type: world.agentTypes[slot],
        observationSize: view.size,
        actionCount: world.sim.actionCounts[slot],
        actionNames: [...(world.sim.actionNames?.[slot] ?? [])],
        deadlineMs: this.slotDeadline[slot],
        view: view.spec,
        labels: [...view.labels],
        layout: world.sim.layouts[slot].blocks.map((b) => ({ name: b.name, rows: b.rows, features: [...b.features], spatial: b.spatial })),
      });
      this.log.info({ slot, agent: world.sim.agentNames[slot], client: client.id, policy: claim.policy, pid: hello.pid, reconnect }, 'agent slot claimed');
      this.emit('claim', slot, reconnect);
    }
    this.layoutObservations();
    this.send(client, this.welcome(ROLES.agent, infos, false));
    this.updateDistributionRequests();
    if (!this.started) {
      if (this.slotClient.every((c) => c !== null)) this.start();
    } else if (this.inFlight) {
      // Joined mid-round: answer this round too (its deadline counts from now).
      const now = performance.now();
      for (const slot of client.slots) if (this.world.sim.alive[slot] === 1 && this.answered[slot] === 0) this.pending++;
      this.sendRoundTo(client, now);
      if (this.mode === 'lockstep') this.armDeadline(now);
    } else if (this.mode === 'lockstep') {
      this.beginRound();
    }
  }

  private helloSpectator(client: ServerClient, hello: Extract<Hello, { role: 'spectator' }>): void {
    if (client.handshakeTimer) clearTimeout(client.handshakeTimer);
    client.role = ROLES.spectator;
    client.frameLimit = LIMITS.spectatorFrameBytes;
    client.control = hello.token !== undefined && tokensEqual(hello.token, this.controlToken);
    const rate = clampNumber(hello.rate, 1, LIMITS.spectatorMaxHz, LIMITS.spectatorDefaultHz);
    client.snapshotIntervalMs = 1000 / rate;
    this.send(client, this.welcome(ROLES.spectator, [], client.control));
    this.send(client, this.world.scene());
    this.sendSnapshotTo(client, performance.now(), true);
  }

  private helloSupervisor(client: ServerClient, hello: Extract<Hello, { role: 'supervisor' }>): void {
    if (!tokensEqual(hello.token, this.controlToken)) {
      this.reject(client, CLOSE_CODES.badToken, 'bad supervisor token');
      return;
    }
    if (client.handshakeTimer) clearTimeout(client.handshakeTimer);
    client.role = ROLES.supervisor;
    client.teacherObservations = hello.teacherObservations;
    client.bucket = new TokenBucket(LIMITS.supervisorRate, performance.now());
    if (this.inFlight) this.fillObservations(true);
    this.send(client, this.welcome(ROLES.supervisor, [], true));
  }

  private welcome(role: WelcomeMessage['role'], slots: SlotInfo[], control: boolean): WelcomeMessage {
    const world = this.world;
    return {
      kind: 'welcome',
      version: PROTOCOL_VERSION,
      role,
      scenario: world.name,
      family: world.family,
      mode: this.mode,
      hz: this.mode === 'realtime' ? this.hz : 0,
      deadlineMs: this.defaultDeadlineMs,
      maxSteps: world.sim.maxSteps,
      dt: world.sim.dt,
      tick: world.tick,
      episode: world.episode,
      agentNames: [...world.sim.agentNames],
      entities: world.sim.entities.map((e) => ({ ...e })),
      stateSize: world.sim.stateSize,
      slots,
      teacherSizes: world.teacherViews.map((v) => v.size),
      studentSizes: world.studentViews.map((v) => v.size),
      actionCounts: [...world.sim.actionCounts],
      control,
    };
  }

  // ------------------------------------------------------------------------------------------
  // Messages after the hello
  // ------------------------------------------------------------------------------------------

  private onRoleMessage(client: ServerClient, value: unknown): void {
    const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
    if (client.role === ROLES.agent) {
      if (kind === 'report') {
        const report = agentReportSchema.safeParse(value);
        if (!report.success) return this.reject(client, CLOSE_CODES.badMessage, `bad report: ${describeZodError(report.error)}`);
        client.rssMb = report.data.rssMb;
        client.heapMb = report.data.heapMb;
        for (const s of report.data.slots) {
          if (this.slotClient[s.slot] !== client) return this.reject(client, CLOSE_CODES.wrongSlot, `report for slot ${s.slot}, which this connection does not hold`);
          this.flops[s.slot] = s.flops;
          this.decideMs[s.slot] = s.decideMs;
        }
        return;
      }
      if (kind === 'weights-ack') {
        const ack = weightsAckSchema.safeParse(value);
        if (!ack.success) return this.reject(client, CLOSE_CODES.badMessage, `bad weights-ack: ${describeZodError(ack.error)}`);
        const slots = client.pendingWeights.get(ack.data.id);
        if (!slots) return;
        client.pendingWeights.delete(ack.data.id);
        const forward = { ...ack.data, slots };
        this.emit('weightsAck', forward);
        for (const c of this.clients) if (c.role === ROLES.supervisor) this.send(c, forward);
        return;
      }
      return this.reject(client, CLOSE_CODES.badMessage, `agents send action frames, reports and weights-acks, not '${String(kind)}'`);
    }
    if (client.role === ROLES.spectator) {
      if (kind === 'control') return this.onControl(client, value);
      if (kind === 'inspect') {
        const parsed = inspectSchema.safeParse(value);
        if (!parsed.success || parsed.data.agent >= this.world.agentCount) return this.reject(client, CLOSE_CODES.badMessage, 'bad inspect request');
        client.inspecting = parsed.data.agent;
        client.inspectedAt = performance.now();
        this.updateDistributionRequests();
        return this.send(client, this.inspectReply(parsed.data.agent));
      }
      if (kind === 'overlays') {
        const parsed = overlaysSchema.safeParse(value);
        if (!parsed.success) return this.reject(client, CLOSE_CODES.badMessage, `bad overlays message: ${describeZodError(parsed.error)}`);
        client.overlays = parsed.data.graph || parsed.data.roles;
        this.updateDistributionRequests();
        return;
      }
      if (Array.isArray(value) || kind === 'weights') return this.reject(client, CLOSE_CODES.notAllowed, 'spectators cannot act');
      return this.reject(client, CLOSE_CODES.badMessage, `spectators send control, inspect and overlays messages, not '${String(kind)}'`);
    }
    if (client.role === ROLES.supervisor) {
      if (kind === 'weights') return this.onWeights(client, value);
      if (kind === 'control') return this.onControl(client, value);
      if (Array.isArray(value)) return this.reject(client, CLOSE_CODES.notAllowed, 'supervisors cannot act for agents');
      return this.reject(client, CLOSE_CODES.badMessage, `supervisors send weights and control messages, not '${String(kind)}'`);
    }
  }

  private onWeights(client: ServerClient, value: unknown): void {
    const parsed = weightsSchema.safeParse(value);
    if (!parsed.success) return this.reject(client, CLOSE_CODES.badMessage, `bad weights message: ${describeZodError(parsed.error)}`);
    const slots = parsed.data.slots ?? this.world.sim.agentNames.map((_, i) => i);
    for (const s of slots) if (s >= this.world.agentCount) return this.reject(client, CLOSE_CODES.wrongSlot, `weights for slot ${s}, which does not exist`);
    const byClient = new Map<ServerClient, number[]>();
    for (const s of slots) {
      const holder = this.slotClient[s];
      if (!holder) continue;
      const list = byClient.get(holder) ?? [];
      list.push(s);
      byClient.set(holder, list);
    }
    for (const [holder, held] of byClient) {
      const id = this.nextWeightsId++;
      holder.pendingWeights.set(id, held);
      this.send(holder, { kind: 'weights', id, policy: parsed.data.policy });
    }
    const offline = slots.filter((s) => !this.slotClient[s]);
    this.send(client, { kind: 'weights-sent', slots: slots.filter((s) => this.slotClient[s]), offline });
  }

  private onControl(client: ServerClient, value: unknown): void {
    const parsed = controlSchema.safeParse(value);
    if (!parsed.success) return this.reject(client, CLOSE_CODES.badMessage, `bad control message: ${describeZodError(parsed.error)}`);
    const control = parsed.data;
    const reply = (ok: boolean, error?: string): void => {
      const message: ControlReply = { kind: 'control', action: control.action, ok, ...(error ? { error } : {}) };
      this.send(client, message);
    };
    if (!tokensEqual(control.token, this.controlToken)) {
      this.count('controlRefused');
      this.log.warn({ client: client.id, action: control.action }, 'control refused: bad token');
      return reply(false, 'bad control token');
    }
    this.log.info({ client: client.id, action: control.action, value: control.value }, 'control');
    const error = control.action === 'speed' && control.hz !== undefined ? this.control('hz', control.hz) : this.control(control.action, control.value);
    reply(error === null, error ?? undefined);
  }

  /** Apply a run control; returns an error message or null. Also used by `kdmarl up`. */
  control(action: string, value?: number | string): string | null {
    switch (action) {
      case 'pause':
        this.paused = true;
        return null;
      case 'resume':
        this.paused = false;
        this.stepBudget = 0;
        this.resume();
        return null;
      case 'step':
        if (!this.paused) return 'step works while paused';
        this.stepBudget++;
        this.resume();
        return null;
      case 'reset':
        this.world.resetEpisode();
        if (this.inFlight) this.restartRound();
        return null;
      case 'speed': {
        const factor = typeof value === 'number' ? value : Number(value);
        if (!Number.isFinite(factor) || factor < 0 || factor > 1000) return `speed: expected a factor in [0, 1000] (0 = as fast as agents answer), got ${String(value)}`;
        this.setSpeed(factor === 0 ? 0 : this.baseHz * factor);
        return null;
      }
      case 'hz': {
        const hz = typeof value === 'number' ? value : Number(value);
        if (!Number.isFinite(hz) || hz < 0 || hz > 1000) return `speed: expected a rate in [0, 1000] Hz, got ${String(value)}`;
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
    this.stopTimers();
    this.nextTickAt = 0;
    if (hz === 0) {
      this.mode = 'lockstep';
    } else {
      this.mode = 'realtime';
      this.hz = Math.min(1000, hz);
    }
    this.inFlight = false;
    if (this.started) this.beginRound();
  }

  private inspectReply(agent: number): Record<string, unknown> {
    const world = this.world;
    const teacher = new Float32Array(world.teacherViews[agent].size);
    const student = new Float32Array(world.studentViews[agent].size);
    world.writeStudent(agent, student, 0);
    world.writeTeacherFromRaw(agent, teacher, 0);
    return {
      kind: 'inspect',
      agent,
      teacher,
      student,
      flopsCap: this.slotCaps[agent]?.flops ?? null,
      deadlineMs: this.slotDeadline[agent],
      flops: this.flops[agent],
      policy: this.slotPolicy[agent],
      ...this.inspectedDistribution(agent),
    };
  }

  /** The inspected agent's action distribution (asked for by the inspection itself), or why there is none yet. */
  private inspectedDistribution(agent: number): Record<string, unknown> {
    const probs = this.distributions.of(agent, this.request);
    if (probs) return { probs, probsKind: probabilityKind(this.slotPolicy[agent]) };
    if (!this.slotClient[agent]) return { probs: null, probsNote: 'no agent holds this slot' };
    if (this.world.sim.alive[agent] !== 1) return { probs: null, probsNote: 'dead: no decisions' };
    return { probs: null, probsNote: 'asked the agent; arrives with its next answer' };
  }

  /**
   * Ask agent connections to start or stop sending action distributions: all of them while a
   * spectator shows the graph or role overlay, else only those holding an inspected agent
   * (an inspection lapses when the viewer stops renewing it). Only changes are sent.
   */
  private updateDistributionRequests(): void {
    const now = performance.now();
    const n = this.world.agentCount;
    const inspected = this.inspected;
    inspected.fill(0);
    let structure = false;
    for (const client of this.clients) {
      if (client.role !== ROLES.spectator || client.closed) continue;
      if (client.overlays) structure = true;
      if (client.inspecting >= 0 && client.inspecting < n && now - client.inspectedAt < INSPECT_LAPSE_MS) inspected[client.inspecting] = 1;
    }
    this.structureWanted = structure;
    for (const client of this.clients) {
      if (client.role !== ROLES.agent || client.closed) continue;
      let want = structure;
      for (const s of client.slots) if (inspected[s] === 1) want = true;
      if (want === client.distributionsOn) continue;
      client.distributionsOn = want;
      this.send(client, { kind: 'probabilities', on: want } satisfies ProbabilitiesRequest);
    }
  }

  /** Switch scenario: agents and supervisors are closed (their spaces changed), spectators get the new scene. */
  switchScenario(name: string): void {
    const world = new WorldSession({ scenario: name, seed: this.options.seed, fallback: this.options.fallback });
    this.stopTimers();
    this.inFlight = false;
    this.started = false;
    for (const client of this.clients) {
      if (client.role === ROLES.agent || client.role === ROLES.supervisor) {
        this.closeClient(client, CLOSE_CODES.scenarioChanged, `scenario switched to ${world.name}`, true);
      }
    }
    this.world = world;
    this.tokens = world.sim.agentNames.map(() => newToken());
    this.resetSlots();
    this.recorder?.startScene(world.scene());
    for (const client of this.clients) if (client.role === ROLES.spectator) this.send(client, world.scene());
    this.log.info({ scenario: world.name }, 'scenario switched');
    this.emit('scenario', world.name, [...this.tokens]);
    if (this.options.waitForAgents === false) this.start();
  }

  // ------------------------------------------------------------------------------------------
  // The tick loop
  // ------------------------------------------------------------------------------------------

  private resetSlots(): void {
    const n = this.world.agentCount;
    this.slotClient = new Array(n).fill(null);
    this.slotPolicy = new Array(n).fill('none');
    this.slotCaps = Array.from({ length: n }, () => ({}));
    this.slotDeadline = new Float64Array(n).fill(this.defaultDeadlineMs);
    this.answered = new Uint8Array(n);
    this.missedThisTick = new Uint8Array(n);
    this.misses = new Int32Array(n);
    this.invalid = new Int32Array(n);
    this.offline = new Int32Array(n);
    this.claims = new Int32Array(n);
    this.connectedFlags = new Uint8Array(n);
    this.latencyMedian = new Float32Array(n);
    this.flops = new Float64Array(n);
    this.decideMs = new Float64Array(n);
    this.recent = Array.from({ length: n }, () => new RecentWindow(64));
    this.stepMasks = new Uint8Array(this.world.io.masks.length);
    this.stepActions = new Int16Array(n);
    this.snapshots = new SnapshotBuilder(this.world, { connected: this.connectedFlags, latencyMs: this.latencyMedian, misses: this.misses, flops: this.flops });
    const sim = this.world.sim;
    this.distributions = new AgentDistributions(sim.actionNames ?? [], sim.actionCounts, this.world.io.maskOffsets);
    this.inspected = new Uint8Array(n);
    this.roundTrips.clear();
    this.decisions = 0;
    this.due = 0;
    this.layoutObservations();
  }

  /** Recompute the concatenated observation buffers after a view changed, and each agent connection's slice. */
  private layoutObservations(): void {
    const world = this.world;
    const n = world.agentCount;
    this.studentOffsets = [];
    let total = 0;
    for (let i = 0; i < n; i++) {
      this.studentOffsets.push(total);
      total += world.studentViews[i].size;
    }
    this.studentOffsets.push(total);
    this.studentObs = new Float32Array(total);
    this.teacherOffsets = [];
    total = 0;
    for (let i = 0; i < n; i++) {
      this.teacherOffsets.push(total);
      total += world.teacherViews[i].size;
    }
    this.teacherOffsets.push(total);
    this.teacherObs = new Float32Array(total);
    const masks = world.io.masks;
    const maskOffsets = [...world.io.maskOffsets, masks.length];
    for (const client of this.clients) {
      if (client.role !== ROLES.agent || client.closed) continue;
      const slots = client.slots;
      const contiguous = slots.every((s, k) => k === 0 || s === slots[k - 1] + 1);
      if (contiguous) {
        // Views into the shared buffers: nothing to copy per tick.
        const first = slots[0];
        const last = slots[slots.length - 1];
        client.observations = this.studentObs.subarray(this.studentOffsets[first], this.studentOffsets[last + 1]);
        client.masks = masks.subarray(maskOffsets[first], maskOffsets[last + 1]);
        client.copyPlan = null;
      } else {
        const obsSize = slots.reduce((sum, s) => sum + world.studentViews[s].size, 0);
        const maskSize = slots.reduce((sum, s) => sum + world.sim.actionCounts[s], 0);
        client.observations = new Float32Array(obsSize);
        client.masks = new Uint8Array(maskSize);
        client.copyPlan = slots.map((s) => ({ from: this.studentOffsets[s], size: world.studentViews[s].size, maskFrom: maskOffsets[s], maskSize: world.sim.actionCounts[s] }));
      }
      client.frame = [FRAME.obs, 0, 0, 0, client.observations, client.masks];
    }
    // The buffers are new: refill them if a round is in flight (same state, so the same values).
    if (this.inFlight) this.fillObservations(this.hasSupervisor());
  }

  private start(): void {
    if (this.started || this.closing) return;
    this.started = true;
    this.log.info({ mode: this.mode, hz: this.mode === 'realtime' ? this.hz : undefined }, 'world started');
    this.beginRound();
  }

  private stopTimers(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    if (this.realtimeTimer) clearTimeout(this.realtimeTimer);
    this.deadlineTimer = null;
    this.realtimeTimer = null;
  }

  private get canAdvance(): boolean {
    return !this.paused || this.stepBudget > 0;
  }

  /** Send this tick's observations to every agent connection and start waiting for answers. */
  private beginRound(): void {
    if (this.closing) return;
    const world = this.world;
    const n = world.agentCount;
    const sim = world.sim;
    let connected = 0;
    for (let i = 0; i < n; i++) if (this.slotClient[i]) connected++;
    if (this.mode === 'lockstep' && connected === 0) {
      // Nobody to wait for: idle until an agent claims a slot, instead of spinning through episodes.
      this.inFlight = false;
      return;
    }
    this.request++;
    this.inFlight = true;
    this.answered.fill(0);
    this.missedThisTick.fill(0);
    this.fillObservations(this.hasSupervisor());
    const now = performance.now();
    let pending = 0;
    for (let i = 0; i < n; i++) {
      if (sim.alive[i] !== 1) {
        this.answered[i] = 1;
        world.actions[i] = sim.deadAction;
      } else if (this.slotClient[i]) {
        pending++;
      }
    }
    this.pending = pending;
    for (const client of this.clients) if (client.role === ROLES.agent && !client.closed) this.sendRoundTo(client, now);
    if (this.mode === 'lockstep') {
      if (this.pending === 0) this.maybeFinish();
      else this.armDeadline(now);
    } else {
      this.scheduleRealtime(now);
    }
  }

  /** This tick's student views (and teacher views, state and masks for supervisors) into the shared buffers. */
  private fillObservations(supervised: boolean): void {
    const world = this.world;
    const wantTeacher = supervised && this.wantsTeacher();
    for (let i = 0; i < world.agentCount; i++) {
      world.writeStudent(i, this.studentObs, this.studentOffsets[i]);
      if (wantTeacher) world.writeTeacherFromRaw(i, this.teacherObs, this.teacherOffsets[i]);
    }
    if (supervised) {
      world.sim.writeState(world.state, 0);
      this.stepMasks.set(world.io.masks);
    }
  }

  /** A round restarted without stepping (reset control): same tick, fresh observations. */
  private restartRound(): void {
    this.stopTimers();
    this.inFlight = false;
    this.beginRound();
  }

  private sendRoundTo(client: ServerClient, now: number): void {
    const frame = client.frame;
    if (!frame) return;
    const plan = client.copyPlan;
    if (plan) {
      let o = 0;
      let m = 0;
      const masks = this.world.io.masks;
      for (const p of plan) {
        for (let k = 0; k < p.size; k++) client.observations[o++] = this.studentObs[p.from + k];
        for (let k = 0; k < p.maskSize; k++) client.masks[m++] = masks[p.maskFrom + k];
      }
    }
    frame[1] = this.request;
    frame[2] = this.world.episode;
    frame[3] = this.world.sim.t;
    client.sentAt = now;
    client.ws.send(this.packr.pack(frame));
  }

  private armDeadline(now: number): void {
    let earliest = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.answered.length; i++) {
      if (this.answered[i] || !this.slotClient[i]) continue;
      const due = this.slotClient[i]!.sentAt + this.slotDeadline[i];
      if (due < earliest) earliest = due;
    }
    if (earliest === Number.POSITIVE_INFINITY) return;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = setTimeout(() => this.onDeadline(), Math.max(0, earliest - now));
  }

  private onDeadline(): void {
    this.deadlineTimer = null;
    if (!this.inFlight) return;
    const now = performance.now();
    for (let i = 0; i < this.answered.length; i++) {
      const client = this.slotClient[i];
      if (this.answered[i] || !client) continue;
      if (now - client.sentAt >= this.slotDeadline[i] - 0.5) {
        // Resolved as a miss: the fallback is applied when the round finishes.
        this.answered[i] = 2;
        this.pending--;
      }
    }
    if (this.pending <= 0) this.maybeFinish();
    else this.armDeadline(now);
  }

  private onAction(client: ServerClient, frame: unknown[], now: number): void {
    const slots = client.slots;
    const request = actionFrameTick(frame, slots.length, client.distributionCount);
    if (request < 0) {
      this.reject(client, CLOSE_CODES.badMessage, `bad action frame: expected [${FRAME.act}, tick, ${slots.length} actions, optional Float32Array of ${client.distributionCount} probabilities]`);
      return;
    }
    if (request !== this.request || !this.inFlight) {
      this.count('staleActions');
      return;
    }
    const actions = frame[2] as ArrayLike<number>;
    if (frame.length === 4) this.distributions.store(slots, actions, frame[3] as Float32Array, request, this.slotClient, client);
    const world = this.world;
    const rt = now - client.sentAt;
    for (let k = 0; k < slots.length; k++) {
      const raw = actions[k];
      if (raw === -1) continue;
      const i = slots[k];
      if (this.answered[i] || this.slotClient[i] !== client) continue;
      this.answered[i] = 1;
      this.pending--;
      this.recent[i].add(rt);
      this.roundTrips.add(rt);
      this.decisions++;
      if (rt > this.slotDeadline[i]) {
        // Arrived after its deadline (the timer had not fired yet): still a miss.
        this.answered[i] = 2;
        continue;
      }
      const checked = world.io.checkAction(i, raw, 'lenient');
      if (checked.replaced) {
        // A bad action is replaced like a late one, but counted as invalid, not as a deadline miss.
        this.invalid[i]++;
        this.answered[i] = 3;
        continue;
      }
      world.actions[i] = checked.action;
    }
    if (this.pending <= 0 && this.mode === 'lockstep') this.maybeFinish();
  }

  private maybeFinish(): void {
    if (!this.inFlight || this.pending > 0 || !this.canAdvance) return;
    this.finishRound();
    if (this.paused && this.stepBudget === 0) return;
    this.beginRound();
  }

  /** Resume after pause/step: finish a round that is ready, or start one. */
  private resume(): void {
    if (!this.started) return;
    if (this.mode === 'lockstep') {
      if (this.inFlight) this.maybeFinish();
      else this.beginRound();
    } else if (!this.realtimeTimer) {
      this.scheduleRealtime(performance.now());
    }
  }

  /** Apply answers (fallbacks for the rest), step, book-keep, stream. */
  private finishRound(): void {
    if (this.deadlineTimer) {
      clearTimeout(this.deadlineTimer);
      this.deadlineTimer = null;
    }
    this.inFlight = false;
    if (this.stepBudget > 0) this.stepBudget--;
    const world = this.world;
    const sim = world.sim;
    const n = world.agentCount;
    for (let i = 0; i < n; i++) {
      if (sim.alive[i] === 1) this.due++;
      if (this.answered[i] === 1) continue;
      world.actions[i] = world.fallbackAction(i);
      if (sim.alive[i] === 1 && this.answered[i] !== 3) {
        this.misses[i]++;
        this.missedThisTick[i] = 1;
        if (!this.slotClient[i]) this.offline[i]++;
      }
    }
    const supervised = this.hasSupervisor();
    const t = sim.t;
    const episode = world.episode;
    if (supervised) for (let i = 0; i < n; i++) this.stepActions[i] = world.actions[i];
    const end = world.step();
    const now = performance.now();
    this.tickTimes[this.tickTimeIndex++ & 63] = now;
    if (supervised) this.sendSupervisorStep(world.tick, episode, t, end);
    if (end) {
      this.emit('episode', end);
      this.log.debug({ episode: world.episodes, return: end.return, won: end.won }, 'episode end');
    }
    if (this.recorder || this.spectatorCount() > 0) this.streamSnapshots(now);
    this.emit('tick', world.tick);
  }

  private scheduleRealtime(now: number): void {
    const period = 1000 / this.hz;
    if (this.nextTickAt === 0 || this.nextTickAt < now - period * (this.options.maxCatchUp ?? 3)) {
      if (this.nextTickAt !== 0) {
        const dropped = Math.floor((now - this.nextTickAt) / period);
        this.deferredSteps += dropped;
        this.log.warn({ dropped, behindMs: Math.round(now - this.nextTickAt) }, 'realtime: fell behind, dropping steps');
      }
      this.nextTickAt = now + period;
    }
    const delay = Math.max(0, this.nextTickAt - now);
    this.realtimeTimer = setTimeout(() => this.onRealtimeTick(), delay);
  }

  private onRealtimeTick(): void {
    this.realtimeTimer = null;
    if (this.closing || this.mode !== 'realtime') return;
    const period = 1000 / this.hz;
    this.nextTickAt += period;
    if (!this.canAdvance) {
      this.nextTickAt = 0;
      return;
    }
    if (this.inFlight) this.finishRound();
    // Observations go out even when this was a single step while paused, so the next step has answers.
    this.beginRound();
  }

  private hasSupervisor(): boolean {
    for (const client of this.clients) if (client.role === ROLES.supervisor && !client.closed) return true;
    return false;
  }

  /** Teacher views cost a second view per agent per tick: only when a supervisor asked for them. */
  private wantsTeacher(): boolean {
    for (const client of this.clients) if (client.role === ROLES.supervisor && !client.closed && client.teacherObservations) return true;
    return false;
  }

  private spectatorCount(): number {
    let count = 0;
    for (const client of this.clients) if (client.role === ROLES.spectator && !client.closed) count++;
    return count;
  }

  private sendSupervisorStep(tick: number, episode: number, t: number, end: EpisodeEnd | null): void {
    const world = this.world;
    const frame: SupervisorStepFrame = [
      FRAME.step,
      tick,
      episode,
      t,
      world.state,
      this.teacherObs,
      this.studentObs,
      this.stepMasks,
      this.stepActions,
      world.rewards,
      this.missedThisTick,
      end ? (end.terminated ? 1 : 2) : 0,
      end ? end.won : false,
    ];
    let withTeacher: Buffer | null = null;
    let withoutTeacher: Buffer | null = null;
    for (const client of this.clients) {
      if (client.role !== ROLES.supervisor || client.closed) continue;
      if (client.ws.bufferedAmount > LIMITS.supervisorBufferedBytes) {
        client.droppedSteps++;
        continue;
      }
      if (client.teacherObservations) {
        frame[5] = this.teacherObs;
        withTeacher ??= this.packr.pack(frame);
        client.ws.send(withTeacher);
      } else {
        frame[5] = NO_VALUES;
        withoutTeacher ??= this.packr.pack(frame);
        client.ws.send(withoutTeacher);
      }
    }
  }

  private streamSnapshots(now: number): void {
    let bytes: Buffer | null = null;
    const snapshot = (): Buffer => {
      if (!bytes) {
        const message = this.snapshots.build(Date.now(), this.tickRate(), this.paused, this.snapshotStructure());
        for (let i = 0; i < this.world.agentCount; i++) this.latencyMedian[i] = this.recent[i].median();
        bytes = this.packr.pack(message);
        this.recorder?.write(message);
      }
      return bytes;
    };
    if (this.recorder) snapshot();
    for (const client of this.clients) {
      if (client.role !== ROLES.spectator || client.closed) continue;
      if (now - client.lastSnapshotAt < client.snapshotIntervalMs) continue;
      if (client.ws.bufferedAmount > LIMITS.spectatorBufferedBytes) {
        // Latest wins: this one is skipped, the next due snapshot is the current world.
        client.skippedSnapshots++;
        continue;
      }
      client.lastSnapshotAt = now;
      client.ws.send(snapshot());
    }
  }

  private sendSnapshotTo(client: ServerClient, now: number, force: boolean): void {
    if (!force && client.ws.bufferedAmount > LIMITS.spectatorBufferedBytes) return;
    for (let i = 0; i < this.world.agentCount; i++) this.latencyMedian[i] = this.recent[i].median();
    client.lastSnapshotAt = now;
    client.ws.send(this.packr.pack(this.snapshots.build(Date.now(), this.tickRate(), this.paused, this.snapshotStructure())));
  }

  /** Relations and roles for snapshots, only while a spectator shows them and distributions are coming in. */
  private snapshotStructure(): ReturnType<AgentDistributions['compute']> {
    return this.structureWanted ? this.distributions.compute(this.world.sim.alive, this.request) : null;
  }

  /** Paused or idle worlds still tell spectators so (once a second). */
  private idleSnapshots(): void {
    this.updateDistributionRequests();
    const now = performance.now();
    for (const client of this.clients) {
      if (client.role !== ROLES.spectator || client.closed) continue;
      if (now - client.lastSnapshotAt >= 1000) this.sendSnapshotTo(client, now, false);
    }
  }

  private send(client: ServerClient, message: unknown): void {
    if (client.closed || client.ws.readyState !== client.ws.OPEN) return;
    client.ws.send(this.packr.pack(message));
  }

  // ------------------------------------------------------------------------------------------
  // Status
  // ------------------------------------------------------------------------------------------

  /** Ticks per second over the last 64 ticks (0 when idle for more than 2 s). */
  tickRate(): number {
    const count = Math.min(this.tickTimeIndex, 64);
    if (count < 2) return 0;
    const newest = this.tickTimes[(this.tickTimeIndex - 1) & 63];
    const oldest = this.tickTimes[(this.tickTimeIndex - count) & 63];
    if (performance.now() - newest > 2000 || newest === oldest) return 0;
    return ((count - 1) * 1000) / (newest - oldest);
  }

  status(): ServerStatus {
    const world = this.world;
    const agents: AgentStatus[] = world.sim.agentNames.map((agent, slot) => ({
      slot,
      agent,
      connected: this.slotClient[slot] !== null,
      policy: this.slotPolicy[slot],
      latencyMs: this.recent[slot].median(),
      misses: this.misses[slot],
      invalid: this.invalid[slot],
      offlineTicks: this.offline[slot],
      claims: this.claims[slot],
      reconnects: Math.max(0, this.claims[slot] - 1),
      flops: this.flops[slot],
      decideMs: this.decideMs[slot],
      rssMb: this.slotClient[slot]?.rssMb ?? 0,
    }));
    let misses = 0;
    for (let i = 0; i < world.agentCount; i++) misses += this.misses[i];
    let spectators = 0;
    let supervisors = 0;
    for (const c of this.clients) {
      if (c.closed) continue;
      if (c.role === ROLES.spectator) spectators++;
      if (c.role === ROLES.supervisor) supervisors++;
    }
    return {
      scenario: world.name,
      mode: this.mode,
      hz: this.mode === 'realtime' ? this.hz : 0,
      tick: world.tick,
      episode: world.episode,
      episodes: world.episodes,
      wins: world.wins,
      losses: world.losses,
      winRate: world.winRate,
      lastReturn: world.lastReturn,
      meanReturn: world.meanReturn,
      tickRate: this.tickRate(),
      paused: this.paused,
      agents,
      decisions: this.decisions,
      due: this.due,
      misses,
      roundTripMs: { p50: this.roundTrips.quantile(0.5), p99: this.roundTrips.quantile(0.99), mean: this.roundTrips.meanMs, count: this.roundTrips.count },
      spectators,
      supervisors,
      rejected: { ...this.rejected, deferredSteps: this.deferredSteps },
    };
  }

  /** Test and launcher hook: cut an agent's link without telling it (as a network drop would). */
  dropSlot(slot: number): boolean {
    const client = this.slotClient[slot];
    if (!client) return false;
    client.ws.terminate();
    return true;
  }
}

const NO_VALUES = new Float32Array(0);
/** The viewer renews an open inspection every 500 ms; without renewal the agent stops sending distributions. */
const INSPECT_LAPSE_MS = 3000;

function clampNumber(value: number | undefined, min: number, max: number, fallback: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, value));
}
