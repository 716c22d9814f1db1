import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { body, param, query, validationResult, type ValidationChain } from 'express-validator';
import { InvalidParamError } from '../../domain/errors';
import { parseIsoDateTime } from '../../utils';
import { isPnutPresenceString, PNUT_PRESENCE_MAX_CODE_POINTS, PNUT_PRESENCE_TOO_LONG } from '../../domain/rules/pnut';
import { DATE_TIME_MAX, MAX_PRESENCE_IDS, STATUS_MESSAGE_MAX, STATUS_NAME_MAX, USER_ID_MAX, USER_ID_PATTERN, USERNAME_MAX } from './limits';

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

export function plainStringProblem(value: unknown, maxLength: number, tooLong = `must be at most ${maxLength} characters long`): string | undefined {
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

/** `nullable`: null reads as not given (Rocket.Chat's validators mark some parameters so). */
export function optionalString(location: Location, name: string, maxLength: number, nullable = false): ValidationChain {
  return plainString(location(name).optional(nullable ? { values: 'null' } : undefined), maxLength);
}

export function requiredString(location: Location, name: string, maxLength: number): ValidationChain {
  return plainString(location(name).exists().withMessage('is required').bail(), maxLength);
}

/**
 * A flag: true or false; null reads as not given, and "true" / "false" (a form's values) as the flags, as Rocket.Chat's
 * validators (coercing types) take them. Once valid, the body holds the boolean.
 */
export function optionalBoolean(name: string): ValidationChain {
  return body(name)
    .optional({ values: 'null' })
    .custom((value: unknown) => typeof value === 'boolean' || value === 'true' || value === 'false')
    .withMessage('must be true or false')
    .bail()
    .customSanitizer((value: boolean | string) => value === true || value === 'true');
}

/** A list of at most `maxItems` plain strings, each at most `maxLength` long. */
export function optionalStringList(name: string, maxItems: number, maxLength: number): ValidationChain {
  return body(name)
    .optional()
    .custom((value: unknown) => {
      if (!Array.isArray(value)) throw new Error('must be a list of strings');
      if (value.length > maxItems) throw new Error(`must list at most ${maxItems} items`);
      for (const item of value) {
        const problem = plainStringProblem(item, maxLength);
        if (problem !== undefined) throw new Error(`must list strings only: an item ${problem}`);
      }
      return true;
    });
}

/**
 * A flat object of at most `maxKeys` keys (letters, digits, "_" and "-": never an operator or a path), each a string
 * of at most `maxLength`, a number, a boolean or null.
 */
export function optionalFlatObject(name: string, maxKeys: number, maxLength: number): ValidationChain {
  return body(name)
    .optional()
    .custom((value: unknown) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('must be an object');
      const entries = Object.entries(value);
      if (entries.length > maxKeys) throw new Error(`must have at most ${maxKeys} keys`);
      for (const [key, item] of entries) {
        if (!/^[A-Za-z0-9_-]{1,64}$/.test(key)) throw new Error('must have keys of letters, digits, "_" and "-" only');
        if (typeof item === 'string') {
          const problem = plainStringProblem(item, maxLength);
          if (problem !== undefined) throw new Error(`must hold plain values: "${key}" ${problem}`);
        } else if (item !== null && typeof item !== 'number' && typeof item !== 'boolean') {
          throw new Error(`must hold plain values: "${key}" is neither a string, a number, a boolean nor null`);
        }
      }
      return true;
    });
}

/** A parameter this service cannot honour: refused when given a value that would change the request's meaning. */
export function unsupported(name: string, harmless: (value: unknown) => boolean, reason: string): ValidationChain {
  return body(name)
    .optional()
    .custom((value: unknown) => harmless(value))
    .withMessage(reason);
}

const NOT_A_DATE_TIME = 'must be an ISO 8601 date-time, such as 2019-05-22T12:11:45.392Z';

/** A value as a Date, when it is a plain string of an ISO 8601 date-time; undefined for anything else. */
function acceptedDateTime(value: unknown): Date | undefined {
  return plainStringProblem(value, DATE_TIME_MAX) === undefined ? parseIsoDateTime(value as string) : undefined;
}

