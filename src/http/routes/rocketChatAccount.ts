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
import { optionalBoolean, optionalFlatObject, optionalString, optionalStringList, plainStringProblem, rejectInvalid, requiredString, unsupported } from '../validation/params';
import { ACCOUNT_FIELD_MAX, CREATE_ROLES_MAX, CUSTOM_FIELD_VALUE_MAX, CUSTOM_FIELDS_MAX, LOGIN_MAX, NEW_PASSWORD_MIN, PASSWORD_MAX, ROLE_MAX, STATUS_TEXT_MAX, USERNAME_MAX } from '../validation/limits';
import { isPasswordDigest, loginNameOfUserString, type LoginName, type PasswordProof } from '../../domain/rules/logins';
import { isUsername } from '../../domain/rules/newUsers';
import { rocketChatMe, rocketChatOwnUser } from '../views/rocketChatUser';

/** A login field as a plain string, or a 400 naming it. */
function loginString(param: string, value: unknown, maxLength: number): string {
  const problem = plainStringProblem(value, maxLength);
  if (problem !== undefined) throw new InvalidParamError(param, problem);
  return value as string;
}

/** Meteor's `user` object: exactly one of username, email, id. */
function loginNameOfUserObject(user: object): LoginName {
  const entries = Object.entries(user);
  const [kind, value] = entries[0] ?? [];
  if (entries.length !== 1 || (kind !== 'username' && kind !== 'email' && kind !== 'id')) {
    throw new InvalidParamError('user', 'must be a username, an e-mail address, or an object with exactly one of username, email, id');
  }
  return { kind, value: loginString(`user.${kind}`, value, LOGIN_MAX) };
}

/**
 * The name a login gives: `user`, else `username`, else `email`, as Rocket.Chat takes them. Each one given is
 * checked, used or not: a malformed field is refused, never passed over.
 */
function loginNameOf(fields: Record<string, unknown>): LoginName | undefined {
  const { user, username, email } = fields;
  const fromUser = user === undefined ? undefined
    : typeof user === 'object' && user !== null && !Array.isArray(user) ? loginNameOfUserObject(user)
      : loginNameOfUserString(loginString('user', user, LOGIN_MAX));
  const fromUsername = username === undefined ? undefined : { kind: 'username' as const, value: loginString('username', username, LOGIN_MAX) };
  const fromEmail = email === undefined ? undefined : { kind: 'email' as const, value: loginString('email', email, LOGIN_MAX) };
  return fromUser ?? fromUsername ?? fromEmail;
}

/** The password, or Meteor's `{digest, algorithm: "sha-256"}`. */
function passwordProofOf(password: unknown): PasswordProof {
  if (typeof password !== 'object' || password === null || Array.isArray(password)) return { password: loginString('password', password, PASSWORD_MAX) };
  const { digest, algorithm } = password as Record<string, unknown>;
  if (algorithm !== 'sha-256' || typeof digest !== 'string' || !isPasswordDigest(digest)) {
    throw new InvalidParamError('password', 'must be the password, or {"digest": its SHA-256 in 64 hexadecimal digits, "algorithm": "sha-256"}');
  }
  return { digest };
}

