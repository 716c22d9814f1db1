import type { PresenceStore } from './presenceStore';
import { DuplicateUserError } from './presenceStore';
import type { UserRecord } from './userRecord';
import { LRUCache } from 'lru-cache';
import type { Clock } from './clock';
import { hashLoginToken, hashPassword, newLoginToken, newUserId, verifyPassword } from './credentials';
import { InvalidCredentialsError, RejectedError, UnauthorizedError } from './errors';
import { isAdmin, type Identity } from './identity';
import { loginTokensExpiredBefore, tokenExpiresAtMs } from './loginTokenExpiry';
import { sameString } from './sameString';
import { isTicketCurrent } from './streamTicket';

export type LoginRequest = { login: string; password: string } | { resume: string };

export interface NewUser {
  username: string;
  name: string;
  password: string;
  email?: string;
  roles?: string[];
  active?: boolean;
}

export interface AccountOptions {
  /** How long a verified token is trusted without asking the store: bounds how late a revocation elsewhere bites. */
  authCacheTtlMs: number;
  authCacheMaxEntries: number;
  /** Login tokens older than this stop authenticating. */
  loginExpirationDays: number;
}

type CachedIdentity = Omit<Identity, 'hashedToken'>;

/** Logins, tokens and users. Rocket.Chat's rules; the store does the I/O. */
export class AccountService {
  /** Verified tokens by hash; undefined when caching is off. */
  private readonly identities: LRUCache<string, CachedIdentity> | undefined;

