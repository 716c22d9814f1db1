import type { LoginToken, PresenceUpdate, UserRecord } from './userRecord';

/** Thrown by createUser when the username or email is taken. */
export class DuplicateUserError extends Error {
  constructor(readonly field: 'username' | 'email') {
    super(`${field} already in use`);
    this.name = 'DuplicateUserError';
  }
}

/** Decides whether a write is a change worth recording; the rule itself lives in the domain. */
export type ChangeTest = (before: UserRecord, after: UserRecord) => boolean;

/**
 * Everything the service keeps. Two implementations: MongoStore (production, any number of instances) and
 * MemoryStore (zero set-up, one process). tests/storage/presenceStore.contract.test.ts holds both to the same behaviour.
 */
export interface PresenceStore {
  findUserById(id: string): Promise<UserRecord | null>;
  findUserByUsername(username: string): Promise<UserRecord | null>;
  /** By username or, failing that, email address (what Rocket.Chat's `user` login field accepts). */
  findUserByLogin(login: string): Promise<UserRecord | null>;
  /**
   * The user holding this login token, without the password hash; `services.resume.loginTokens` holds only the
   * matching token (its `when` decides whether it has expired).
   */
  findUserByHashedToken(hashedToken: string): Promise<UserRecord | null>;
  findUsersByIds(ids: readonly string[]): Promise<UserRecord[]>;
  /** Users whose chosen status is not offline and whose presence expires after `now`. */
  findPresentUsers(now: Date): Promise<UserRecord[]>;
  /**
   * Ids of users whose presence changed after `since`: every recorded change with a later timestamp, and every
   * presence that expired in (since, now]. An expiry is a change like any other, at the moment it happened.
   */
  findUserIdsChangedSince(since: Date, now: Date): Promise<string[]>;

  /** @throws DuplicateUserError */
  createUser(user: UserRecord): Promise<void>;
  /** Removes the user's tokens made before `expiredBefore`, then adds `token` and sets lastLogin. */
  addLoginToken(userId: string, token: LoginToken, lastLogin: Date, expiredBefore: Date): Promise<void>;
  removeLoginToken(userId: string, hashedToken: string): Promise<void>;
  /**
   * Writes the user's presence and, when `isChange(before, after)` says clients can see the difference, records
   * a change at `at`. Returns the updated user, null if unknown.
   */
  updatePresence(userId: string, update: PresenceUpdate, at: Date, isChange: ChangeTest): Promise<UserRecord | null>;

  /** Resolves when the store can serve requests; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
