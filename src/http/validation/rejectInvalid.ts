import type { NextFunction, Request, Response } from 'express';
import { validationResult } from 'express-validator';
import { InvalidParamError } from '../../domain/errors';

/** Ends the validation chains of a route: the first invalid parameter becomes a 400 naming it. */
export function rejectInvalid(req: Request, _res: Response, next: NextFunction): void {
  const result = validationResult(req);
  if (result.isEmpty()) return next();
  const [first] = result.array({ onlyFirstError: true });
  const param = first.type === 'field' ? first.path : 'request';
  throw new InvalidParamError(param, String(first.msg));
}
