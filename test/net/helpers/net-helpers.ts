import { spawn, type ChildProcess } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import { pino } from 'pino';
import WebSocket from 'ws';
import { createPackr, encode } from '../../../shared/codec.ts';
import { POLICY_FORMAT, POLICY_FORMAT_VERSION, type PolicyFile } from '../../../shared/model-format.ts';
import type { ViewSpec } from '../../../shared/view-spec.ts';
import { PROTOCOL_VERSION } from '../../../shared/protocol.ts';
import { AgentClient } from '../../../agents/process/agent-client.ts';
import type { AgentClientOptions } from '../../../agents/process/agent-client-options.ts';
import { loadPolicySource } from '../../../agents/policy-source.ts';
import { NetServer, type NetServerOptions } from '../../../server/net/net-server.ts';
import { ensureAgentDist } from './build-dist.ts';

export const packr = createPackr();
export const silent = pino({ level: 'silent' });

/**
 * Everything the helpers below started, so one `afterEach(stopStarted)` cleans up after any test
 * and a test cannot forget to. Vitest loads this module once per test file, so the registry is per file.
 */
const started = { agents: [] as AgentClient[], raws: [] as RawClient[], children: [] as ChildProcess[], servers: [] as NetServer[] };

/**
 * Stop everything started since the last call. Clients go before servers so that none of them
 * reacts to a server going away (an agent would try to reconnect); NetServer.close() is idempotent,
 * so a test may already have closed its server.
 */
export async function stopStarted(): Promise<void> {
  for (const agent of started.agents.splice(0)) agent.stop();
  for (const raw of started.raws.splice(0)) raw.close();
  for (const child of started.children.splice(0)) child.kill('SIGKILL');
  for (const server of started.servers.splice(0)) await server.close();
}

export async function startServer(options: Partial<NetServerOptions> & { scenario: string }): Promise<NetServer> {
  const server = new NetServer({ logger: silent, deadlineMs: 200, ...options });
  await server.listen();
  started.servers.push(server);
  return server;
}

/** Resolve on the next `event` whose arguments satisfy `accept` (no timers: the test timeout bounds it). */
export function nextEvent<A extends unknown[]>(emitter: EventEmitter, event: string, accept: (...args: A) => boolean = () => true): Promise<A> {
  return new Promise((resolve) => {
    const listener = (...args: unknown[]): void => {
      if (!accept(...(args as A))) return;
      emitter.off(event, listener);
      resolve(args as A);
    };
    emitter.on(event, listener);
  });
}

/** Resolve once the server has stepped `count` more ticks. */
export function ticks(server: NetServer, count: number): Promise<void> {
  const target = server.world.tick + count;
  return nextEvent<[number]>(server, 'tick', (tick) => tick >= target).then(() => undefined);
}

/** An agent client inside the test process (fast; same code as the agent process). */
export async function inProcessAgent(server: NetServer, slots: number[], model = 'random', extra: Partial<AgentClientOptions> = {}): Promise<AgentClient> {
  const source = await loadPolicySource(model, { flopsCap: extra.caps?.flops });
  const client = new AgentClient({
    url: server.url,
    slots: slots.map((slot) => ({ slot, token: server.tokens[slot] })),
    source,
    caps: {},
    log: silent,
    backoffMs: 10,
    ...extra,
  });
  started.agents.push(client);
  void client.run();
  return client;
}

export type SpawnedAgent = { child: ChildProcess; stderr: () => string; exit: Promise<number | null> };

/** `node <args>` with stderr kept for assertions and stdout discarded. */
export function spawnNode(args: string[], env: NodeJS.ProcessEnv = process.env): SpawnedAgent {
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  started.children.push(child);
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stderr: () => err, exit };
}

/** `node dist/cli.js agent ...` for one slot; the token goes in the environment, not argv. */
export function spawnAgent(server: NetServer, slot: number, args: string[] = []): SpawnedAgent {
  const cli = ensureAgentDist();
  return spawnNode([cli, 'agent', '--server', server.url, '--slot', String(slot), '--log-level', 'warn', ...args], { ...process.env, KDMARL_AGENT_TOKEN: server.tokens[slot] });
}

/** A raw client for protocol tests: every decoded message queued, `next(kind)` waits for one. */
export class RawClient {
  readonly ws: WebSocket;
  /** Messages not yet taken by `next`. */
  readonly messages: Record<string, unknown>[] = [];
  /** Every message received, in order. */
  readonly all: Record<string, unknown>[] = [];
  readonly arrays: unknown[][] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { kind: string; resolve: (m: Record<string, unknown>) => void }[] = [];
  private arrayWaiters: ((a: unknown[]) => void)[] = [];

  constructor(url: string, options: WebSocket.ClientOptions = {}) {
    this.ws = new WebSocket(url, options);
    started.raws.push(this);
    this.ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data: Buffer) => {
      const value = packr.unpack(data);
      if (Array.isArray(value)) {
        const waiter = this.arrayWaiters.shift();
        if (waiter) waiter(value);
        else this.arrays.push(value);
        return;
      }
      const message = value as Record<string, unknown>;
      this.all.push(message);
      const index = this.waiters.findIndex((w) => w.kind === message.kind);
      if (index >= 0) this.waiters.splice(index, 1)[0].resolve(message);
      else this.messages.push(message);
    });
  }

  opened(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) return Promise.resolve();
    return new Promise((resolve) => this.ws.once('open', () => resolve()));
  }

  send(value: unknown): void {
    this.ws.send(packr.pack(value));
  }

  /** The next message of this kind (already received ones first, in order). */
  next(kind: string): Promise<Record<string, unknown>> {
    const index = this.messages.findIndex((m) => m.kind === kind);
    if (index >= 0) return Promise.resolve(this.messages.splice(index, 1)[0]);
    return new Promise((resolve) => this.waiters.push({ kind, resolve }));
  }

  nextArray(): Promise<unknown[]> {
    const queued = this.arrays.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => this.arrayWaiters.push(resolve));
  }

  close(): void {
    this.ws.close();
  }
}

export async function spectator(server: NetServer, extra: Record<string, unknown> = {}): Promise<RawClient> {
  const client = new RawClient(server.url);
  await client.opened();
  client.send({ kind: 'hello', version: PROTOCOL_VERSION, role: 'spectator', ...extra });
  return client;
}

/** A one-layer linear student for spread: one shared net, seen through `views` (one per agent). */
export function linearSpreadPolicy(views: readonly ViewSpec[], inputSize: number, weight: (k: number) => number): PolicyFile {
  return {
    format: POLICY_FORMAT,
    version: POLICY_FORMAT_VERSION,
    scenario: 'spread',
    role: 'student',
    producedBy: 'test',
    agents: Object.fromEntries(views.map((view, i) => [`agent_${i}`, { net: 'shared', view }])),
    nets: {
      shared: {
        inputSize,
        layers: [{ kind: 'dense', inputSize, outputSize: 5, activation: 'linear', weight: Float32Array.from({ length: inputSize * 5 }, (_, k) => weight(k)), bias: new Float32Array(5) }],
      },
    },
  };
}

/** The linear student for this server's spread default student views (fixed weights sin(k)), encoded. */
export function spreadPolicy(s: NetServer): Uint8Array {
  return encode(linearSpreadPolicy(s.world.defaultViews, s.world.studentViews[0].size, Math.sin));
}
