import { describe, expect, it } from 'vitest';
import { agentLog } from '../../agents/process/agent-log.ts';

function capture(level: Parameters<typeof agentLog>[0]['level']): { lines: Record<string, unknown>[]; log: ReturnType<typeof agentLog> } {
  const lines: Record<string, unknown>[] = [];
  const log = agentLog({ name: 'kdmarl-agent', level, base: { pid: 42, slot: '3' }, write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { lines, log };
}

describe('agent logger', () => {
  it("writes pino's line format: numeric level, time, base fields, object fields, msg", () => {
    const { lines, log } = capture('info');
    log.info({ generation: 2 }, 'new weights');
    log.warn('server silent');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ level: 30, name: 'kdmarl-agent', pid: 42, slot: '3', generation: 2, msg: 'new weights' });
    expect(typeof lines[0].time).toBe('number');
    expect(lines[1]).toMatchObject({ level: 40, msg: 'server silent' });
  });

  it('drops lines below its level, and writes nothing when silent', () => {
    const info = capture('warn');
    info.log.debug({ a: 1 }, 'debug');
    info.log.info('info');
    info.log.error({ code: 4004 }, 'server error');
    expect(info.lines.map((l) => l.level)).toEqual([50]);
    const silent = capture('silent');
    silent.log.error('nothing');
    expect(silent.lines).toHaveLength(0);
  });

  it('never throws on fields JSON cannot write', () => {
    const { lines, log } = capture('info');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    log.info(cycle, 'cycle');
    expect(lines[0]).toMatchObject({ msg: 'cycle' });
    expect(String(lines[0].logError)).toMatch(/circular/i);
  });
});
