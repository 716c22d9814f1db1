import type { NextFunction, Request, Response } from 'express';
import { rateLimit, type Options } from 'express-rate-limit';
import type { Metrics } from '../../metrics/createMetrics';
import { RateLimitedError } from './rateLimited';

export interface LoginRateLimitOptions {
  /** Failed logins allowed per window, per client IP and per username. */
  limit: number;
  windowSeconds: number;
  metrics: Pick<Metrics, 'rateLimited'>;
}

/** The login name a request tries, lower-cased; an empty string when it names none (then only the IP limit bites). */
function loginNameOf(req: Request): string {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const name = body.user ?? body.username ?? body.email;
  return typeof name === 'string' ? name.toLowerCase().slice(0, 256) : '';
}

/** Only refused credentials spend the budget: a bad request or an unavailable store says nothing about a password. */
function credentialsAccepted(_req: Request, res: Response): boolean {
  return res.statusCode !== 401;
}

/**
 * Failed logins limited per client IP and per username, so neither one address nor a botnet aiming at one
 * account can guess passwords quickly, while a whole office behind one address can log in. An attempt counts
 * from when it arrives and is given back when it succeeds, so parallel guesses cannot slip past the limit.
 * Over the limit every attempt is refused, the right password too (else a 200 among 429s would give it away):
 * 429 with Retry-After, in the API's own shape.
 */
export function loginRateLimit(options: LoginRateLimitOptions) {
  const common = (limitName: 'ip' | 'username'): Partial<Options> => ({
    windowMs: options.windowSeconds * 1000,
    limit: options.limit,
    skipSuccessfulRequests: true,
    requestWasSuccessful: credentialsAccepted,
    standardHeaders: false,
    legacyHeaders: true,
    handler: (req: Request, _res: Response, next: NextFunction) => {
      options.metrics.rateLimited.inc({ limit: limitName });
      const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const seconds = resetTime === undefined ? options.windowSeconds : Math.max(1, Math.ceil((resetTime.getTime() - Date.now()) / 1000));
      next(new RateLimitedError(seconds));
    },
  });
  const perIp = rateLimit(common('ip'));
  const perUsername = rateLimit({
    ...common('username'),
    keyGenerator: (req: Request) => `user:${loginNameOf(req)}`,
    skip: (req: Request) => loginNameOf(req) === '',
  });
  return [perIp, perUsername];
}
