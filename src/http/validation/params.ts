import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { body, param, query, validationResult, type ValidationChain } from 'express-validator';
import { InvalidParamError } from '../../domain/errors';
import { parseIsoDateTime } from '../../utils';
import { isPnutPresenceString, PNUT_PRESENCE_MAX_CODE_POINTS, PNUT_PRESENCE_TOO_LONG } from '../../domain/rules/pnut';

type Location = typeof body;

/**
 * Adds the checks for one plain string: an array (a repeated parameter) or an object (`from[$gt]=`) is refused
 * before anything else looks at it, so no client input can reach a query as an operator. One validator rather
 * than three: each step of a chain has a cost of its own, paid on every poll.
 */
/** `tooLong` is the message past `maxLength` UTF-16 units, where that is not the limit a client is told of. */
function plainString(chain: ValidationChain, maxLength: number, tooLong = `must be at most ${maxLength} characters long`): ValidationChain {
  return chain
    .custom((value: unknown) => {
      const problem = plainStringProblem(value, maxLength, tooLong);
      if (problem !== undefined) throw new Error(problem);
      return true;
    })
    .bail();
}

function plainStringProblem(value: unknown, maxLength: number, tooLong = `must be at most ${maxLength} characters long`): string | undefined {
  if (typeof value !== 'string') return 'must be a single string';
  if (value.length > maxLength) return tooLong;
  if (/\p{Cs}/u.test(value)) return 'must be valid Unicode text';
  return undefined;
}

/**
 * Runs an optional parameter's chain only when the client sent the parameter: an absent one has nothing to
 * check, and each chain costs tens of microseconds, which matters on the endpoints every client polls.
 */
export function whenGiven(location: 'query' | 'body', name: string, chain: ValidationChain): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const source = req[location] as Record<string, unknown> | undefined;
    if (source?.[name] === undefined) return next();
    return chain(req, res, next);
  };
}

/**
 * As whenGiven, for the parameters every poll sends: a value `accept` takes (what nearly every client sends) is
 * stored in the form the chain would have left it and the chain is skipped; `accept` runs the chain's own checks,
 * so it takes exactly what the chain would. Anything else goes to the chain, which says what is wrong with it.
 * The chain's machinery (contexts, field selection, promises) was an eighth of a delta poll's time.
 */
function whenGivenUnlessAccepted(location: 'query', name: string, accept: (value: unknown) => unknown, chain: ValidationChain): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const source = req[location] as Record<string, unknown> | undefined;
    const value = source?.[name];
    if (value === undefined) return next();
    const accepted = accept(value);
    if (accepted === undefined) return chain(req, res, next);
    (source as Record<string, unknown>)[name] = accepted;
    return next();
  };
}

export function optionalString(location: Location, name: string, maxLength: number): ValidationChain {
  return plainString(location(name).optional(), maxLength);
}

export function requiredString(location: Location, name: string, maxLength: number): ValidationChain {
  return plainString(location(name).exists().withMessage('is required').bail(), maxLength);
}

/**
 * `from`: ISO 8601, timezone, seconds and milliseconds optional. Once valid, `req.query.from` holds the Date. It is
 * parsed once (the sanitizer), then checked: every poll sends one, and a date parse is not cheap.
 */
const FROM_MAX = 64;
export const fromParam = whenGivenUnlessAccepted(
  'query',
  'from',
  (value) => (plainStringProblem(value, FROM_MAX) === undefined ? parseIsoDateTime(value as string) : undefined),
  optionalString(query, 'from', FROM_MAX)
    .customSanitizer((value: string) => parseIsoDateTime(value) ?? value)
    .custom((value: unknown) => value instanceof Date)
    .withMessage('must be an ISO 8601 date-time, such as 2019-05-22T12:11:45.392Z'),
);

/** users.setStatus's `expiresAt` (a timed status): an ISO 8601 date-time; once valid, `req.body.expiresAt` holds the Date. */
export const expiresAtParam = optionalString(body, 'expiresAt', FROM_MAX)
  .customSanitizer((value: string) => parseIsoDateTime(value) ?? value)
  .custom((value: unknown) => value instanceof Date)
  .withMessage('must be an ISO 8601 date-time, such as 2019-05-22T12:11:45.392Z');

export const MAX_PRESENCE_IDS = 500;
const ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Rocket.Chat accepts `ids[]=a&ids[]=b`, `ids=a&ids=b` and `ids=a,b`; all become a list of ids. */
export function parseIds(value: unknown): string[] | undefined {
  if (typeof value === 'string') return value.split(',').map((id) => id.trim()).filter((id) => id !== '');
  if (Array.isArray(value) && value.every((id) => typeof id === 'string')) return value as string[];
  return undefined;
}

/** What is wrong with an `ids` value, if anything; an empty list only where `allowEmpty`. */
function idsProblem(value: unknown, allowEmpty: boolean): string | undefined {
  const ids = parseIds(value);
  if (ids === undefined) return 'must be a list of user ids';
  if (ids.length === 0 && !allowEmpty) return 'must list at least one user id';
  if (ids.length > MAX_PRESENCE_IDS) return `must list at most ${MAX_PRESENCE_IDS} ids`;
  if (!ids.every((id) => ID_PATTERN.test(id))) return 'must hold only user ids';
  return undefined;
}

/**
 * `ids`: at most 500 user ids. users.presence answers an empty list for none (`ids=`); a stream refuses it, as it
 * would watch nobody.
 */
function idsOf(allowEmpty: boolean): RequestHandler {
  return whenGivenUnlessAccepted(
    'query',
    'ids',
    (value) => (idsProblem(value, allowEmpty) === undefined ? value : undefined),
    query('ids')
      .optional()
      .custom((value: unknown) => {
        const problem = idsProblem(value, allowEmpty);
        if (problem !== undefined) throw new Error(problem);
        return true;
      }),
  );
}

export const idsParam = idsOf(true);
export const streamIdsParam = idsOf(false);

export const userIdPathParam = param('user_id')
  .custom((value: string) => value === 'me' || ID_PATTERN.test(value))
  .withMessage('must be "me" or a user id');

export function userIdQueryParam(name: string): ValidationChain {
  return optionalString(query, name, 64).custom((value: string) => ID_PATTERN.test(value)).withMessage('must be a user id');
}

/**
 * pnut presence strings: up to 100 Unicode code points. 100 code points are at most 200 UTF-16 units: a longer
 * string is refused before its code points are counted, with the same message.
 */
export function presenceString(location: Location, name: string): ValidationChain {
  return plainString(location(name).optional(), 2 * PNUT_PRESENCE_MAX_CODE_POINTS, PNUT_PRESENCE_TOO_LONG)
    .custom((value: string) => isPnutPresenceString(value))
    .withMessage(PNUT_PRESENCE_TOO_LONG);
}

/** Ends the validation chains of a route: the first invalid parameter becomes a 400 naming it. */
export function rejectInvalid(req: Request, _res: Response, next: NextFunction): void {
  const result = validationResult(req);
  if (result.isEmpty()) return next();
  const [first] = result.array({ onlyFirstError: true });
  const param = first.type === 'field' ? first.path : 'request';
  throw new InvalidParamError(param, String(first.msg));
}
