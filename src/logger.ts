import pino, { type Logger } from 'pino';
import type { LogLevel } from './config/loadConfig';

/**
 * JSON lines on stdout, buffered (pino flushes what is left when the process exits), so a request's log line
 * costs no write system call of its own. Secrets never reach it: request headers and bodies are not logged.
 */
export function createLogger(level: LogLevel): Logger {
  return pino({ level, base: { service: 'presence' } }, pino.destination({ dest: 1, sync: false, minLength: 4096 }));
}
