import type { NextFunction, Request, Response } from 'express';
import type { AccountService } from '../../domain/services/accountService';
import { InvalidParamError, UnauthorizedError } from '../../domain/errors';
import type { Identity } from '../../domain/rules/accounts';
import { bearerTokenOf } from '../../utils';
import { TICKET_MAX } from '../validation/limits';

const AUTHORIZATION = 'authorization';

/**
 * How many Authorization headers a request sent. Counted in place, every poll runs it: only the names of the right
 * length are lowercased, and no list is made.
 */
function authorizationHeaders(rawHeaders: readonly string[]): number {
  let count = 0;
  for (let index = 0; index < rawHeaders.length; index += 2) {
    const name = rawHeaders[index];
    if (name.length === AUTHORIZATION.length && name.toLowerCase() === AUTHORIZATION) count += 1;
  }
  return count;
}

/** The login token a request carries: Rocket.Chat's X-Auth-Token, or pnut's `Authorization: Bearer`. */
function tokenOf(req: Request): string | undefined {
  // Node keeps only the first of repeated Authorization headers; a request that sends two is not trusted.
  if (authorizationHeaders(req.rawHeaders) > 1) return undefined;
  const authToken = req.headers['x-auth-token'];
  if (typeof authToken === 'string' && authToken !== '') return authToken;
  return bearerTokenOf(req.headers.authorization);
}

/**
 * Accepts either API's credentials on every route, and leaves the caller's identity for the handlers. With
 * `streamTicket`, a `ticket` query parameter (see StreamTicket) stands for them: what a browser's EventSource,
 * which cannot send headers, can give. The ticket is only checked for shape here and redeemed by redeemTicket,
 * after the request's other parameters are validated: a request refused for them does not spend it.
 */
export function authenticate(accounts: AccountService, options: { streamTicket?: boolean } = {}) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const { ticket } = req.query;
    if (options.streamTicket === true && ticket !== undefined) {
      if (typeof ticket !== 'string' || ticket.length > TICKET_MAX) throw new InvalidParamError('ticket', 'must be a single string');
      res.locals.pendingTicket = ticket;
      return next();
    }
    const token = tokenOf(req);
    if (token === undefined) throw new UnauthorizedError();
    // The token is never compared as such: it is looked up by its SHA-256 hash, so timing says nothing about it.
    // Node joins repeated X-User-Id headers into one string, which then matches no user.
    const userId = req.headers['x-user-id'] as string | undefined;
    res.locals.identity = await accounts.authenticate(token, userId === undefined || userId === '' ? undefined : userId);
    next();
  };
}

/** Redeems the stream ticket authenticate left (the request's identity from then on); nothing without one. */
export function redeemTicket(accounts: AccountService) {
  return async (_req: Request, res: Response, next: NextFunction): Promise<void> => {
    const ticket = res.locals.pendingTicket as string | undefined;
    if (ticket !== undefined) res.locals.identity = await accounts.redeemStreamTicket(ticket);
    next();
  };
}

export function identityOf(res: Response): Identity {
  return res.locals.identity as Identity;
}
