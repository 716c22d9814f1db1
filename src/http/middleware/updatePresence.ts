import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { InvalidParamError } from '../../domain/errors';
import type { PresenceService } from '../../domain/services/presenceService';
import { identityOf } from './authenticate';
import { requestSummary } from './observeRequests';
import { apiOf } from '../requests';

/**
 * pnut's `update_presence=<value>` on any authenticated call, of either API: the caller's presence is updated
 * before the call's own work. Whether it worked is told in `meta.updated_presence` (pnut) or the
 * `X-Updated-Presence` header (Rocket.Chat, whose bodies stay unchanged). A bad value never fails the call. It is a
 * renewal: it never ends the presence sooner than an `expiration` the client chose.
 */
export function updatePresence(presence: PresenceService, logger: Logger) {
  const renew = async (req: Request, res: Response, next: NextFunction, value: unknown): Promise<void> => {
    let updated = false;
    if (typeof value === 'string') {
      try {
        await presence.renewPnutPresence(identityOf(res), value);
        updated = true;
      } catch (error) {
        // A value pnut refuses is the client's to fix, and the answer says so; anything else is worth a look.
        if (!(error instanceof InvalidParamError)) logger.warn({ req: requestSummary(req, res), err: error }, 'update_presence failed');
      }
    }
    res.locals.updatedPresence = updated;
    if (apiOf(req) === 'rocketchat') res.setHeader('X-Updated-Presence', String(updated));
    next();
  };
  // Not async itself: nearly every request has no update_presence, and need not make a promise to say so.
  return (req: Request, res: Response, next: NextFunction): Promise<void> | void => {
    const value = req.query.update_presence;
    if (value === undefined) return next();
    return renew(req, res, next, value);
  };
}

/** undefined when the call did not ask for update_presence. */
export function updatedPresenceOf(res: Response): boolean | undefined {
  return res.locals.updatedPresence as boolean | undefined;
}
