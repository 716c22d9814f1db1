import type { NextFunction, Request, Response } from 'express';
import { InvalidParamError } from '../../domain/errors';
import { WordedRefusal } from '../responses/errorWording';

/** A body that is neither JSON nor a form (415). */
export class UnsupportedMediaTypeError extends WordedRefusal {
  constructor() {
    super('unsupported-media-type', 'The request body must be application/json or application/x-www-form-urlencoded', 415);
  }
}

/**
 * Bodies are JSON objects or forms. A body of another type would otherwise be silently ignored, and a JSON array
 * would read as "no parameters"; both are refused instead.
 */
export function requireObjectBody(req: Request, _res: Response, next: NextFunction): void {
  // A request with no content (Content-Length: 0, as Node, fetch and curl send on a bare PUT/POST) has no media type to check.
  const hasContent = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
  if (hasContent && req.is(['json', 'urlencoded']) === false) throw new UnsupportedMediaTypeError();
  if (Array.isArray(req.body)) throw new InvalidParamError('body', 'must be a JSON object');
  next();
}
