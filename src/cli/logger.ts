import { pino, type Logger } from 'pino';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Structured JSON logs on stdout; nodes add `node` and `txn` fields in child loggers. */
export function makeLogger(level: string | undefined): Logger {
  const lvl = level ?? process.env['DTX_LOG_LEVEL'] ?? 'info';
  if (!LEVELS.includes(lvl)) throw new Error(`unknown log level "${lvl}" (one of ${LEVELS.join(', ')})`);
  return pino({ level: lvl, base: { pid: process.pid } });
}
