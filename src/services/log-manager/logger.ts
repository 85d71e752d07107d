// Structured logging for every service: JSON lines on stdout (pino) and, while the log-manager
// runs, records in the log database for search and message tracking.
import { pino } from 'pino';
import type { LogLevel, LogRecord } from '../../store/store.ts';

export interface LogData extends Record<string, unknown> {
  mailId?: string;
}

export interface Logger {
  readonly service: string;
  trace(msg: string, data?: LogData): void;
  debug(msg: string, data?: LogData): void;
  info(msg: string, data?: LogData): void;
  warn(msg: string, data?: LogData): void;
  error(msg: string, data?: LogData): void;
  child(service: string): Logger;
}

export type LogSink = (rec: LogRecord) => void;

const ORDER: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export function levelAtLeast(level: LogLevel, min: LogLevel): boolean {
  return ORDER[level] >= ORDER[min];
}

/** A logger that hands every record at or above `min` to the sinks. */
export function createLogger(service: string, sinks: LogSink[], min: LogLevel = 'info'): Logger {
  const emit = (level: LogLevel, msg: string, data?: LogData) => {
    if (!levelAtLeast(level, min)) return;
    let mailId: string | null = null;
    let rest: Record<string, unknown> | null = null;
    if (data) {
      const { mailId: m, ...others } = data;
      mailId = m ?? null;
      if (Object.keys(others).length) rest = others;
    }
    const rec: LogRecord = { at: Date.now(), level, service, msg, mailId, data: rest };
    for (const s of sinks) s(rec);
  };
  return {
    service,
    trace: (m, d) => emit('trace', m, d),
    debug: (m, d) => emit('debug', m, d),
    info: (m, d) => emit('info', m, d),
    warn: (m, d) => emit('warn', m, d),
    error: (m, d) => emit('error', m, d),
    child: (name) => createLogger(name, sinks, min),
  };
}

/** JSON lines on stdout through pino (one object per record). */
export function pinoSink(min: LogLevel, destination?: NodeJS.WritableStream): LogSink {
  const log = pino({ level: min, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, (destination ?? pino.destination({ sync: false })) as pino.DestinationStream);
  return (rec) => {
    const obj: Record<string, unknown> = { service: rec.service };
    if (rec.mailId) obj.mailId = rec.mailId;
    if (rec.data) for (const [k, v] of Object.entries(rec.data)) obj[k] = v instanceof Error ? { message: v.message, code: (v as NodeJS.ErrnoException).code } : v;
    log[rec.level](obj, rec.msg);
  };
}