/** Every body Rocket.Chat's login takes: a resume token, or a name (see LoginName) and a password proof. */
function loginRequestOf(req: Request): LoginRequest {
  const fields = (req.body ?? {}) as Record<string, unknown>;
  const name = loginNameOf(fields);
  const proof = fields.password === undefined ? undefined : passwordProofOf(fields.password);
  if (fields.resume !== undefined) return { resume: loginString('resume', fields.resume, LOGIN_MAX) };
  if (name === undefined) throw new InvalidParamError('user', 'is required');
  if (proof === undefined) throw new InvalidParamError('password', 'is required');
  return { name, proof };
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
    async (req: Request, res: Response) => {
      const request = loginRequestOf(req);
      // req.ip is the client's address, or with TRUST_PROXY the one the proxy appended to X-Forwarded-For.
      const { user, token } = await accounts.login(request, req.ip ?? '').catch((error: unknown) => {
        if (error instanceof InvalidCredentialsError) metrics.loginFailures.inc();
        if (error instanceof TooManyLoginAttemptsError) metrics.rateLimited.inc({ limit: error.scope });
        throw error;
      });
      // Whether he has a password: a password login says so; a resume asks the store.
      const hasPassword = 'proof' in request ? true : (await accounts.ownAccount(user.id)).hasPassword;
      const me = rocketChatMe(user, presence.read(user, presence.now()).status, hasPassword);
      rocketChatSuccess(req, res, { status: 'success', data: { userId: user.id, authToken: token, me } });
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
    const { user, hasPassword } = await accounts.ownAccount(identityOf(res).userId);
    rocketChatSuccess(req, res, rocketChatMe(user, presence.read(user, presence.now()).status, hasPassword));
  });

  router.post(
    '/users.create',
    ...auth,
    requiredString(body, 'username', USERNAME_MAX).custom((value: string) => isUsername(value)).withMessage('may hold only letters, digits, "-", "_" and "."'),
    requiredString(body, 'name', ACCOUNT_FIELD_MAX),
    requiredString(body, 'password', PASSWORD_MAX).isLength({ min: NEW_PASSWORD_MIN }).withMessage('must not be empty'),
    optionalString(body, 'email', ACCOUNT_FIELD_MAX),
    optionalStringList('roles', CREATE_ROLES_MAX, ROLE_MAX),
    optionalBoolean('active'),
    optionalBoolean('verified'),
    optionalBoolean('requirePasswordChange'),
    // Nothing to join: this service has no channels, so joining "the default channels" (Rocket.Chat's default) is nothing either way.
    optionalBoolean('joinDefaultChannels'),
    optionalFlatObject('customFields', CUSTOM_FIELDS_MAX, CUSTOM_FIELD_VALUE_MAX),
    optionalString(body, 'statusText', STATUS_TEXT_MAX, true),
    ...UNSUPPORTED_CREATE_FIELDS,
    rejectInvalid,
    async (req: Request, res: Response) => {
      const fields = req.body as Record<string, unknown>;
      const user = await accounts.createUser(identityOf(res), {
        username: fields.username as string,
        name: fields.name as string,
        password: fields.password as string,
        ...definedOnly({
          email: fields.email as string | undefined,
          roles: fields.roles as string[] | undefined,
          active: fields.active as boolean | undefined,
          verified: fields.verified as boolean | undefined,
          requirePasswordChange: fields.requirePasswordChange as boolean | undefined,
          customFields: fields.customFields as Record<string, unknown> | undefined,
          statusText: (fields.statusText ?? undefined) as string | undefined,
        }),
      });
      rocketChatSuccess(req, res, { user: rocketChatOwnUser(user, 'offline') });
    },
  );

}

const isAbsent = (value: unknown) => value === null;
const isOff = (value: unknown) => value === null || value === false || value === 'false';

/**
 * users.create's fields that Rocket.Chat keeps and this service cannot: refused when given (their meaning would
 * otherwise be silently lost), accepted only as null or, for the e-mail ones, false.
 */
const UNSUPPORTED_CREATE_FIELDS = [
  unsupported('bio', isAbsent, 'is not kept by this service'),
  unsupported('nickname', isAbsent, 'is not kept by this service'),
  unsupported('settings', isAbsent, 'is not kept by this service: every user has Rocket.Chat\'s default preferences'),
  unsupported('phones', isAbsent, 'is not kept by this service'),
  unsupported('freeSwitchExtension', isAbsent, 'is not kept by this service'),
  unsupported('fields', isAbsent, 'is not supported: the answer always holds the whole user'),
  unsupported('setRandomPassword', isOff, 'cannot be true: this service sends no e-mail to tell the user a random password'),
  unsupported('sendWelcomeEmail', isOff, 'cannot be true: this service sends no e-mail'),
];

function definedOnly<T extends object>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
