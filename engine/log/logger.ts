/**
 * The one logger of DTaaS (Worker, Durable Object, copy runner): JSON lines in production, readable lines
 * in development. Fields are redacted by name (see REDACTED_KEYS) and URLs lose their passwords, so a
 * secret passed by mistake is not written out.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;
export type LogSink = (line: string, level: LogLevel) => void;

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const REDACTED_KEYS = /pass(word)?|secret|token|authorization|cookie|api[_-]?key|^key$|credential|^url$|connectionstring/i;

export interface LoggerOptions {
  level?: string;
  format?: "json" | "pretty";
  sink?: LogSink;
}

export class Logger {
  private readonly threshold: number;
  private readonly format: "json" | "pretty";
  private readonly sink: LogSink;

  constructor(
    private readonly fields: LogFields,
    options: LoggerOptions = {},
  ) {
    this.threshold = LEVELS[(options.level as LogLevel) ?? "info"] ?? LEVELS.info;
    this.format = options.format ?? "json";
    this.sink = options.sink ?? defaultSink;
  }

  child(fields: LogFields): Logger {
    return new Logger({ ...this.fields, ...fields }, { level: levelName(this.threshold), format: this.format, sink: this.sink });
  }

  debug(message: string, fields?: LogFields): void {
    this.write("debug", message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.write("info", message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.write("warn", message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.write("error", message, fields);
  }

  private write(level: LogLevel, message: string, fields?: LogFields): void {
    if (LEVELS[level] < this.threshold) return;
    const record = redact({ time: new Date().toISOString(), level, ...this.fields, message, ...fields }) as LogFields;
    this.sink(this.format === "json" ? JSON.stringify(record) : pretty(record), level);
  }
}

function levelName(n: number): LogLevel {
  return (Object.keys(LEVELS) as LogLevel[]).find((k) => LEVELS[k] === n) ?? "info";
}

function defaultSink(line: string, level: LogLevel): void {
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}

/** Removes secrets from a log record: by key name, and passwords inside URLs. */
export function redact(value: unknown, key = "", depth = 0): unknown {
  if (key && REDACTED_KEYS.test(key)) return value == null ? value : "[redacted]";
  if (typeof value === "string") return value.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/\s@]*:)[^@\s]*@/gi, "$1****@");
  if (value instanceof Error) return { name: value.name, message: redact(value.message) };
  if (depth > 5 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, "", depth + 1));
  const out: LogFields = {};
  for (const [k, v] of Object.entries(value)) out[k] = redact(v, k, depth + 1);
  return out;
}

function pretty(record: LogFields): string {
  const { time, level, module, message, ...rest } = record;
  const extra = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  const t = String(time).slice(11, 23);
  return `${t} ${String(level).toUpperCase().padEnd(5)} ${module ? `[${String(module)}] ` : ""}${String(message)}${extra ? `  ${extra}` : ""}`;
}

export function createLogger(module: string, env: { LOG_LEVEL?: string; ENVIRONMENT?: string }, sink?: LogSink): Logger {
  const format = env.ENVIRONMENT === "development" ? "pretty" : "json";
  return new Logger({ module }, { level: env.LOG_LEVEL, format, sink });
}
