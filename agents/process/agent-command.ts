import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { bool, common, defineCommand, intArg, numArg, str, UsageError } from '../../shared/cli-args.ts';
import type { Caps } from '../../shared/student-profile.ts';
import { loadPolicySource } from '../policy-source.ts';
import { AgentClient } from './agent-client.ts';
import { enterCgroup, removeAgentCgroup } from '../../shared/cgroup-caps.ts';
import { agentLog } from './agent-log.ts';
import { LAUNCHER_MESSAGES, tellLauncher, waitForClaim, watchLauncher } from './launcher-link.ts';

/**
 * `kdmarl agent`: one agent process (or a host of many slots) that connects to `kdmarl serve`,
 * runs its policy on the typed-array runtime and answers every tick. Nothing on this path imports
 * tfjs or the simulator.
 */
type AgentArgs = Exclude<ReturnType<typeof command.parse>, 'help'>;

const command = defineCommand('agent', {
  server: str('server URL (ws://127.0.0.1:PORT/, or wss:// for a TLS server)', z.string({ error: 'required' }).regex(/^wss?:\/\/[^/]/, 'expected a ws:// or wss:// URL')),
  ca: str("wss://: trust this PEM certificate (the server's own, or its CA) instead of the system store", z.string().optional()),
  slot: str('slot index to claim', intArg().min(0).optional()),
  token: str('slot token (or env KDMARL_AGENT_TOKEN, or --tokens-file)', z.string().min(1).optional()),
  tokensFile: common.tokensFile('tokens file written by kdmarl serve (host mode reads every slot from it)'),
  hostSlots: str('host mode: run several slots in this process, e.g. 0-63 or 0,2,5', z.string().optional()),
  model: str("policy file, 'scripted' or 'random'", z.string().default('random')),
  flops: str('FLOPs cap per decision: a bigger model is refused', intArg().positive().optional()),
  deadline: str('deadline (ms) the server should hold each tick for this agent', numArg().positive().max(60_000).optional()),
  cpu: str('cpu share in (0, 1]: a CPU quota on a cgroup of its own where the OS allows (root), else each reply leaves after compute / cpu', numArg().positive().max(1).optional()),
  memory: str('memory cap (MB): a cgroup memory limit where the OS allows, plus a heap cap (--max-old-space-size) and an RSS watchdog', intArg().min(16).max(65_536).optional()),
  sample: bool('sample actions from the policy instead of acting greedily'),
  seed: str('seed for sampling, random policies and fault injection', intArg().optional()),
  latency: str('fault injection: added delay on every reply (ms)', numArg().min(0).default(0)),
  jitter: str('fault injection: uniform extra delay in [0, jitter) ms', numArg().min(0).default(0)),
  drop: str('fault injection: probability that a reply is lost', numArg().min(0).max(1).default(0)),
  extraDelay: str('fault injection: hold every reply this long (ms), e.g. to be slower than the deadline', numArg().min(0).default(0)),
  standby: bool('warm spare for a launcher: load the model, then wait for the slot and token over IPC'),
  giveUpAfter: str('stop after this many seconds without reaching the server', numArg().positive().default(30)),
  logLevel: common.logLevel('info'),
});

/** Exit codes: 0 clean, 1 failed (worth a restart), 2 refused (the policy breaks a cap or does not fit, or TLS cannot work as configured: a restart would not help), 3 over the memory cap. */
export const EXIT_REFUSED = 2;
export const EXIT_MEMORY = 3;

