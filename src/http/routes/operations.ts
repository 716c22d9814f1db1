import type { Request, Response, Router } from 'express';
import { UnauthorizedError } from '../../domain/errors';
import type { StoreLifecycle } from '../../domain/ports/store';
import type { Metrics } from '../../metrics/createMetrics';
import { bearerTokenOf, sameString } from '../../utils';
import openApiDocument from '../openapi/openapi.json';

/** The document never changes while the process runs: serialised once. */
const openApiBody = Buffer.from(JSON.stringify(openApiDocument));

/**
 * What operators and machines ask, none of it presence: liveness and readiness for orchestrators, the OpenAPI
 * document, and the metrics (with `metricsToken`, only for scrapers that send it as a bearer token).
 */
export function addOperationsRoutes(router: Router, store: StoreLifecycle, metrics: Metrics, metricsToken: string | undefined): void {
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await store.ping();
      res.json({ status: 'ready' });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  });
  // GET /api/openapi.json: the OpenAPI 3.1 description of both APIs (src/http/openapi/openapi.json).
  router.get('/api/openapi.json', (_req: Request, res: Response) => {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(openApiBody);
  });
  router.get('/metrics', async (req: Request, res: Response) => {
    const token = bearerTokenOf(req.headers.authorization);
    if (metricsToken !== undefined && (token === undefined || !sameString(token, metricsToken))) throw new UnauthorizedError();
    const body = await metrics.registry.metrics();
    res.setHeader('Content-Type', metrics.registry.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.end(body);
  });
}
