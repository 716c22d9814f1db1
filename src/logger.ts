import pino, { type Logger } from 'pino';
import type { LogLevel } from './config/loadConfig';

/**
 * JSON lines on stdout, buffered so a request's log line costs no write system call of its own; the buffer is
 * written at least every second (start-up lines included) and when the process exits. Secrets never reach it:
 * request headers and bodies are not logged.
 */
export function createLogger(level: LogLevel): Logger {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  // The stream's own flush: pino's logger.flush() would add a drain listener on every call.
  setInterval(() => destination.flush(), 1000).unref();
  return pino({ level, base: { service: 'presence' } }, destination);
}
