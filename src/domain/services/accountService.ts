import type { AccountStore } from '../ports/accountStore';
import type { LoginAttemptStore } from '../ports/loginAttemptStore';
import type { TicketStore } from '../ports/ticketStore';
import { DuplicateUserError } from '../ports/store';
import type { UserRecord } from '../ports/records';
import { LRUCache } from 'lru-cache';
import type { Clock } from '../ports/clock';
import { NEW_USER_PRESENCE, accountLimitNameOf, isAdmin, type Identity, isTicketCurrent, loginTokensToPrune, tokenAuthenticatesUntil } from '../rules/accounts';
import { hashLoginToken, loginAttemptKey, newGeneratedPassword, newLoginToken, newUserId } from './credentials';
import { ActionNotAllowedError, FieldUnavailableError, InvalidCredentialsError, InvalidEmailError, RejectedError, ReservedUsernameError, TooManyLoginAttemptsError, UnauthorizedError, UnknownRoleError } from '../errors';
import { isNamedBy, LOGIN_ATTEMPT_KEYS_KEPT, type LoginName, type PasswordProof } from '../rules/logins';
import { DEFAULT_ROLES, isEmailAddress, isReservedUsername, unknownRoles } from '../rules/newUsers';
import { sameString, withFields } from '../../utils';
import { normaliseStatusText } from '../rules/status';
import type { Passwords } from './passwords';

export type LoginRequest = { name: LoginName; proof: PasswordProof } | { resume: string };

export interface NewUser {
  username: string;
  name: string;
  password: string;
  email?: string;
  roles?: string[];
  active?: boolean;
  /** The address is marked verified. */
  verified?: boolean;
  requirePasswordChange?: boolean;
  customFields?: Record<string, unknown>;
  /** The status message the user starts with. */
  statusText?: string;
}

export interface AccountOptions {
  /** How long a verified token is trusted without asking the store: bounds how late a revocation elsewhere bites. */
  authCacheTtlMs: number;
  authCacheMaxEntries: number;
  /** Login tokens older than this stop authenticating. */
  loginExpirationDays: number;
  /** Failed logins allowed per client address and per account in each window, counted across every instance. */
  loginAttemptLimit: number;
  loginAttemptWindowMs: number;
}

type CachedIdentity = Omit<Identity, 'hashedToken'>;

/** Logins, tokens and users. Rocket.Chat's rules; the store does the I/O. */
export class AccountService {
  /** Verified tokens by hash; undefined when caching is off. */
  private readonly identities: LRUCache<string, CachedIdentity> | undefined;

  constructor(
    private readonly store: AccountStore & TicketStore & LoginAttemptStore,
    private readonly clock: Clock,
    private readonly options: AccountOptions,
    /** bcrypt off the event loop: hashPassword, verifyPassword, verifyPasswordDigest. */
    private readonly passwords: Passwords,
  ) {
    this.identities = options.authCacheTtlMs > 0 && options.authCacheMaxEntries > 0
      ? new LRUCache({
        max: options.authCacheMaxEntries,
        ttl: options.authCacheTtlMs,
        // The injected clock, so tests move time by hand; read on every check rather than through a timer per call.
        perf: { now: () => this.clock.now().getTime() },
        ttlResolution: 0,
      })
      : undefined;
  }

  /**
   * Resolves a login token to its user. `claimedUserId` is X-User-Id when the client sent one; a valid token
   * sent with another user's id is refused like an unknown one.
   */
  async authenticate(token: string, claimedUserId: string | undefined): Promise<Identity> {
    const hashedToken = hashLoginToken(token);
    let identity = this.identities?.get(hashedToken);
    if (identity === undefined) {
      const now = this.clock.now();
      const found = await this.userWithLiveToken(hashedToken, now);
      if (found === null) throw new UnauthorizedError();
      const { user, expiresAtMs } = found;
      identity = { userId: user.id, username: user.username, roles: user.roles };
      // lru-cache keeps an entry while its age is at most `ttl`: one millisecond less than the cache age, so an
      // entry is gone once CACHE_MAX_AGE_MS has passed; and never past the token's own last valid millisecond.
      const expiresInMs = expiresAtMs - now.getTime();
      const ttl = Math.floor(Math.min(this.options.authCacheTtlMs - 1, expiresInMs));
      if (ttl > 0) this.identities?.set(hashedToken, identity, { ttl });
    }
    if (claimedUserId !== undefined && !sameString(claimedUserId, identity.userId)) throw new UnauthorizedError();
    // Every field named: a spread followed by a new field would give each request's identity a hidden class of its own (withFields).
    return { userId: identity.userId, username: identity.username, roles: identity.roles, hashedToken };
  }

