import type { AgentStatus, ServerStatus } from './server-status.ts';

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
  return [head, ...s.agents.map(slotPart)].join(' | ');
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
