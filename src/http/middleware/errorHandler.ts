import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import {
  DomainError,
  ForbiddenError,
  InvalidCredentialsError,
  StreamsUnavailableError,
  TooManyLoginAttemptsError,
  TooManyStreamsError,
  UnauthorizedError,
  UnknownUserError,
  WriteContentionError,
} from '../../domain/errors';
import { StoreUnavailableError } from '../../domain/ports/store';
import { PasswordChecksBusyError } from '../../domain/ports/passwordHasher';
import { apiOf, type Api } from '../requests';
import { pnutWording, rocketChatWording, WordedRefusal } from '../responses/errorWording';
import { pnutError } from '../responses/pnut';
import { sendRocketChatJson } from '../responses/rocketChat';
import { markLoadShed, requestSummary } from './observeRequests';

interface Failure {
  status: number;
  message: string;
  /** Rocket.Chat's errorType, for its 400 answers. */
  errorType?: string;
}

/** Errors from body parsing carry `type` and `status` (body-parser's convention). */
function bodyParserFailure(error: { type?: unknown; status?: unknown }): Failure | undefined {
  if (error.type === 'entity.parse.failed') return { status: 400, message: 'The request body is not valid JSON', errorType: 'invalid-params' };
  if (error.type === 'entity.too.large') return { status: 413, message: 'The request body is too large' };
  if (typeof error.type === 'string' && typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
    return { status: error.status, message: 'The request body cannot be read', errorType: 'invalid-params' };
  }
  // The router's URIError for a path parameter that is not valid percent-encoding (status 400, no type), and
  // body-parser's wrapped zlib errors for a body that does not match its Content-Encoding (status 400, no type).
  if (error instanceof URIError && error.status === 400) {
    return { status: 400, message: 'A path parameter is not valid percent-encoding', errorType: 'invalid-params' };
  }
  if (typeof error.status === 'number' && error.status >= 400 && error.status < 500 && (error as { expose?: unknown }).expose === true) {
    return { status: error.status, message: 'The request cannot be read', errorType: 'invalid-params' };
  }
  return undefined;
}

/** The HTTP status of each domain failure; any other DomainError is a request refused as it stands (400). */
function statusOf(error: DomainError, api: Api): number {
  if (error instanceof WordedRefusal) return error.status;
  // A login refused past the failed-login limit answers as Rocket.Chat's blocking of failed logins: 401.
  if (error instanceof UnauthorizedError || error instanceof InvalidCredentialsError || error instanceof TooManyLoginAttemptsError) return 401;
  if (error instanceof ForbiddenError) return 403;
  if (error instanceof UnknownUserError && api === 'pnut') return 404;
  if (error instanceof TooManyStreamsError) return 429;
  if (error instanceof WriteContentionError || error instanceof StreamsUnavailableError) return 503;
  return 400;
}

/** A failure as answered through `api`: its status, and the API's wording (errorWording.ts), never the error's message. */
function failureOf(error: unknown, api: Api): Failure | undefined {
  if (error instanceof DomainError) {
    return { status: statusOf(error, api), message: api === 'pnut' ? pnutWording(error) : rocketChatWording(error), errorType: error.code };
  }
  if (error instanceof StoreUnavailableError) return { status: 503, message: 'Service unavailable, try again shortly' };
  // Logins and users.create share the queue: the message fits both.
  if (error instanceof PasswordChecksBusyError) return { status: 503, message: 'Too many password checks at once, try again shortly' };
  if (typeof error === 'object' && error !== null) return bodyParserFailure(error);
  return undefined;
}

/**
 * A login refused past the limit, as Rocket.Chat answers a login its failed-login blocking refuses: the reason in
 * `error`, its words in `message`; and the reason in `errorType` too, where clients read it on every other failure.
 */
function blockedLoginBody(error: TooManyLoginAttemptsError): object {
  const forAddress = error.scope === 'address';
  const reason = forAddress ? 'error-login-blocked-for-ip' : 'error-login-blocked-for-user';
  return {
    success: false,
    status: 'error',
    error: reason,
    errorType: reason,
    details: { function: 'Accounts.validateLoginAttempt' },
    message: forAddress ? 'Login has been temporarily blocked For IP' : 'Login has been temporarily blocked For User',
  };
}

/**
 * Kept on a blocked login, though Rocket.Chat's blocking sends none: they tell a client exactly when to try again,
 * and a client that does not read them loses nothing.
 */
function setRateLimitHeaders(res: Response, error: TooManyLoginAttemptsError): void {
  res.setHeader('Retry-After', String(error.retryAfterSeconds));
  res.setHeader('X-RateLimit-Limit', String(error.limit));
  res.setHeader('X-RateLimit-Remaining', '0');
  res.setHeader('X-RateLimit-Reset', String(Math.ceil(error.resetAt.getTime() / 1000)));
}

/** Rocket.Chat's failure shapes, by status, as its REST API writes them. */
function rocketChatBody(failure: Failure): object {
  if (failure.status === 401) return { success: false, error: failure.message, status: 'error', message: failure.message };
  if (failure.status === 400 && failure.errorType !== undefined && failure.errorType !== '') {
    return { success: false, error: `${failure.message} [${failure.errorType}]`, errorType: failure.errorType };
  }
  return { success: false, error: failure.message };
}

/**
 * The one place failures become answers: the right JSON for the API the request came through, and never a
 * stack trace. Anything unexpected is logged with its stack and the request's id, and answered as a bare 500.
 */
export function errorHandler(logger: Logger) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const api = apiOf(req);
    let failure = failureOf(error, api);
    if (failure === undefined) {
      logger.error({ req: requestSummary(req, res), err: error }, 'unhandled error');
      failure = { status: 500, message: 'Internal server error' };
    } else if (error instanceof PasswordChecksBusyError) {
      // A full password queue is a flood's normal answer, shedding load as a 429 does: observeRequests logs it as a
      // refused request (warn, paced) and counts it apart from the 5xx that mean the service is failing.
      markLoadShed(res);
    } else if (failure.status === 503) {
      logger.warn({ req: requestSummary(req, res), err: error }, 'store unavailable');
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (error instanceof TooManyLoginAttemptsError) setRateLimitHeaders(res, error);
    // The queue drains a check every few tens of milliseconds per worker.
    if (error instanceof PasswordChecksBusyError) res.setHeader('Retry-After', '1');
    if (api === 'pnut') pnutError(req, res, failure.status, failure.message);
    else if (error instanceof TooManyLoginAttemptsError) sendRocketChatJson(req, res, failure.status, JSON.stringify(blockedLoginBody(error)));
    else sendRocketChatJson(req, res, failure.status, JSON.stringify(rocketChatBody(failure)));
  };
}

/** Any route nobody serves: a JSON 404 through the error handler, never Express's HTML page. */
export function notFound(req: Request): never {
  throw new WordedRefusal('error-not-found', `Not found: ${req.method} ${req.path}`, 404);
}
