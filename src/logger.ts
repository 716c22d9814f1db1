import pino, { type Logger } from 'pino';
import type { LogLevel } from './config/loadConfig';

/** JSON lines on stdout. Secrets never reach it: request headers and bodies are not logged at all. */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { service: 'presence' } });
}
