import type { NextFunction, Request, Response } from 'express';

/**
 * Express 5's `req.query` is a getter that parses the query string again on every read, and a request reads it
 * several times (validation, update_presence, the handler). Parse it once, with the app's own parser, and keep
 * the result as a plain, writable property.
 */
export function parseQueryOnce(req: Request, _res: Response, next: NextFunction): void {
  const query = req.query;
  Object.defineProperty(req, 'query', { value: query, writable: true, configurable: true, enumerable: true });
  next();
}
