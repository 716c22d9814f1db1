import { DuplicateUserError, type PresenceStore } from '../../domain/presenceStore';
import type { StreamTicket } from '../../domain/streamTicket';
import type { LoginToken, PresenceWrite, UserRecord } from '../../domain/userRecord';
import { ChangeLog } from './changeLog';
import { ExpiryIndex } from './expiryIndex';
import { StreamTickets } from './streamTickets';

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}

/**
 * The embedded store: everything in this process, for zero set-up and for tests. Records are replaced on every
 * write and never changed in place, so handing out a stored record is safe and costs no copy.
 */
export class MemoryStore implements PresenceStore {
  /** A write is visible the moment it is stamped: nothing is in flight between the two in one process. */
  readonly lateWriteWindowMs = 0;
  private readonly users = new Map<string, UserRecord>();
  private readonly idByUsername = new Map<string, string>();
  private readonly idByEmail = new Map<string, string>();
  private readonly idByHashedToken = new Map<string, string>();
  /** Users with a presence expiry; whether it has passed is checked on read. */
  private readonly withExpiry = new Set<string>();
  /** Change stamps, as written; a user's older entries stay until retention drops them (readers re-check). */
  private readonly changes: ChangeLog;
  private readonly expiries = new ExpiryIndex();
  private readonly tickets = new StreamTickets();

  /** @param changeRetentionMs how long change stamps are indexed: the delta window plus its overlap, with a margin. */
  constructor(changeRetentionMs: number) {
    this.changes = new ChangeLog(changeRetentionMs);
  }

  async findUserById(id: string): Promise<UserRecord | null> {
    return this.users.get(id) ?? null;
  }

  async findUserByUsername(username: string): Promise<UserRecord | null> {
    return this.userWithId(this.idByUsername.get(username));
  }

  async findUserByLogin(login: string): Promise<UserRecord | null> {
    return this.userWithId(this.idByUsername.get(login) ?? this.idByEmail.get(login.toLowerCase()));
  }

  async findUserByHashedToken(hashedToken: string): Promise<UserRecord | null> {
    const user = this.userWithId(this.idByHashedToken.get(hashedToken));
    if (user === null) return null;
    // The shape MongoStore's projection gives: no password, only the matching token.
    const loginTokens = (user.services.resume?.loginTokens ?? []).filter((token) => token.hashedToken === hashedToken);
    return { ...user, services: { resume: { loginTokens } } };
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
    return [...ids].map((id) => this.users.get(id) as UserRecord);
  }

  async findUsersWithPresenceAfter(now: Date): Promise<UserRecord[]> {
    const nowMs = now.getTime();
    const found: UserRecord[] = [];
    for (const id of this.withExpiry) {
      const user = this.users.get(id) as UserRecord;
      if ((user.presenceExpiresAt as Date).getTime() > nowMs) found.push(user);
    }
    return found;
  }

  async findUsersChangedSince(since: Date, now: Date): Promise<UserRecord[]> {
    const ids = this.changes.userIdsFrom(since.getTime());
    this.expiries.collectExpired(since.getTime(), now.getTime(), ids);
    return [...ids].map((id) => this.users.get(id) as UserRecord);
  }

  async createUser(user: UserRecord): Promise<void> {
    if (this.idByUsername.has(user.username)) throw new DuplicateUserError('username');
    const emails = (user.emails ?? []).map((email) => email.address.toLowerCase());
    if (emails.some((address) => this.idByEmail.has(address))) throw new DuplicateUserError('email');
    if (this.users.has(user._id)) throw new DuplicateUserError('username');
    this.users.set(user._id, user);
    this.idByUsername.set(user.username, user._id);
    for (const address of emails) this.idByEmail.set(address, user._id);
    for (const token of user.services.resume?.loginTokens ?? []) this.idByHashedToken.set(token.hashedToken, user._id);
    this.indexPresence(undefined, user);
  }

  async addLoginToken(userId: string, token: LoginToken, lastLogin: Date, expiredBefore: Date): Promise<void> {
    const user = this.users.get(userId);
    if (user === undefined) return;
    const [expired, kept] = partition(user.services.resume?.loginTokens ?? [], (loginToken) => loginToken.when < expiredBefore);
    for (const { hashedToken } of expired) if (this.idByHashedToken.get(hashedToken) === userId) this.idByHashedToken.delete(hashedToken);
    const loginTokens = [...kept, token];
    this.users.set(userId, { ...user, lastLogin, services: { ...user.services, resume: { loginTokens } } });
    this.idByHashedToken.set(token.hashedToken, userId);
  }

  async removeLoginToken(userId: string, hashedToken: string): Promise<void> {
    const user = this.users.get(userId);
    if (user === undefined) return;
    const loginTokens = (user.services.resume?.loginTokens ?? []).filter((token) => token.hashedToken !== hashedToken);
    this.users.set(userId, { ...user, services: { ...user.services, resume: { loginTokens } } });
    if (this.idByHashedToken.get(hashedToken) === userId) this.idByHashedToken.delete(hashedToken);
  }

  async writePresence(userId: string, expectedRevision: number, write: PresenceWrite): Promise<UserRecord | null> {
    const user = this.users.get(userId);
    if (user === undefined || user.presenceRevision !== expectedRevision) return null;
    const { updatedAt, ...presence } = write;
    const written: UserRecord = { ...user, ...presence, _updatedAt: updatedAt, presenceRevision: expectedRevision + 1 };
    this.users.set(userId, written);
    this.indexPresence(user, written);
    return written;
  }

  async saveStreamTicket(ticket: StreamTicket, now: Date): Promise<void> {
    this.tickets.save(ticket, now);
  }

  async takeStreamTicket(hashedTicket: string): Promise<StreamTicket | null> {
    return this.tickets.take(hashedTicket);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  private userWithId(id: string | undefined): UserRecord | null {
    return id === undefined ? null : (this.users.get(id) ?? null);
  }

  private indexPresence(before: UserRecord | undefined, user: UserRecord): void {
    if (user.presenceExpiresAt !== null) this.withExpiry.add(user._id);
    else this.withExpiry.delete(user._id);
    this.expiries.set(user._id, user.status !== 'offline' ? user.presenceExpiresAt : null);
    const stamp = user.presenceChangedAt?.getTime();
    if (stamp !== undefined && stamp !== before?.presenceChangedAt?.getTime()) this.changes.record(user._id, stamp);
  }
}