export async function main(argv: string[]): Promise<number> {
  const args = command.parse(argv);
  if (args === 'help') return 0;
  if (args.memory !== undefined && !heapCapped()) return reexecWithHeapCap(args.memory);
  const caps: Caps = {
    ...(args.flops !== undefined ? { flops: args.flops } : {}),
    ...(args.deadline !== undefined ? { deadlineMs: args.deadline } : {}),
    ...(args.cpu !== undefined ? { cpu: args.cpu } : {}),
    ...(args.memory !== undefined ? { memoryMb: args.memory } : {}),
  };
  const ca = args.ca !== undefined ? readCa(args.ca, args.server) : null;
  if (args.standby && !process.channel) throw new UsageError('--standby: only a launcher (kdmarl up) starts spares; it gives the slot over IPC');
  const given = args.standby ? null : resolveSlots(args);
  // A spare listens for its slot before anything else, and says so: the launcher holds the claim until then.
  const claimed = given ? null : waitForClaim();
  // Before the model loads, so its memory is charged to the agent's own cgroup.
  const cgroup = enterCgroup(caps, (given?.length ?? 1) === 1);
  process.once('exit', cgroup.leave);
  if (claimed) tellLauncher({ kind: LAUNCHER_MESSAGES.standby });
  // Refused at load: a bad file or a model over the FLOPs cap never connects.
  let source;
  try {
    source = await loadPolicySource(args.model, { flopsCap: args.flops, sample: args.sample });
  } catch (error) {
    console.error(`kdmarl agent: refused: ${(error as Error).message}`);
    return EXIT_REFUSED;
  }
  // A spare has its model loaded and waits here, so taking over a crashed slot costs no start-up.
  const claim = claimed ? await claimed : null;
  const slots = given ?? (claim ? [claim] : null);
  if (!slots) return 0;
  const slotLabel = slots.length === 1 ? String(slots[0].slot) : `${slots[0].slot}..${slots[slots.length - 1].slot}`;
  const log = agentLog({ name: 'kdmarl-agent', level: args.logLevel, base: { pid: process.pid, slot: slotLabel } });
  const client = new AgentClient({
    url: args.server,
    ...(ca ? { ca } : {}),
    slots,
    source,
    caps,
    enforcement: cgroup.enforcement,
    log,
    seed: args.seed,
    extraDelayMs: args.extraDelay,
    giveUpAfterMs: args.giveUpAfter * 1000,
    ...(args.latency > 0 || args.jitter > 0 || args.drop > 0 ? { faults: { latencyMs: args.latency, jitterMs: args.jitter, drop: args.drop } } : {}),
  });
  if (caps.cpu !== undefined || caps.memoryMb !== undefined) log.info({ ...cgroup.enforcement, ...(cgroup.reason ? { why: cgroup.reason } : {}) }, 'caps');
  client.once('welcome', () => tellLauncher({ kind: LAUNCHER_MESSAGES.ready }));
  client.on('firstAction', (ms) => log.info({ msSinceConnect: Math.round(ms * 10) / 10, msSinceStart: Math.round(performance.now()) }, 'first action'));
  let watchdog: NodeJS.Timeout | null = null;
  let overMemory = false;
  if (args.memory !== undefined) {
    const limit = args.memory * 2 ** 20;
    // Tensors and buffers live outside the V8 heap, so the heap cap alone does not bound the process.
    watchdog = setInterval(() => {
      const rss = process.memoryUsage.rss();
      if (rss > limit) {
        overMemory = true;
        log.error({ rssMb: Math.round(rss / 2 ** 20), capMb: args.memory }, 'RSS over the memory cap: stopping');
        client.stop('memory cap exceeded');
      }
    }, 500);
    watchdog.unref();
  }
  const onSignal = (signal: string): void => {
    log.info({ signal }, 'stopping');
    client.stop(signal);
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
  watchLauncher(() => onSignal('launcher gone'));
  const exit = await client.run();
  if (watchdog) clearInterval(watchdog);
  cgroup.leave();
  if (overMemory) return EXIT_MEMORY;
  if (exit.code !== 0) console.error(`kdmarl agent: ${exit.reason}`);
  return exit.code;
}

function resolveSlots(args: AgentArgs): { slot: number; token: string }[] {
  const fromFile = args.tokensFile ? readTokens(args.tokensFile) : null;
  if (args.hostSlots !== undefined) {
    if (args.slot !== undefined) throw new UsageError('--slot and --host-slots: give one of them');
    if (!fromFile) throw new UsageError('--host-slots needs --tokens-file (the tokens of every slot)');
    return parseSlotList(args.hostSlots).map((slot) => {
      const token = fromFile.get(slot);
      if (!token) throw new UsageError(`--host-slots: no slot ${slot} in ${args.tokensFile} (it has ${slotRange([...fromFile.keys()])})`);
      return { slot, token };
    });
  }
  if (args.slot === undefined) throw new UsageError('--slot: required (or --host-slots for host mode)');
  if (fromFile && !fromFile.has(args.slot)) throw new UsageError(`--slot: no slot ${args.slot} in ${args.tokensFile} (it has ${slotRange([...fromFile.keys()])})`);
  const token = args.token ?? process.env.KDMARL_AGENT_TOKEN ?? fromFile?.get(args.slot);
  if (!token) throw new UsageError(`--token: required for slot ${args.slot} (or env KDMARL_AGENT_TOKEN, or --tokens-file)`);
  return [{ slot: args.slot, token }];
}

/** [0, 1, 2, 5] -> 'slots 0-2, 5' */
export function slotRange(slots: number[]): string {
  if (slots.length === 0) return 'no slots';
  const sorted = [...slots].sort((a, b) => a - b);
  const parts: string[] = [];
  let from = sorted[0];
  for (let k = 1; k <= sorted.length; k++) {
    if (k < sorted.length && sorted[k] === sorted[k - 1] + 1) continue;
    const to = sorted[k - 1];
    parts.push(to === from ? String(from) : `${from}-${to}`);
    from = sorted[k];
  }
  return `${sorted.length === 1 ? 'slot' : 'slots'} ${parts.join(', ')}`;
}

/** '0-63', '0,2,5', '0-3,8' */
export function parseSlotList(text: string): number[] {
  const slots: number[] = [];
  for (const part of text.split(',')) {
    const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (!match) throw new UsageError(`--host-slots: '${part}' is not a slot or a range like 0-63`);
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (to < from) throw new UsageError(`--host-slots: empty range ${part}`);
    for (let s = from; s <= to; s++) slots.push(s);
  }
  if (new Set(slots).size !== slots.length) throw new UsageError('--host-slots: a slot is listed twice');
  return slots;
}

function readTokens(path: string): Map<number, string> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`--tokens-file: cannot read ${path} (${(error as Error).message})`);
  }
  const parsed = z.object({ slots: z.array(z.object({ slot: z.number().int(), token: z.string() })) }).safeParse(json);
  if (!parsed.success) throw new UsageError(`--tokens-file: ${path} is not a kdmarl tokens file`);
  return new Map(parsed.data.slots.map((s) => [s.slot, s.token]));
}

function readCa(path: string, server: string): Buffer {
  if (!server.startsWith('wss://')) throw new UsageError(`--ca: only for a wss:// server (--server is ${server})`);
  let pem: Buffer;
  try {
    pem = readFileSync(path);
  } catch (error) {
    throw new UsageError(`--ca ${path}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca ${path}: not a PEM certificate (expected -----BEGIN CERTIFICATE-----)`);
  return pem;
}

function heapCapped(): boolean {
  return process.execArgv.some((a) => a.startsWith('--max-old-space-size')) || /--max-old-space-size/.test(process.env.NODE_OPTIONS ?? '');
}

/** The heap cap is a V8 start-up flag: run this same command again in a child that has it. */
function reexecWithHeapCap(memoryMb: number): Promise<number> {
  const child = spawn(process.execPath, [`--max-old-space-size=${memoryMb}`, ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on('SIGTERM', forward);
  process.on('SIGINT', forward);
  watchLauncher(() => forward('SIGTERM'));
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      // Killed before it could leave its cgroup: remove it here.
      if (child.pid !== undefined) removeAgentCgroup(child.pid);
      process.off('SIGTERM', forward);
      process.off('SIGINT', forward);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}
