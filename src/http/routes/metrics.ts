import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, Response, Router } from 'express';
import { UnauthorizedError } from '../../domain/errors';
import type { Metrics } from '../../metrics/createMetrics';

const digest = (text: string) => createHash('sha256').update(text).digest();

/** Compared as hashes of equal length, so the time taken says nothing about the token. */
function bearerMatches(authorization: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer (\S+)$/i.exec(authorization ?? '');
  return match !== null && timingSafeEqual(digest(match[1]), expected);
}

/** GET /metrics in Prometheus text format; with `token`, only for scrapers that send it as a bearer token. */
export function addMetricsRoute(router: Router, metrics: Metrics, token: string | undefined): void {
  const expected = token === undefined ? undefined : digest(token);
  router.get('/metrics', async (req: Request, res: Response) => {
    if (expected !== undefined && !bearerMatches(req.headers.authorization, expected)) throw new UnauthorizedError();
    const body = await metrics.registry.metrics();
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.end(body);
  });
}