  constructor(
    private readonly store: PresenceStore,
    private readonly clock: Clock,
    private readonly options: AccountOptions,
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
      if (found === null || !found.user.active) throw new UnauthorizedError();
      const { user, expiresAtMs } = found;
      identity = { userId: user._id, username: user.username, roles: user.roles };
      // lru-cache keeps an entry while its age is at most `ttl`: one millisecond less than the cache age, so an
      // entry is gone once CACHE_MAX_AGE_MS has passed; and never past the token's own last valid millisecond.
      const expiresInMs = expiresAtMs - now.getTime();
      const ttl = Math.floor(Math.min(this.options.authCacheTtlMs - 1, expiresInMs));
      if (ttl > 0) this.identities?.set(hashedToken, identity, { ttl });
    }
    if (claimedUserId !== undefined && !sameString(claimedUserId, identity.userId)) throw new UnauthorizedError();
    return { ...identity, hashedToken };
  }

  /** @returns the user and a new login token; the same error whether the user is unknown or the password wrong. */
  async login(request: LoginRequest): Promise<{ user: UserRecord; token: string }> {
    if ('resume' in request) {
      const found = await this.userWithLiveToken(hashLoginToken(request.resume), this.clock.now());
      if (found === null || !found.user.active) throw new InvalidCredentialsError();
      return { user: found.user, token: request.resume };
    }
    const user = await this.store.findUserByLogin(request.login);
    const passwordMatches = await verifyPassword(request.password, user?.services.password?.bcrypt);
    if (user === null || !passwordMatches || !user.active) throw new InvalidCredentialsError();
    const token = newLoginToken();
    const now = this.clock.now();
    const expiredBefore = loginTokensExpiredBefore(now, this.options.loginExpirationDays);
    await this.store.addLoginToken(user._id, { when: now, hashedToken: hashLoginToken(token) }, now, expiredBefore);
    return { user: { ...user, lastLogin: now }, token };
  }

  /** A stream ticket for the caller, valid `ttlMs` and once. */
  async issueStreamTicket(identity: Identity, ttlMs: number): Promise<{ ticket: string; expiresAt: Date }> {
    const ticket = newLoginToken();
    const now = this.clock.now();
    const expiresAt = new Date(now.getTime() + ttlMs);
    await this.store.saveStreamTicket({ hashedTicket: hashLoginToken(ticket), userId: identity.userId, hashedToken: identity.hashedToken, expiresAt }, now);
    return { ticket, expiresAt };
  }

  /** The identity a stream ticket was issued to, while its login token still is valid; the ticket is used up. */
  async redeemStreamTicket(ticket: string): Promise<Identity> {
    const taken = await this.store.takeStreamTicket(hashLoginToken(ticket));
    if (taken === null || !isTicketCurrent(taken, this.clock.now())) throw new UnauthorizedError();
    const user = await this.store.findUserByHashedToken(taken.hashedToken);
    if (user === null || !user.active || user._id !== taken.userId) throw new UnauthorizedError();
    return { userId: user._id, username: user.username, roles: user.roles, hashedToken: taken.hashedToken };
  }

  /** Which of these token hashes still authenticate someone: one store read for any number of open streams. */
  async liveTokenHashes(hashedTokens: readonly string[]): Promise<Set<string>> {
    const wanted = new Set(hashedTokens);
    const live = new Set<string>();
    const nowMs = this.clock.now().getTime();
    for (const user of await this.store.findUsersByHashedTokens(hashedTokens)) {
      if (!user.active) continue;
      for (const token of user.services.resume?.loginTokens ?? []) {
        if (wanted.has(token.hashedToken) && nowMs <= tokenExpiresAtMs(token, this.options.loginExpirationDays)) live.add(token.hashedToken);
      }
    }
    return live;
  }

  async logout(identity: Identity): Promise<void> {
    this.identities?.delete(identity.hashedToken);
    await this.store.removeLoginToken(identity.userId, identity.hashedToken);
  }

  /** The token's user and when the token stops working; null when nobody has it or it has expired. */
  private async userWithLiveToken(hashedToken: string, now: Date): Promise<{ user: UserRecord; expiresAtMs: number } | null> {
    const user = await this.store.findUserByHashedToken(hashedToken);
    const token = user?.services.resume?.loginTokens.find((loginToken) => loginToken.hashedToken === hashedToken);
    if (user === null || token === undefined) return null;
    const expiresAtMs = tokenExpiresAtMs(token, this.options.loginExpirationDays);
    return now.getTime() <= expiresAtMs ? { user, expiresAtMs } : null;
  }

  async findUser(userId: string): Promise<UserRecord> {
    const user = await this.store.findUserById(userId);
    if (user === null) throw new UnauthorizedError();
    return user;
  }

  async createUser(actor: Identity, input: NewUser): Promise<UserRecord> {
    if (!isAdmin(actor)) throw new RejectedError('error-action-not-allowed', 'Adding user is not allowed');
    return this.insertUser(input);
  }

  /**
   * Makes sure the configured admin exists, as Rocket.Chat does with ADMIN_USERNAME / ADMIN_PASS. An existing
   * user is left as it is. Without a configured password one is generated and returned, to be shown once.
   */
  async ensureAdmin(username: string, password: string | undefined): Promise<{ created: boolean; generatedPassword?: string }> {
    if ((await this.store.findUserByUsername(username)) !== null) return { created: false };
    const chosen = password ?? newLoginToken().slice(0, 20);
    try {
      await this.insertUser({ username, name: 'Administrator', password: chosen, roles: ['admin', 'user'] });
    } catch (error) {
      // Another instance created it first.
      if (error instanceof RejectedError) return { created: false };
      throw error;
    }
    return password === undefined ? { created: true, generatedPassword: chosen } : { created: true };
  }

  private async insertUser(input: NewUser): Promise<UserRecord> {
    const user: UserRecord = {
      _id: newUserId(),
      username: input.username,
      name: input.name,
      ...(input.email === undefined ? {} : { emails: [{ address: input.email.toLowerCase(), verified: false }] }),
      utcOffset: 0,
      active: input.active ?? true,
      roles: input.roles ?? ['user'],
      status: 'offline',
      statusText: '',
      presenceText: null,
      presenceExpiresAt: null,
      lastSeenAt: null,
      presenceChangedAt: null,
      presenceRevision: 0,
      createdAt: this.clock.now(),
      services: { password: { bcrypt: await hashPassword(input.password) }, resume: { loginTokens: [] } },
    };
    try {
      await this.store.createUser(user);
    } catch (error) {
      if (!(error instanceof DuplicateUserError)) throw error;
      const taken = error.field === 'email' ? input.email : input.username;
      throw new RejectedError('error-field-unavailable', `${taken} is already in use :(`);
    }
    return user;
  }
}