/**
 * Replaces `source[name]` by its Date when it is a plain string of an ISO 8601 date-time, as the plain checks take one.
 * @throws InvalidParamError naming it, worded as its validation chain words it
 */
function takeDateTime(source: Record<string, unknown>, name: string): void {
  const value = source[name];
  const date = acceptedDateTime(value);
  if (date === undefined) throw new InvalidParamError(name, plainStringProblem(value, DATE_TIME_MAX) ?? NOT_A_DATE_TIME);
  source[name] = date;
}

/** The chain of an ISO 8601 date-time parameter: once valid, it holds the Date. */
function dateTimeChain(location: Location, name: string): ValidationChain {
  return optionalString(location, name, DATE_TIME_MAX)
    .customSanitizer((value: string) => parseIsoDateTime(value) ?? value)
    .custom((value: unknown) => value instanceof Date)
    .withMessage(NOT_A_DATE_TIME);
}

/**
 * `from`: ISO 8601, timezone, seconds and milliseconds optional. Once valid, `req.query.from` holds the Date. It is
 * parsed once (the sanitizer), then checked: every poll sends one, and a date parse is not cheap.
 */
export const fromParam = whenGivenUnlessAccepted('query', 'from', acceptedDateTime, dateTimeChain(query, 'from'));

/** users.setStatus's string fields and their limits, in the order a refusal looks at them. */
const SET_STATUS_STRINGS: readonly (readonly [string, number])[] = [
  ['status', STATUS_NAME_MAX], ['message', STATUS_MESSAGE_MAX], ['userId', USER_ID_MAX], ['username', USERNAME_MAX], ['user', USERNAME_MAX],
];

/**
 * users.setStatus's body, in one plain function: each field optional, each a plain string within its limit, then
 * `expiresAt` (a timed status) an ISO 8601 date-time, which the body then holds as a Date. The first invalid field
 * is named, in the order of SET_STATUS_STRINGS. A status change is the write every stream fans out: validation
 * chains with the lodash they build their contexts with were 4 % of the service's time in scenario S
 * (docs/benchmarks.md, "Narrower token checks, …").
 */
export function checkSetStatusBody(req: Request): void {
  const source = req.body as Record<string, unknown> | null | undefined;
  if (source === undefined || source === null) return;
  for (const [name, maxLength] of SET_STATUS_STRINGS) {
    if (source[name] === undefined) continue;
    const problem = plainStringProblem(source[name], maxLength);
    if (problem !== undefined) throw new InvalidParamError(name, problem);
  }
  if (source.expiresAt !== undefined) takeDateTime(source, 'expiresAt');
}


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
  if (!ids.every((id) => USER_ID_PATTERN.test(id))) return 'must hold only user ids';
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

/**
 * users.presence's query checked as fromParam, idsParam and rejectInvalid check it, with their rules and their
 * errors (the first invalid parameter, `from` before `ids`), in one plain function: for the hot lane, where the
 * chains' machinery and validationResult were a tenth of a poll. tests/hardening/hotLane.test.ts holds the two
 * to the same answers.
 */
export function checkUsersPresenceQuery(req: Request): void {
  const source = req.query as Record<string, unknown>;
  const { from, ids } = source;
  if (from !== undefined) takeDateTime(source, 'from');
  if (ids !== undefined) {
    const problem = idsProblem(ids, true);
    if (problem !== undefined) throw new InvalidParamError('ids', problem);
  }
}

const NOT_A_USER_PATH = 'must be "me" or a user id';

function isUserPath(value: string): boolean {
  return value === 'me' || USER_ID_PATTERN.test(value);
}

export const userIdPathParam = param('user_id').custom(isUserPath).withMessage(NOT_A_USER_PATH);

/** userIdPathParam and rejectInvalid in one plain check, for the hot lane (as checkUsersPresenceQuery). */
export function checkUserIdPath(req: Request): void {
  if (!isUserPath(String(req.params.user_id))) throw new InvalidParamError('user_id', NOT_A_USER_PATH);
}

/** A user id naming a user; an empty one names nobody, as in Rocket.Chat. */
export function userIdParam(location: Location, name: string): ValidationChain {
  return optionalString(location, name, USER_ID_MAX).custom((value: string) => value === '' || USER_ID_PATTERN.test(value)).withMessage('must be a user id');
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
