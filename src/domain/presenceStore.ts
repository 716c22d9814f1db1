import type { StreamTicket } from './streamTicket';
import type { LoginToken, PresenceWrite, UserRecord } from './userRecord';

/** Thrown by createUser when the username or email is taken. */
export class DuplicateUserError extends Error {
  constructor(readonly field: 'username' | 'email') {
    super(`${field} already in use`);
    this.name = 'DuplicateUserError';
  }
}

/**
 * Everything the service keeps: the domain's port. Two adapters: MongoStore (production, any number of instances)
 * and MemoryStore (zero set-up, one process); tests/storage/presenceStore.contract.test.ts holds both to the same
 * behaviour. Stores persist and query by index; who is present and what changed is decided by the domain, so the
 * finders return candidates the domain then filters.
 */
export interface PresenceStore {
  /**
   * How long after its stamp a presence write may still become visible to readers: a write in flight, or
   * another instance's clock running behind. Readers of changes look back this far. 0 for one process.
   */
  readonly lateWriteWindowMs: number;

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
  /** The users holding any of these token hashes, with their login tokens (for checking open streams in bulk). */
  findUsersByHashedTokens(hashedTokens: readonly string[]): Promise<UserRecord[]>;
  /** Candidates for the present list: every user whose presence expires after `now`. */
  findUsersWithPresenceAfter(now: Date): Promise<UserRecord[]>;
  /**
   * Candidates for a delta: every user whose change stamp is at or after `since`, and every user whose presence
   * expires in [since, now].
   */
  findUsersChangedSince(since: Date, now: Date): Promise<UserRecord[]>;

  /** @throws DuplicateUserError */
  createUser(user: UserRecord): Promise<void>;
  /** Removes the user's tokens made before `expiredBefore`, then adds `token` and sets lastLogin. */
  addLoginToken(userId: string, token: LoginToken, lastLogin: Date, expiredBefore: Date): Promise<void>;
  removeLoginToken(userId: string, hashedToken: string): Promise<void>;
  /**
   * One atomic write of a presence and its change stamp, applied only if the user's presence revision is still
   * `expectedRevision`; the revision then moves on by one. Returns the written user, or null when no user with that
   * id has that revision (unknown, or written by someone else since it was read).
   */
  writePresence(userId: string, expectedRevision: number, write: PresenceWrite): Promise<UserRecord | null>;

  /** Saves a ticket issued at `now`, and forgets those expired by then (a ticket lives seconds, not longer). */
  saveStreamTicket(ticket: StreamTicket, now: Date): Promise<void>;
  /** Removes the ticket and returns it: a ticket can be taken once, by one instance. null when there is none. */
  takeStreamTicket(hashedTicket: string): Promise<StreamTicket | null>;

  /** Resolves when the store can serve requests; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
