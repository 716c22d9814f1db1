import { DuplicateUserError, type ChangeTest, type PresenceStore } from '../presenceStore';
import type { LoginToken, PresenceUpdate, UserRecord } from '../userRecord';
import { ChangeLog } from './changeLog';
import { ExpiryIndex } from './expiryIndex';

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
  private readonly users = new Map<string, UserRecord>();
  private readonly idByUsername = new Map<string, string>();
  private readonly idByEmail = new Map<string, string>();
  private readonly idByHashedToken = new Map<string, string>();
  /** Users with a chosen status other than offline and an expiry; whether it has passed is checked on read. */
  private readonly presentIds = new Set<string>();
  private readonly changes: ChangeLog;
  private readonly expiries = new ExpiryIndex();

  /** @param changeRetentionMs how long changes are kept: the delta window plus its overlap, with a margin. */
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

  async findPresentUsers(now: Date): Promise<UserRecord[]> {
    const nowMs = now.getTime();
    const present: UserRecord[] = [];
    for (const id of this.presentIds) {
      const user = this.users.get(id) as UserRecord;
      if ((user.presenceExpiresAt as Date).getTime() > nowMs) present.push(user);
    }
    return present;
  }

  async findUserIdsChangedSince(since: Date, now: Date): Promise<string[]> {
    const ids = this.changes.userIdsAfter(since.getTime());
    this.expiries.collectExpired(since.getTime(), now.getTime(), ids);
    return [...ids];
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
    this.indexPresence(user);
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

  async updatePresence(userId: string, update: PresenceUpdate, at: Date, isChange: ChangeTest): Promise<UserRecord | null> {
    const user = this.users.get(userId);
    if (user === undefined) return null;
    const updated: UserRecord = { ...user, ...update };
    this.users.set(userId, updated);
    this.indexPresence(updated);
    if (isChange(user, updated)) this.changes.record(userId, at.getTime());
    return updated;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  private userWithId(id: string | undefined): UserRecord | null {
    return id === undefined ? null : (this.users.get(id) ?? null);
  }

  private indexPresence(user: UserRecord): void {
    const present = user.status !== 'offline' && user.presenceExpiresAt !== null;
    if (present) this.presentIds.add(user._id);
    else this.presentIds.delete(user._id);
    this.expiries.set(user._id, present ? user.presenceExpiresAt : null);
  }
}
