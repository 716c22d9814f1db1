import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Clock } from '../../domain/ports/clock';
import type { Metrics } from '../../metrics/createMetrics';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** A logged path is cut here (and marked with `…`): any route's path fits, a client's 2 KB of junk does not. */
export const LOGGED_PATH_MAX = 256;

/**
 * Refused requests (4xx, and 503s shedding load; at warn) logged per second at most: past it, under a flood, each
 * one is counted (`presence_request_log_lines_dropped_total`) instead of written, and one line says how many, from
 * when to when, at the first request observed after that second.
 */
export const REFUSED_LINES_PER_SECOND = 20;

/** The status counted and logged for a request the client closed before any answer was sent (nginx's code for it). */
export const CLIENT_CLOSED_REQUEST = 499;

/** What a log line says about its request: never headers, bodies or the query string (they carry tokens). */
export interface RequestSummary {
  id: string;
  method: string;
  path: string;
}

export function requestSummary(req: Request, res: Response): RequestSummary {
  const url = req.originalUrl;
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return { id: res.locals.requestId as string, method: req.method, path: path.length > LOGGED_PATH_MAX ? `${path.slice(0, LOGGED_PATH_MAX)}…` : path };
}

/** Refused-request lines left out within one second (of the injected clock), said once that second is over. */
export interface DroppedLines {
  dropped: number;
  /** When the first and the last of them were refused. */
  from: Date;
  to: Date;
}

/**
 * How many refused-request lines may still be written in the current second (of the injected clock), and which
 * were left out in it. No timer: the lines left out are told at the next request observed once their second is over.
 */
class RefusedLineBudget {
  private secondStartMs = Number.NEGATIVE_INFINITY;
  private written = 0;
  private dropped = 0;
  private firstDroppedMs = 0;
  private lastDroppedMs = 0;

  constructor(private readonly clock: Clock) {}

  /** The lines left out in a second that has ended, once (then forgotten); undefined when there are none to tell. */
  endedDrops(): DroppedLines | undefined {
    if (this.dropped === 0) return undefined;
    if (this.clock.now().getTime() - this.secondStartMs < 1000) return undefined;
    const drops = { dropped: this.dropped, from: new Date(this.firstDroppedMs), to: new Date(this.lastDroppedMs) };
    this.dropped = 0;
    return drops;
  }

  /** Whether this line may be written; if not, it is counted among the second's lines left out. */
  take(): boolean {
    const nowMs = this.clock.now().getTime();
    if (nowMs - this.secondStartMs >= 1000) {
      this.secondStartMs = nowMs;
      this.written = 0;
    }
    if (this.written >= REFUSED_LINES_PER_SECOND) {
      if (this.dropped === 0) this.firstDroppedMs = nowMs;
      this.lastDroppedMs = nowMs;
      this.dropped += 1;
      return false;
    }
    this.written += 1;
    return true;
  }
}

/**
 * Marks the answer as load shed (a 503 because too many password checks wait, not because anything failed): it is
 * then logged and paced as a refused request, and counted in `presence_requests_shed_total`, not at error.
 */
export function markLoadShed(res: Response): void {
  res.locals.loadShed = true;
}

/**
 * Routers restore `req.baseUrl` when an error leaves them, so by the time an answer is sent the mount path may
 * be gone; each router remembers it on the way in, for the route label.
 */
export function rememberMountPath(req: Request, res: Response, next: NextFunction): void {
  res.locals.mountPath = req.baseUrl;
  next();
}

/** The route template that answered (`/v0/users/:user_id/presence`), never the raw path; `unmatched` for none. */
function routeOf(req: Request, res: Response): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string') return 'unmatched';
  return ((res.locals.mountPath as string | undefined) ?? '') + path;
}

export interface ObserveOptions {
  logger: Logger;
  metrics: Pick<Metrics, 'requestDuration' | 'requestLogLinesDropped' | 'requestsShed'>;
  slowRequestMs: number;
  /** Paces the refused requests' lines (per second of it). */
  clock: Clock;
}

/**
 * Gives each request an id (the caller's X-Request-Id when it is sane, else a new one; echoed back) and counts,
 * times and logs it once, however it ends: answered (`request completed`), or closed before its answer ended (a
 * stream its client closes, a login the client gives up on: `request closed before its answer ended`, with the
 * status that was sent, or 499 when none was). Polls are counted, not logged: a success or 304 is logged only at
 * debug, or at info when slower than `slowRequestMs` (a stream's end, at any age, at debug); a 4xx, or a 503 shedding load (markLoadShed), at warn (at
 * most REFUSED_LINES_PER_SECOND a second), any other 5xx at error.
 */
export function observeRequests({ logger, metrics, slowRequestMs, clock }: ObserveOptions) {
  const refusedLines = new RefusedLineBudget(clock);
  // The histogram's child of each label set, bound once: `observe(labels, …)` built and checked the labels again
  // on every request. Routes are templates, methods the parser's, statuses HTTP's: a bounded set.
  const durations = new Map<string, { observe(seconds: number): void }>();
  const durationOf = (route: string, method: string, status: number) => {
    const key = `${status} ${method} ${route}`;
    let child = durations.get(key);
    if (child === undefined) {
      child = metrics.requestDuration.labels({ route, method, status });
      durations.set(key, child);
    }
    return child;
  };
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    let observed = false;
    const observe = (completed: boolean) => {
      if (observed) return;
      observed = true;
      const ms = performance.now() - started;
      const status = completed || res.headersSent ? res.statusCode : CLIENT_CLOSED_REQUEST;
      const route = routeOf(req, res);
      durationOf(route, req.method, status).observe(ms / 1000);
      const shed = res.locals.loadShed === true;
      if (shed) metrics.requestsShed.inc();
      // A stream lasts as long as its client stays, far past slowRequestMs: its end is no slow answer, and a
      // reconnect storm must not write a line at info for each stream.
      const stream = String(res.getHeader('Content-Type') ?? '').startsWith('text/event-stream');
      const level = status >= 500 && !shed ? 'error' : status >= 400 ? 'warn' : !stream && ms >= slowRequestMs ? 'info' : 'debug';
      if (logger.isLevelEnabled('warn')) {
        // Said at the next request of any kind once their second is over, so a flood that stops is still told.
        const drops = refusedLines.endedDrops();
        if (drops !== undefined) {
          const [from, to] = [drops.from.toISOString(), drops.to.toISOString()];
          logger.warn({ dropped: drops.dropped, from, to }, `${drops.dropped} refused requests were not logged from ${from} to ${to} (more than ${REFUSED_LINES_PER_SECOND} a second)`);
        }
      }
      if (!logger.isLevelEnabled(level)) return;
      if (level === 'warn' && !refusedLines.take()) {
        metrics.requestLogLinesDropped.inc();
        return;
      }
      const line = { req: requestSummary(req, res), res: { statusCode: status }, route, responseTime: Math.round(ms * 1000) / 1000 };
      logger[level](line, completed ? 'request completed' : 'request closed before its answer ended');
    };
    // 'close' comes for every answer: right after 'finish' (the answer handed to the system, then writableFinished),
    // or when the connection goes first. One listener rather than one for each event: a listener is work on every poll.
    res.on('close', () => observe(res.writableFinished));
    next();
  };
}
