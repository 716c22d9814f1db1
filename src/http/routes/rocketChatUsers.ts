import type { Request, RequestHandler, Response, Router } from 'express';
import { body, query } from 'express-validator';
import { InvalidParamError, UnknownUserError } from '../../domain/errors';
import { WordedRefusal } from '../responses/errorWording';
import { isAdmin } from '../../domain/rules/accounts';
import type { PresenceService } from '../../domain/services/presenceService';
import type { UserAdministration } from '../../domain/services/userAdministration';
import { identityOf } from '../middleware/authenticate';
import { bearerTokenOf } from '../../utils';
import { rocketChatSuccess } from '../responses/rocketChat';
import { optionalString, rejectInvalid } from '../validation/params';
import { OFFSET_MAX, SELECTOR_MAX } from '../validation/limits';
import { accountUpdateOf, activeStatusOf } from '../validation/accountParams';
import { rocketChatListedUser, rocketChatPublicUser } from '../views/rocketChatAccounts';
import { rocketChatOwnUser } from '../views/rocketChatUser';

/** A non-negative integer query parameter (`count`, `offset`), absent as undefined. */
function integerParam(req: Request, name: string, max: number): number | undefined {
  const value = req.query[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,7}$/.test(value) || Number(value) > max) throw new InvalidParamError(name, `must be an integer from 0 to ${max}`);
  return Number(value);
}

/**
 * Rocket.Chat's account management (issue 23), on the Rocket.Chat router behind authentication. Rocket.Chat's
 * permissions are the admin role's: delete-user and edit-other-user-active-status (403 `unauthorized` without),
 * edit-other-user-info, assign-roles and view-full-other-user-info.
 */
export function addRocketChatUserRoutes(router: Router, auth: RequestHandler[], users: UserAdministration, presence: PresenceService): void {
  router.get('/users.list', ...auth, async (req: Request, res: Response) => {
    for (const unsupported of ['query', 'fields', 'sort']) {
      if (req.query[unsupported] !== undefined) throw new InvalidParamError(unsupported, 'is not supported by this service');
    }
    const count = integerParam(req, 'count', OFFSET_MAX);
    const offset = integerParam(req, 'offset', OFFSET_MAX);
    const page = await users.list(offset, count);
    const now = presence.now();
    const full = isAdmin(identityOf(res));
    const listed = page.users.map((user) => rocketChatListedUser(user, presence.read(user, now).status, full));
    rocketChatSuccess(req, res, { users: listed, count: listed.length, offset: page.offset, total: page.total });
  });

  router.get(
    '/users.info',
    ...auth,
    optionalString(query, 'userId', SELECTOR_MAX),
    optionalString(query, 'username', SELECTOR_MAX),
    rejectInvalid,
    async (req: Request, res: Response) => {
      const { userId, username } = req.query as Record<string, string | undefined>;
      if (userId === undefined && username === undefined) throw new InvalidParamError('userId', 'or "username" is required');
      // Rocket.Chat's answers: an empty one is no search, an unknown one no user.
      if ((userId ?? '') === '' && (username ?? '') === '') throw new WordedRefusal('', 'Invalid search query.');
      const user = await users.find({ userId, username });
      if (user === null) throw new WordedRefusal('', 'User not found.');
      const identity = identityOf(res);
      const status = presence.read(user, presence.now()).status;
      const view = user.id === identity.userId || isAdmin(identity) ? rocketChatOwnUser(user, status) : rocketChatPublicUser(user, status);
      rocketChatSuccess(req, res, { user: view });
    },
  );

  router.post('/users.update', ...auth, async (req: Request, res: Response) => {
    const { userId, changes } = accountUpdateOf(req.body);
    const user = await users.update(identityOf(res), userId, changes);
    rocketChatSuccess(req, res, { user: rocketChatOwnUser(user, presence.read(user, presence.now()).status) });
  });

  router.post('/users.setActiveStatus', ...auth, async (req: Request, res: Response) => {
    const { userId, activeStatus } = activeStatusOf(req.body);
    // Rocket.Chat's setActiveStatus words an unknown user its own way, without an errorType.
    const user = await users.setActive(identityOf(res), userId, activeStatus).catch((error: unknown) => {
      throw error instanceof UnknownUserError ? new WordedRefusal('', 'User not found') : error;
    });
    rocketChatSuccess(req, res, { user: { _id: user.id, active: user.active } });
  });

  router.post(
    '/users.delete',
    ...auth,
    optionalString(body, 'userId', SELECTOR_MAX),
    optionalString(body, 'username', SELECTOR_MAX),
    optionalString(body, 'user', SELECTOR_MAX),
    rejectInvalid,
    async (req: Request, res: Response) => {
      const { userId, username, user } = req.body as Record<string, string | undefined>;
      await users.remove(identityOf(res), { userId, username: username ?? user });
      rocketChatSuccess(req, res, {});
    },
  );

  router.post('/users.removeOtherTokens', ...auth, async (req: Request, res: Response) => {
    await users.removeOtherTokens(identityOf(res));
    rocketChatSuccess(req, res, {});
  });

  router.post('/users.logoutOtherClients', ...auth, async (req: Request, res: Response) => {
    // The token the caller used, as sent (X-Auth-Token, or a bearer token here): Rocket.Chat answers it back.
    const sent = req.headers['x-auth-token'];
    const token = typeof sent === 'string' && sent !== '' ? sent : bearerTokenOf(req.headers.authorization) ?? '';
    const { tokenExpires } = await users.logoutOtherClients(identityOf(res));
    rocketChatSuccess(req, res, { token, tokenExpires: tokenExpires?.toISOString() ?? '' });
  });
}
