import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';

/** Whether a request carries a body: Content-Length above 0, or a chunked one. */
function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** A GET with a body leaves the hot lane for the generic chain, where the body is checked as on any request. */
function unlessBody(req: Request, _res: Response, next: NextFunction): void {
  next(hasBody(req) ? 'route' : undefined);
}

/**
 * The hot lane: the GETs every client repeats every few seconds (users.presence in all its forms, pnut's presence
 * of one user with `update_presence`), routed on the app ahead of what they never need: the presence page, the
 * operations routes, the body parsers and the API routers' other routes. Walking those layers was about a seventh
 * of a poll's time (docs/benchmarks.md). Mounted right after the request observer and given the API's headers
 * (security, CORS) and the route's own chain (authentication, update_presence, validation, handler), a request
 * here is answered byte for byte as on the generic path, under the same route label. The same route stays on its
 * router for a GET that carries a body: that body is parsed and refused or ignored exactly as before.
 */
export function addHotRoute(app: Express, path: string, chain: readonly RequestHandler[]): void {
  app.get(path, unlessBody, ...chain);
}
