/**
 * The agent's log: one JSON object per line on stderr, in pino's shape
 * (`{"level":30,"time":…,"pid":…,…fields,"msg":"…"}`), so that log tools that read pino read it.
 * A few lines instead of pino itself: the agent runs on small devices, and pino's import alone
 * costs ~9 MB of resident memory. Writes are synchronous (stderr is, on Linux, for files and
 * pipes), so nothing is lost when the process dies right after.
 */
export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;
export type LevelName = keyof typeof LEVELS;

export interface Log {
  trace(fields: object, msg: string): void;
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
  fatal(fields: object, msg: string): void;
}

export function isLevel(s: string): s is LevelName {
  return Object.hasOwn(LEVELS, s);
}

export function createLog(level: string = 'info', write: (line: string) => void = (l) => void process.stderr.write(l), base: object = { pid: process.pid }): Log {
  if (!isLevel(level)) throw new Error(`unknown log level ${JSON.stringify(level)} (one of ${Object.keys(LEVELS).join(', ')})`);
  const min = LEVELS[level];
  const at = (name: LevelName) => {
    const n = LEVELS[name];
    if (n < min) return () => {};
    return (fields: object, msg: string) => {
      write(`${JSON.stringify({ level: n, time: Date.now(), ...base, ...serialize(fields), msg })}\n`);
    };
  };
  return { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal') };
}

/** Errors as pino writes them (type, message, stack); other values as they are. */
function serialize(fields: object): object {
  let out: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(fields)) {
    if (v instanceof Error) {
      out ??= { ...fields };
      out[k] = { type: v.name, message: v.message, stack: v.stack };
    }
  }
  return out ?? fields;
}
