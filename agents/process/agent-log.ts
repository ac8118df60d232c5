/**
 * The agent process's logger: pino's line format (one JSON object per line on stderr, numeric
 * level, time, pid, name, msg) in 40 lines. pino itself costs an agent process ~25 ms of CPU and a
 * few MiB at start-up (its worker-thread transport, serializers, redaction), for the dozen lines an
 * agent writes in its life. Anything with pino's `info/warn/error/debug(obj?, msg)` fits `AgentLog`,
 * so a pino logger can be passed instead (tests, in-process agents).
 */
export type LogFn = (objOrMsg: object | string, msg?: string) => void;
export type AgentLog = { debug: LogFn; info: LogFn; warn: LogFn; error: LogFn };

export const LOG_LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
export type LogLevel = keyof typeof LOG_LEVELS;

export function agentLog(options: { name: string; level: LogLevel; base: Record<string, unknown>; write?: (line: string) => void }): AgentLog {
  const threshold = LOG_LEVELS[options.level];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  // The fixed fields once, as the opening of every line.
  const head = JSON.stringify({ name: options.name, ...options.base });
  const prefix = head.length > 2 ? `,${head.slice(1, -1)}` : '';
  const at = (level: number): LogFn => {
    if (level < threshold) return () => {};
    return (objOrMsg, msg) => {
      const fields = typeof objOrMsg === 'string' ? null : objOrMsg;
      const text = typeof objOrMsg === 'string' ? objOrMsg : msg;
      let line = `{"level":${level},"time":${Date.now()}${prefix}`;
      if (fields) {
        const body = safeJson(fields);
        if (body.length > 2) line += `,${body.slice(1, -1)}`;
      }
      if (text !== undefined) line += `,"msg":${JSON.stringify(text)}`;
      write(`${line}}\n`);
    };
  };
  return { debug: at(LOG_LEVELS.debug), info: at(LOG_LEVELS.info), warn: at(LOG_LEVELS.warn), error: at(LOG_LEVELS.error) };
}

/** A log call must never throw (a cycle, a BigInt): say what could not be written instead. */
function safeJson(fields: object): string {
  try {
    return JSON.stringify(fields);
  } catch (error) {
    return JSON.stringify({ logError: (error as Error).message });
  }
}
