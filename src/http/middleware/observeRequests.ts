import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Metrics } from '../../metrics/createMetrics';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** What a log line says about its request: never headers, bodies or the query string (they carry tokens). */
export interface RequestSummary {
  id: string;
  method: string;
  path: string;
}

export function requestSummary(req: Request, res: Response): RequestSummary {
  const url = req.originalUrl;
  const query = url.indexOf('?');
  return { id: res.locals.requestId as string, method: req.method, path: query === -1 ? url : url.slice(0, query) };
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
  metrics: Pick<Metrics, 'requestDuration'>;
  slowRequestMs: number;
}

/**
 * Gives each request an id (the caller's X-Request-Id when it is sane, else a new one; echoed back) and, when
 * the answer is sent, counts and times it by route. Polls are counted, not logged: a success or 304 is logged
 * only at debug, or at info when slower than `slowRequestMs`; a 4xx at warn, a 5xx at error.
 */
export function observeRequests({ logger, metrics, slowRequestMs }: ObserveOptions) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = performance.now();
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    res.on('finish', () => {
      const ms = performance.now() - started;
      const status = res.statusCode;
      metrics.requestDuration.observe({ route: routeOf(req, res), method: req.method, status }, ms / 1000);
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : ms >= slowRequestMs ? 'info' : 'debug';
      if (!logger.isLevelEnabled(level)) return;
      logger[level]({ req: requestSummary(req, res), res: { statusCode: status }, route: routeOf(req, res), responseTime: Math.round(ms * 1000) / 1000 }, 'request completed');
    });
    next();
  };
}