  /**
   * @returns the user and a new login token; the same error whether the user is unknown or the password wrong.
   * Attempts count against the client's address and the account tried, on every instance alike; one that
   * succeeds is given back. Past the limit every attempt is refused, the right password too (else a success among
   * the refusals would give it away).
   * @throws TooManyLoginAttemptsError
   */
  async login(request: LoginRequest, clientAddress: string): Promise<{ user: UserRecord; token: string }> {
    const counted: string[] = [];
    try {
      await this.countAttempt('address', loginAttemptKey('address', clientAddress), counted);
      const result = await this.checkCredentials(request, counted);
      await this.forgetAttempts(counted);
      return result;
    } catch (error) {
      // Only refused credentials spend the budget: an unavailable store says nothing about a password.
      if (!(error instanceof InvalidCredentialsError || error instanceof TooManyLoginAttemptsError)) await this.forgetAttempts(counted).catch(() => undefined);
      throw error;
    }
  }

  private async checkCredentials(request: LoginRequest, counted: string[]): Promise<{ user: UserRecord; token: string }> {
    if ('resume' in request) {
      const found = await this.userWithLiveToken(hashLoginToken(request.resume), this.clock.now());
      if (found === null) throw new InvalidCredentialsError();
      return { user: found.user, token: request.resume };
    }
    const user = await this.userNamedBy(request.name);
    await this.countAttempt('account', loginAttemptKey('login', accountLimitNameOf(request.name.value, user)), counted);
    const storedHash = user?.credentials?.passwordHash;
    const passwordMatches = 'digest' in request.proof
      ? await this.passwords.verifyPasswordDigest(request.proof.digest, storedHash)
      : await this.passwords.verifyPassword(request.proof.password, storedHash);
    if (user === null || !passwordMatches || !user.active) throw new InvalidCredentialsError();
    const token = newLoginToken();
    const now = this.clock.now();
    const pruned = loginTokensToPrune(user.credentials?.loginTokens ?? [], now, this.options.loginExpirationDays);
    await this.store.addLoginToken(user.id, { when: now, hashedToken: hashLoginToken(token) }, now, pruned);
    const { credentials: _credentials, ...withoutCredentials } = user;
    return { user: withFields(withoutCredentials, { lastLogin: now }), token };
  }

  /** The user a login names, with the credentials a login checks; null when nobody is so named. */
  private async userNamedBy(name: LoginName): Promise<UserRecord | null> {
    const login = name.kind === 'id' ? (await this.store.findUserById(name.value))?.username : name.value;
    if (login === undefined) return null;
    const user = await this.store.findUserByLogin(login);
    return user !== null && isNamedBy(user, name) ? user : null;
  }

  /** Counts an attempt against `key` (remembered in `counted`); throws once it is past the limit. */
  private async countAttempt(scope: 'address' | 'account', key: string, counted: string[]): Promise<void> {
    const now = this.clock.now();
    const attempts = await this.store.countLoginAttempt(key, now, this.options.loginAttemptWindowMs, LOGIN_ATTEMPT_KEYS_KEPT);
    counted.push(key);
    if (attempts.count > this.options.loginAttemptLimit) {
      throw new TooManyLoginAttemptsError(scope, this.options.loginAttemptLimit, attempts.resetAt, Math.max(1, Math.ceil((attempts.resetAt.getTime() - now.getTime()) / 1000)));
    }
  }

  private async forgetAttempts(keys: readonly string[]): Promise<void> {
    const now = this.clock.now();
    await Promise.all(keys.map((key) => this.store.forgetLoginAttempt(key, now)));
  }

