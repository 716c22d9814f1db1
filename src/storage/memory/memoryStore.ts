import { LRUCache } from 'lru-cache';
import { DuplicateUserError, type LoginAttempts, type PresenceStore } from '../../domain/presenceStore';
import { rocketChatPresenceOf, samePresence } from '../../domain/rocketChatPresence';
import type { StreamTicket } from '../../domain/streamTicket';
import type { LoginToken, PresenceVersion, PresenceWrite, RocketChatChangeRecord, UserRecord } from '../../domain/userRecord';
import { ChangeLog } from './changeLog';
import { ExpiryIndex } from './expiryIndex';

/** A saved ticket outlived by a newer one by this much has expired for sure, whatever ticket lifetime is set. */
const TICKET_GRACE_MS = 3_600_000;
/**
 * At most this many login-attempt counters are kept (the least recently counted go first): a flood of distinct
 * addresses or names cannot grow memory past about 15 MB.
 */
const MAX_ATTEMPT_KEYS = 100_000;

type Credentials = NonNullable<UserRecord['services']>;

function isPresentWithoutExpiry(user: UserRecord): boolean {
  return user.presenceExpiresAt === null && user.status !== 'offline';
}

/**
 * The embedded store: everything in this process, for zero set-up and for tests. Records are replaced on every
 * write and never changed in place, so handing out a stored record is safe and costs no copy. Credentials are kept
 * apart from the records, so no finder but those that need them can hand them out.
 */
export class MemoryStore implements PresenceStore {
  /** A write is visible the moment it is stamped: nothing is in flight between the two in one process. */
  readonly lateWriteWindowMs = 0;
  /** Nothing but this service writes here. */
  readonly externalWriters = false;
  private readonly users = new Map<string, UserRecord>();
  private readonly credentials = new Map<string, Credentials>();
  /** By lower-cased username: usernames are unique regardless of case. */
  private readonly idByUsername = new Map<string, string>();
  private readonly idByEmail = new Map<string, string>();
  private readonly idByHashedToken = new Map<string, string>();
  /** Users with a presence expiry; whether it has passed is checked on read. */
  private readonly withExpiry = new Set<string>();
  /** Users with a status other than offline and no expiry: Rocket.Chat's kind of presence. */
  private readonly presentWithoutExpiry = new Set<string>();
  /** Change stamps, as written; a user's older entries stay until retention drops them (readers re-check). */
  private readonly changes: ChangeLog;
  private readonly expiries = new ExpiryIndex();
  private readonly tickets = new Map<string, StreamTicket>();
  private readonly attempts = new LRUCache<string, LoginAttempts>({ max: MAX_ATTEMPT_KEYS });

  /** @param changeRetentionMs how long change stamps are indexed: the delta window plus its overlap, with a margin. */
  constructor(changeRetentionMs: number) {
    this.changes = new ChangeLog(changeRetentionMs);
  }

  async findUserById(id: string): Promise<UserRecord | null> {
    return this.users.get(id) ?? null;
  }

  async findUserByUsername(username: string): Promise<UserRecord | null> {
    return this.userWithId(this.idByUsername.get(username.toLowerCase()));
  }

  async findUserByLogin(login: string): Promise<UserRecord | null> {
    const user = this.userWithId(this.idByUsername.get(login.toLowerCase()) ?? this.idByEmail.get(login.toLowerCase()));
    return user === null ? null : { ...user, services: this.credentials.get(user._id) ?? {} };
  }

  async findUserByHashedToken(hashedToken: string): Promise<UserRecord | null> {
    const user = this.userWithId(this.idByHashedToken.get(hashedToken));
    return user === null ? null : this.withMatchingTokens(user, new Set([hashedToken]));
  }

  async findUsersByIds(ids: readonly string[]): Promise<UserRecord[]> {
    const found: UserRecord[] = [];
    for (const id of new Set(ids)) {
      const user = this.users.get(id);
      if (user !== undefined) found.push(user);
    }
    return found;
  }

  async findUsersByHashedTokens(hashedTokens: readonly string[]): Promise<UserRecord[]> {
    const ids = new Set<string>();
    for (const hashedToken of hashedTokens) {
      const id = this.idByHashedToken.get(hashedToken);
      if (id !== undefined) ids.add(id);
    }
    const wanted = new Set(hashedTokens);
    return [...ids].map((id) => this.withMatchingTokens(this.users.get(id) as UserRecord, wanted));
  }

  async findPresentCandidates(now: Date): Promise<UserRecord[]> {
    const nowMs = now.getTime();
    const found: UserRecord[] = [];
    for (const id of this.withExpiry) {
      const user = this.users.get(id) as UserRecord;
      if ((user.presenceExpiresAt as Date).getTime() > nowMs) found.push(user);
    }
    for (const id of this.presentWithoutExpiry) found.push(this.users.get(id) as UserRecord);
    return found;
  }

  async findUsersChangedSince(since: Date, now: Date): Promise<UserRecord[]> {
    const ids = this.changes.userIdsFrom(since.getTime());
    this.expiries.collectExpired(since.getTime(), now.getTime(), ids);
    return [...ids].map((id) => this.users.get(id) as UserRecord);
  }

  async findUsersUpdatedSince(): Promise<UserRecord[]> {
    return [];
  }

  async findUsersWithRocketChatPresence(): Promise<UserRecord[]> {
    return [];
  }

