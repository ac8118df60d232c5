import type { AgentStatus, ServerStatus } from './server-status.ts';
import { slotSpec } from '../../shared/slot-spec.ts';

/**
 * One line of server status for a terminal, every figure labelled:
 * `spread lockstep | tick 1200 | 640.2 ticks/s | episodes 48 | return -1.23 (last -0.98) | agents 3/3 | slot 0 1.80 ms 11 missed | ...`
 * A slot shows its agent's median round trip over its last 64 answers and the decisions it missed
 * (late, lost, or while no agent held the slot); `offline` where no agent holds it now; its cpu
 * and memory caps, with how each holds (a cgroup, or emulated by the agent).
 */
export function statusLine(s: ServerStatus): string {
  const score = s.winRate !== null ? `win ${(100 * s.winRate).toFixed(0)}% (${s.wins}/${s.episodes})` : `return ${s.meanReturn.toFixed(2)} (last ${s.lastReturn.toFixed(2)})`;
  const connected = s.agents.filter((a) => a.connected).length;
  const rate = s.mode === 'realtime' ? `${s.tickRate.toFixed(1)}/${s.hz} ticks/s` : `${s.tickRate.toFixed(1)} ticks/s`;
  const head = `${s.scenario} ${s.mode}${s.paused ? ' PAUSED' : ''} | tick ${s.tick} | ${rate} | episodes ${s.episodes} | ${score} | agents ${connected}/${s.agents.length}`;
  const slots = s.agents.length > MAX_SLOTS_LISTED ? [slotsSummary(s.agents)] : s.agents.map(slotPart);
  return [head, ...slots].join(' | ');
}

/** Past this many slots a line per slot no longer fits a terminal: the slots are summarised. */
export const MAX_SLOTS_LISTED = 8;

/** As test/net/serve-command.test.ts has it: `64 slots: rtt p50 1.35 ms, worst slot 17 12.50 ms | 7 missed | offline 3,9-11 | cpu 0.25 emulated mem 128M cgroup-v1` */
function slotsSummary(agents: readonly AgentStatus[]): string {
  const online = agents.filter((a) => a.connected);
  const latencies = online.map((a) => a.latencyMs).sort((x, y) => x - y);
  const worst = online.reduce<AgentStatus | null>((w, a) => (w === null || a.latencyMs > w.latencyMs ? a : w), null);
  const rtt = worst ? `rtt p50 ${latencies[Math.floor(latencies.length / 2)].toFixed(2)} ms, worst slot ${worst.slot} ${worst.latencyMs.toFixed(2)} ms` : 'all offline';
  const missed = agents.reduce((n, a) => n + a.misses, 0);
  const invalid = agents.reduce((n, a) => n + a.invalid, 0);
  const offline = agents.filter((a) => !a.connected).map((a) => a.slot);
  const parts = [`${agents.length} slots: ${rtt}`, `${missed} missed${invalid > 0 ? ` ${invalid} invalid` : ''}`];
  if (offline.length > 0 && offline.length < agents.length) parts.push(`offline ${slotSpec(offline)}`);
  const caps = capsPart(agents[0]).trim();
  if (caps) parts.push(caps);
  return parts.join(' | ');
}

function slotPart(a: AgentStatus): string {
  const latency = a.connected ? `${a.latencyMs.toFixed(2)} ms` : 'offline';
  const invalid = a.invalid > 0 ? ` ${a.invalid} invalid` : '';
  return `slot ${a.slot} ${latency} ${a.misses} missed${invalid}${capsPart(a)}`;
}

/** ' cpu 0.25 cgroup-v1 mem 128M emulated': each cap the agent has, and whether the OS or the agent holds it ('unreported' until its first report). */
export function capsPart(a: Pick<AgentStatus, 'cpuCap' | 'memoryCapMb' | 'enforcement'>): string {
  let text = '';
  if (a.cpuCap !== null) text += ` cpu ${a.cpuCap} ${a.enforcement?.cpu ?? 'unreported'}`;
  if (a.memoryCapMb !== null) text += ` mem ${a.memoryCapMb}M ${a.enforcement?.memory ?? 'unreported'}`;
  return text;
}
