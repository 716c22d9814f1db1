import type { Request } from 'express';
import { NotFoundError } from '../../domain/errors';

/** Any route nobody serves: a JSON 404 through the error handler, never Express's HTML page. */
export function notFound(req: Request): never {
  throw new NotFoundError(`Not found: ${req.method} ${req.path}`);
}
