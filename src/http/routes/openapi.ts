import type { Request, Response, Router } from 'express';
import openApiDocument from '../openapi/openapi.json';

/** The document never changes while the process runs: serialised once. */
const body = Buffer.from(JSON.stringify(openApiDocument));

/** GET /api/openapi.json: the OpenAPI 3.1 description of both APIs (src/http/openapi/openapi.json), no authentication. */
export function addOpenApiRoute(router: Router): void {
  router.get('/api/openapi.json', (_req: Request, res: Response) => {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.end(body);
  });
}