  /** A stream ticket for the caller, valid `ttlMs` and once. */
  async issueStreamTicket(identity: Identity, ttlMs: number): Promise<{ ticket: string; expiresAt: Date }> {
    const ticket = newLoginToken();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + ttlMs);
    await this.store.saveStreamTicket({ hashedTicket: hashLoginToken(ticket), userId: identity.userId, hashedToken: identity.hashedToken, expiresAt }, now);
    return { ticket, expiresAt };
  }

  /** The identity a stream ticket was issued to, while its login token is still valid; the ticket is used up. */
  async redeemStreamTicket(ticket: string): Promise<Identity> {
    const now = this.clock.now();
    const taken = await this.store.takeStreamTicket(hashLoginToken(ticket));
    if (taken === null || !isTicketCurrent(taken, now)) throw new UnauthorizedError();
    const found = await this.userWithLiveToken(taken.hashedToken, now);
    if (found === null || found.user.id !== taken.userId) throw new UnauthorizedError();
    return { userId: found.user.id, username: found.user.username, roles: found.user.roles, hashedToken: taken.hashedToken };
  }

  /**
   * Until when each of these token hashes authenticates (tokenAuthenticatesUntil), for those that do now; the others
   * are absent. One store read for any number of open streams.
   */
  async tokensLiveUntil(hashedTokens: readonly string[]): Promise<Map<string, number>> {
    const live = new Map<string, number>();
    const now = this.clock.now();
    // The store gives each holder only the tokens asked for (findTokenHolders).
    for (const holder of await this.store.findTokenHolders(hashedTokens)) {
      for (const token of holder.credentials.loginTokens) {
        const untilMs = tokenAuthenticatesUntil(holder, token.hashedToken, now, this.options.loginExpirationDays);
        if (untilMs !== null) live.set(token.hashedToken, untilMs);
      }
    }
    return live;
  }

  /**
   * Whether an active user still holds every one of these tokens: one count. Of tokens whose lifetime
   * (tokensLiveUntil) has not run out, true says each still authenticates; false, that one at least may not, and
   * tokensLiveUntil tells which.
   */
  async tokensStillHeld(hashedTokens: readonly string[]): Promise<boolean> {
    return (await this.store.countTokensOfActiveUsers(hashedTokens)) === hashedTokens.length;
  }

  /**
   * Forgets the tokens of this user verified here (a deactivation, removal, new password or new roles): they are
   * checked against the store again on their next use. Other instances' caches let them go within authCacheTtlMs.
   */
  forgetUser(userId: string): void {
    if (this.identities === undefined) return;
    const forgotten = [...this.identities.entries()].filter(([, identity]) => identity.userId === userId).map(([hashedToken]) => hashedToken);
    for (const hashedToken of forgotten) this.identities.delete(hashedToken);
  }

  async logout(identity: Identity): Promise<void> {
    this.identities?.delete(identity.hashedToken);
    await this.store.removeLoginToken(identity.userId, identity.hashedToken);
  }

  /** The token's user and when the token stops working; null when the token does not authenticate (tokenAuthenticatesUntil). */
  private async userWithLiveToken(hashedToken: string, now: Date): Promise<{ user: UserRecord; expiresAtMs: number } | null> {
    const user = await this.store.findUserByHashedToken(hashedToken);
    const expiresAtMs = user === null ? null : tokenAuthenticatesUntil(user, hashedToken, now, this.options.loginExpirationDays);
    return user === null || expiresAtMs === null ? null : { user, expiresAtMs };
  }

  async findUser(userId: string): Promise<UserRecord> {
    const user = await this.store.findUserById(userId);
    if (user === null) throw new UnauthorizedError();
    return user;
  }

  /** A user as shown to himself (/me, login): the record, and whether he has a password (never the hash). */
  async ownAccount(userId: string): Promise<{ user: UserRecord; hasPassword: boolean }> {
    const user = await this.findUser(userId);
    const withCredentials = await this.store.findUserByLogin(user.username);
    return { user, hasPassword: withCredentials?.id === user.id && withCredentials.credentials?.passwordHash !== undefined };
  }

  async createUser(actor: Identity, input: NewUser): Promise<UserRecord> {
    if (!isAdmin(actor)) throw new ActionNotAllowedError('add-user');
    // Rocket.Chat's checks, in its order: roles, then the username, then the address.
    const unknown = unknownRoles(input.roles ?? []);
    if (unknown.length > 0) throw new UnknownRoleError(unknown);
    if (isReservedUsername(input.username)) throw new ReservedUsernameError(input.username);
    if (input.email !== undefined && !isEmailAddress(input.email)) throw new InvalidEmailError(input.email);
    return this.insertUser(input);
  }

  /**
   * Makes sure the configured admin exists, as Rocket.Chat does with ADMIN_USERNAME / ADMIN_PASS. An existing
   * user is left as it is. Without a configured password one is generated and returned, to be shown once.
   */
  async ensureAdmin(username: string, password: string | undefined, email?: string): Promise<{ created: boolean; generatedPassword?: string }> {
    if ((await this.store.findUserByUsername(username)) !== null) return { created: false };
    const chosen = password ?? newGeneratedPassword();
    try {
      // With ADMIN_EMAIL, as Rocket.Chat: the admin's address, verified (it was set by whoever installed the server).
      await this.insertUser({ username, name: 'Administrator', password: chosen, roles: ['admin', 'user'], ...(email === undefined ? {} : { email, verified: true }) });
    } catch (error) {
      // Another instance created it first.
      if (error instanceof RejectedError) return { created: false };
      throw error;
    }
    return password === undefined ? { created: true, generatedPassword: chosen } : { created: true };
  }

  private async insertUser(input: NewUser): Promise<UserRecord> {
    const user: UserRecord = {
      id: newUserId(),
      username: input.username,
      name: input.name,
      ...(input.email === undefined ? {} : { emails: [{ address: input.email, verified: input.verified ?? false }] }),
      utcOffset: 0,
      active: input.active ?? true,
      roles: input.roles ?? DEFAULT_ROLES,
      ...NEW_USER_PRESENCE,
      ...(input.statusText === undefined ? {} : { statusText: normaliseStatusText(input.statusText) }),
      ...(input.requirePasswordChange === true ? { requirePasswordChange: true } : {}),
      ...(input.customFields === undefined ? {} : { customFields: input.customFields }),
      createdAt: this.clock.now(),
      credentials: { passwordHash: await this.passwords.hashPassword(input.password), loginTokens: [] },
    };
    try {
      await this.store.createUser(user);
    } catch (error) {
      if (!(error instanceof DuplicateUserError)) throw error;
      const taken = error.field === 'email' ? input.email : input.username;
      throw new FieldUnavailableError(taken);
    }
    return user;
  }
}
