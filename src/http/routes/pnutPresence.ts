import type { NextFunction, Request, RequestHandler, Response, Router } from 'express';
import { body, query } from 'express-validator';
import { WordedRefusal } from '../responses/errorWording';
import type { PresenceService } from '../../domain/services/presenceService';
import { identityOf } from '../middleware/authenticate';
import { updatedPresenceOf } from '../middleware/updatePresence';
import { CachedPnutList, pnutSuccess } from '../responses/pnut';
import { checkUserIdPath, presenceString, rejectInvalid, userIdPathParam } from '../validation/params';
import { EXPIRATION_MAX } from '../validation/limits';
import { pnutPresenceObject } from '../views/pnutPresence';
import { renderedPerSnapshot } from '../views/renderedPerSnapshot';

/** `expiration` as a query or form string, or a JSON number. */
function expirationChain(location: typeof body) {
  return location('expiration')
    .optional()
    .custom((value: unknown) => (typeof value === 'string' && value.length <= EXPIRATION_MAX) || (typeof value === 'number' && Number.isFinite(value)))
    .withMessage('must be an integer Unix time in seconds');
}

function paramOf(req: Request, name: string): string | undefined {
  const fromBody = (req.body as Record<string, unknown> | undefined)?.[name];
  const value = fromBody ?? req.query[name];
  return value === undefined ? undefined : String(value);
}


/**
 * pnut's presence endpoints, on the router mounted at /v0 behind authentication; returns the chain of one user's
 * presence (the `update_presence` heartbeat's usual carrier) for the hot lane: the same, its validation chain
 * made one plain check.
 */
export function addPnutPresenceRoutes(router: Router, auth: RequestHandler[], presence: PresenceService): { userPresence: RequestHandler[] } {
  const renderList = renderedPerSnapshot(
    (snapshot) => new CachedPnutList(JSON.stringify(snapshot.users.map((user) => pnutPresenceObject(user, snapshot.takenAt)))),
  );

  router.get('/presence', ...auth, async (req: Request, res: Response) => {
    renderList((await presence.presentUsers()).snapshot).send(req, res);
  });

  const answerUserPresence = async (req: Request, res: Response) => {
    const userId = req.params.user_id === 'me' ? identityOf(res).userId : String(req.params.user_id);
    // A user nobody has: pnut's 404 "User not found" (the error handler words it for pnut).
    const reading = await presence.readUser(userId);
    pnutSuccess(req, res, pnutPresenceObject(reading.user, presence.now()));
  };
  router.get('/users/:user_id/presence', ...auth, userIdPathParam, rejectInvalid, answerUserPresence);
  const checkPath = (req: Request, _res: Response, next: NextFunction) => {
    checkUserIdPath(req);
    next();
  };
  const userPresence: RequestHandler[] = [...auth, checkPath, answerUserPresence];

  router.put(
    '/users/:user_id/presence',
    ...auth,
    userIdPathParam,
    presenceString(query, 'presence'),
    presenceString(body, 'presence'),
    expirationChain(query),
    expirationChain(body),
    rejectInvalid,
    async (req: Request, res: Response) => {
      const callerId = identityOf(res).userId;
      const target = req.params.user_id === 'me' ? callerId : String(req.params.user_id);
      if (target !== callerId) throw new WordedRefusal('error-not-allowed', 'You may only update your own presence', 403);
      const expiration = paramOf(req, 'expiration');
      // update_presence on this call overrides it: one update, not two. A bad expiration is refused all the same.
      if (updatedPresenceOf(res) === true) presence.checkPnutExpiration(expiration);
      const user = updatedPresenceOf(res) === true
        ? (await presence.readUser(callerId)).user
        : await presence.setPnutPresence(identityOf(res), paramOf(req, 'presence'), expiration);
      pnutSuccess(req, res, pnutPresenceObject(user, presence.now()));
    },
  );

  return { userPresence };
}