  async createUser(user: UserRecord): Promise<void> {
    const usernameKey = user.username.toLowerCase();
    if (this.idByUsername.has(usernameKey)) throw new DuplicateUserError('username');
    const emails = (user.emails ?? []).map((email) => email.address.toLowerCase());
    if (emails.some((address) => this.idByEmail.has(address))) throw new DuplicateUserError('email');
    if (this.users.has(user._id)) throw new DuplicateUserError('username');
    const { services, ...record } = user;
    this.users.set(user._id, record);
    this.credentials.set(user._id, services ?? {});
    this.idByUsername.set(usernameKey, user._id);
    for (const address of emails) this.idByEmail.set(address, user._id);
    for (const token of services?.resume?.loginTokens ?? []) this.idByHashedToken.set(token.hashedToken, user._id);
    this.indexPresence(undefined, record);
  }

  async addLoginToken(userId: string, token: LoginToken, lastLogin: Date, pruned: readonly string[]): Promise<void> {
    const user = this.users.get(userId);
    if (user === undefined) return;
    const gone = new Set(pruned);
    const services = this.credentials.get(userId) ?? {};
    const loginTokens = [...(services.resume?.loginTokens ?? []).filter((kept) => !gone.has(kept.hashedToken)), token];
    for (const hashedToken of gone) if (this.idByHashedToken.get(hashedToken) === userId) this.idByHashedToken.delete(hashedToken);
    this.credentials.set(userId, { ...services, resume: { loginTokens } });
    this.users.set(userId, { ...user, lastLogin, _updatedAt: lastLogin });
    this.idByHashedToken.set(token.hashedToken, userId);
  }

  async removeLoginToken(userId: string, hashedToken: string): Promise<void> {
    const services = this.credentials.get(userId);
    if (services === undefined) return;
    const loginTokens = (services.resume?.loginTokens ?? []).filter((token) => token.hashedToken !== hashedToken);
    this.credentials.set(userId, { ...services, resume: { loginTokens } });
    if (this.idByHashedToken.get(hashedToken) === userId) this.idByHashedToken.delete(hashedToken);
  }

  async writePresence(userId: string, expected: PresenceVersion, write: PresenceWrite): Promise<UserRecord | null> {
    const user = this.userAt(userId, expected);
    if (user === null) return null;
    const { updatedAt, ...presence } = write;
    return this.replace(user, { ...user, ...presence, _updatedAt: updatedAt, presenceRevision: expected.presenceRevision + 1 });
  }

  async recordRocketChatChange(userId: string, expected: PresenceVersion, record: RocketChatChangeRecord): Promise<UserRecord | null> {
    const user = this.userAt(userId, expected);
    if (user === null) return null;
    return this.replace(user, { ...user, ...record, presenceExpiresAt: null, presenceText: null, presenceRevision: expected.presenceRevision + 1 });
  }

  async saveStreamTicket(ticket: StreamTicket): Promise<void> {
    this.tickets.set(ticket.hashedTicket, ticket);
    // Expired tickets go as new ones come, so tickets never taken cannot pile up.
    for (const [hashedTicket, kept] of this.tickets) {
      if (kept.expiresAt.getTime() < ticket.expiresAt.getTime() - TICKET_GRACE_MS) this.tickets.delete(hashedTicket);
    }
  }

  async takeStreamTicket(hashedTicket: string): Promise<StreamTicket | null> {
    const ticket = this.tickets.get(hashedTicket);
    this.tickets.delete(hashedTicket);
    return ticket ?? null;
  }

  async countLoginAttempt(key: string, now: Date, windowMs: number): Promise<LoginAttempts> {
    const current = this.attempts.get(key);
    const counted = current !== undefined && current.resetAt.getTime() > now.getTime()
      ? { count: current.count + 1, resetAt: current.resetAt }
      : { count: 1, resetAt: new Date(now.getTime() + windowMs) };
    this.attempts.set(key, counted);
    return counted;
  }

  async forgetLoginAttempt(key: string, now: Date): Promise<void> {
    const current = this.attempts.get(key);
    if (current === undefined || current.resetAt.getTime() <= now.getTime()) return;
    this.attempts.set(key, { count: Math.max(0, current.count - 1), resetAt: current.resetAt });
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  private userWithId(id: string | undefined): UserRecord | null {
    return id === undefined ? null : (this.users.get(id) ?? null);
  }

  private withMatchingTokens(user: UserRecord, hashedTokens: ReadonlySet<string>): UserRecord {
    const loginTokens = (this.credentials.get(user._id)?.resume?.loginTokens ?? []).filter((token) => hashedTokens.has(token.hashedToken));
    return { ...user, services: { resume: { loginTokens } } };
  }

  /** The user, if this service's revision and Rocket.Chat's fields are still those a write was decided from. */
  private userAt(userId: string, expected: PresenceVersion): UserRecord | null {
    const user = this.users.get(userId);
    if (user === undefined || user.presenceRevision !== expected.presenceRevision) return null;
    return samePresence(rocketChatPresenceOf(user), expected.rocketChat) ? user : null;
  }

  private replace(before: UserRecord, after: UserRecord): UserRecord {
    this.users.set(after._id, after);
    this.indexPresence(before, after);
    return after;
  }

  private indexPresence(before: UserRecord | undefined, user: UserRecord): void {
    if (user.presenceExpiresAt !== null) this.withExpiry.add(user._id);
    else this.withExpiry.delete(user._id);
    if (isPresentWithoutExpiry(user)) this.presentWithoutExpiry.add(user._id);
    else this.presentWithoutExpiry.delete(user._id);
    this.expiries.set(user._id, user.status !== 'offline' ? user.presenceExpiresAt : null);
    const stamp = user.presenceChangedAt?.getTime();
    if (stamp !== undefined && stamp !== before?.presenceChangedAt?.getTime()) this.changes.record(user._id, stamp);
  }
}
