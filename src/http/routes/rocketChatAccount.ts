import type { Request, RequestHandler, Response, Router } from 'express';
import { body } from 'express-validator';
import type { AccountService, LoginRequest } from '../../domain/services/accountService';
import { InvalidCredentialsError, InvalidParamError, TooManyLoginAttemptsError } from '../../domain/errors';
import type { PresenceService } from '../../domain/services/presenceService';
import type { ConnectionService } from '../../domain/services/connectionService';
import type { PresenceStreams } from '../../domain/services/presenceStreams';
import type { Metrics } from '../../metrics/createMetrics';
import { identityOf } from '../middleware/authenticate';
import { rocketChatSuccess, sendRocketChatJson } from '../responses/rocketChat';
import { optionalString, rejectInvalid, requiredString } from '../validation/params';
import { rocketChatOwnUser } from '../views/rocketChatUser';

const LOGIN_MAX = 256;
const PASSWORD_MAX = 1024;

function loginRequestOf(req: Request): LoginRequest {
  const { user, username, email, password, resume } = (req.body ?? {}) as Record<string, string | undefined>;
  if (resume !== undefined) return { resume };
  const login = user ?? username ?? email;
  if (login === undefined) throw new InvalidParamError('user', 'is required');
  if (password === undefined) throw new InvalidParamError('password', 'is required');
  return { login, password };
}

/**
 * POST /login's handlers: no authentication needed, so they are mounted before the auth middleware. Input is
 * validated before anything is counted: a malformed request is no failed login.
 */
export function rocketChatLogin(
  accounts: AccountService,
  presence: PresenceService,
  metrics: Pick<Metrics, 'loginFailures' | 'rateLimited'>,
): RequestHandler[] {
  return [
    optionalString(body, 'user', LOGIN_MAX),
    optionalString(body, 'username', LOGIN_MAX),
    optionalString(body, 'email', LOGIN_MAX),
    optionalString(body, 'password', PASSWORD_MAX),
    optionalString(body, 'resume', LOGIN_MAX),
    rejectInvalid,
    async (req: Request, res: Response) => {
      // req.ip is the client's address, or with TRUST_PROXY the one the proxy appended to X-Forwarded-For.
      const { user, token } = await accounts.login(loginRequestOf(req), req.ip ?? '').catch((error: unknown) => {
        if (error instanceof InvalidCredentialsError) metrics.loginFailures.inc();
        if (error instanceof TooManyLoginAttemptsError) metrics.rateLimited.inc({ limit: error.scope });
        throw error;
      });
      const me = rocketChatOwnUser(user, presence.read(user, presence.now()).status);
      rocketChatSuccess(req, res, { status: 'success', data: { userId: user._id, authToken: token, me } });
    },
  ];
}

/** logout, me and users.create, on the Rocket.Chat router behind authentication. */
export function addRocketChatAccountRoutes(
  router: Router,
  auth: RequestHandler[],
  accounts: AccountService,
  presence: PresenceService,
  streams: PresenceStreams,
  connections: ConnectionService,
): void {

  const logout = async (req: Request, res: Response) => {
    await accounts.logout(identityOf(res));
    streams.closeToken(identityOf(res).hashedToken);
    // Every connection of the token ends at once, on every instance: the others' streams of it close within STREAM_REVALIDATE_MS.
    await connections.loggedOut(identityOf(res).hashedToken);
    sendRocketChatJson(req, res, 200, JSON.stringify({ status: 'success', data: { message: "You've been logged out!" } }));
  };
  router.post('/logout', ...auth, logout);
  // Rocket.Chat still accepts GET, and its Node SDK logs out with it (and would swallow a 404, the token left alive).
  router.get('/logout', ...auth, logout);

  router.get('/me', ...auth, async (req: Request, res: Response) => {
    const user = await accounts.findUser(identityOf(res).userId);
    rocketChatSuccess(req, res, rocketChatOwnUser(user, presence.read(user, presence.now()).status));
  });

  router.post(
    '/users.create',
    ...auth,
    requiredString(body, 'username', 64).matches(/^[0-9a-zA-Z-_.]+$/).withMessage('may hold only letters, digits, "-", "_" and "."'),
    requiredString(body, 'name', 256),
    requiredString(body, 'password', PASSWORD_MAX).isLength({ min: 1 }).withMessage('must not be empty'),
    optionalString(body, 'email', 256).isEmail().withMessage('must be an email address'),
    rejectInvalid,
    async (req: Request, res: Response) => {
      const { username, name, password, email } = req.body as Record<string, string>;
      const user = await accounts.createUser(identityOf(res), { username, name, password, email });
      rocketChatSuccess(req, res, { user: rocketChatOwnUser(user, 'offline') });
    },
  );

}
