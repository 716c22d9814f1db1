import type { AccountUpdate, StreamTicket, LoginToken, PresenceVersion, PresenceWrite, RemovedUser, RocketChatChange, UserRecord } from './records';
import type { ConnectionStore } from './connections';

/** Thrown by createUser when the username (in any letter case) or the email is taken. */
export class DuplicateUserError extends Error {
  constructor(readonly field: 'username' | 'email') {
    super(`${field} already in use`);
    this.name = 'DuplicateUserError';
  }
}

/** Thrown by any store call when the store cannot be reached right now; clients see 503 and try again. */
export class StoreUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreUnavailableError';
  }
}

/** One window of login attempts counted against a key. */
export interface LoginAttempts {
  count: number;
  /** When the window ends and the count starts again. */
  resetAt: Date;
}

/**
 * Everything the service keeps: the domain's port. Adapters: MongoStore (production, any number of instances, beside
 * Rocket.Chat on its database if wanted) and the embedded store; tests/storage/presenceStore.contract.test.ts holds
 * them to the same answers. Stores persist and query by index; who is present and what changed is decided by the
 * domain, so the finders return candidates the domain then filters.
 *
 * Credentials never leave a finder that does not need them: every user finder returns records without `services`,
 * except findUserByLogin (the password hash and the token list, for a login) and the token look-ups (the matching
 * tokens only).
 */
export interface PresenceStore {
  /**
   * How long after its stamp a presence write may still become visible to readers: a write in flight, or another
   * instance's clock running behind. Readers of changes look back this far. 0 for one process.
   */
  readonly lateWriteWindowMs: number;
  /**
   * Whether programs other than this service write presence into the users (Rocket.Chat, on its own database): then
   * their writes have to be found (findUsersUpdatedSince, findUnrecordedRocketChatPresences) and recorded.
   */
  readonly externalWriters: boolean;

  findUserById(id: string): Promise<UserRecord | null>;
  /** Usernames are unique regardless of letter case, and found in any case. */
  findUserByUsername(username: string): Promise<UserRecord | null>;
  /**
   * By username (any case) or, failing that, email address (what Rocket.Chat's `user` login field accepts), with
   * the password hash and the login tokens: the one finder a login needs credentials from.
   */
  findUserByLogin(login: string): Promise<UserRecord | null>;
  /** The user holding this login token; `services.resume.loginTokens` holds only the matching token (its `when` decides whether it has expired). */
  findUserByHashedToken(hashedToken: string): Promise<UserRecord | null>;
  findUsersByIds(ids: readonly string[]): Promise<UserRecord[]>;
  /** The users holding any of these token hashes; each with only the matching tokens (for checking open streams in bulk). */
  findUsersByHashedTokens(hashedTokens: readonly string[]): Promise<UserRecord[]>;
  /**
   * Candidates for the present list: every user whose presence of this service expires after `now`, and every user
   * with no such expiry whose status is not offline.
   */
  findPresentCandidates(now: Date): Promise<UserRecord[]>;
  /**
   * Candidates for the changes since `since`: every user whose change stamp is at or after `since`, and every user
   * whose presence expires in [since, now].
   */
  findUsersChangedSince(since: Date, now: Date): Promise<UserRecord[]>;
  /** Every user whose document was written at or after `since` (Rocket.Chat's `_updatedAt`); [] without external writers. */
  findUsersUpdatedSince(since: Date): Promise<UserRecord[]>;
  /**
   * Where a presence write that did not touch `_updatedAt` (Rocket.Chat 6) is found: every user whose `status` or
   * `statusConnection` differs from what was last recorded (`presenceSeen`), and every user never recorded whose
   * status is online, away or busy. Through indexes on those pairs of fields, so it costs what differs, not what is
   * present. [] without external writers.
   */
  findUnrecordedRocketChatPresences(): Promise<UserRecord[]>;

  /** The users whose timed status ended at or before `now` (ids, at most `limit`, earliest first). */
  findTimedStatusesEndedBy(now: Date, limit: number): Promise<string[]>;

  /** @throws DuplicateUserError */
  createUser(user: UserRecord): Promise<void>;
  /** Removes the user's tokens with these hashes, then adds `token` and sets lastLogin. */
  addLoginToken(userId: string, token: LoginToken, lastLogin: Date, pruned: readonly string[]): Promise<void>;
  removeLoginToken(userId: string, hashedToken: string): Promise<void>;
  /**
   * Removes the user's login tokens but `keep` (a hash) and, with `keepPersonalAccessTokens`, Rocket.Chat's personal
   * access tokens. Returns the hashes removed.
   */
  removeLoginTokens(userId: string, options: { keep?: string; keepPersonalAccessTokens: boolean }): Promise<string[]>;

  /**
   * One page of users, in username order (binary, as Rocket.Chat sorts them), without credentials; and how many
   * users there are in all.
   */
  listUsers(offset: number, count: number): Promise<{ users: UserRecord[]; total: number }>;
  /** How many active users hold the `admin` role. */
  countActiveAdmins(): Promise<number>;
  /**
   * One atomic write of account fields (see AccountUpdate), applied only if the user is still at `expected`, as
   * writePresence; the revision moves on by one. Returns the written user (without credentials), or null.
   * @throws DuplicateUserError when the new username (in any letter case) or email is another user's
   */
  updateAccount(userId: string, expected: PresenceVersion, update: AccountUpdate): Promise<UserRecord | null>;
  /**
   * Removes the user with their emails, login tokens and connections, and remembers them as `removed` until its
   * `forgetAt` (records forgotten by then may go at the same time). false when there was no such user.
   */
  removeUser(removed: RemovedUser): Promise<boolean>;
  /** The users removed at or after `since` that are still remembered. */
  findUsersRemovedSince(since: Date): Promise<RemovedUser[]>;
  /**
   * One atomic write of a presence and its change stamp, applied only if the user is still at `expected` (this
   * service's revision and Rocket.Chat's presence fields); the revision then moves on by one. Returns the written
   * user, or null when no user with that id is at that version (unknown, or written by someone else since).
   */
  writePresence(userId: string, expected: PresenceVersion, write: PresenceWrite): Promise<UserRecord | null>;
  /**
   * Records presences Rocket.Chat wrote (each: its stamp, the fields seen, no expiry and no pnut string of this
   * service's), each on the same terms as writePresence (it lands only on the user at `expected`), all in one round
   * trip; `_updatedAt` is left as Rocket.Chat set it. Resolves with how many landed.
   */
  recordRocketChatChanges(changes: readonly RocketChatChange[]): Promise<number>;

  /** Saves a ticket issued at `now`, and forgets those expired by then (a ticket lives seconds, not longer). */
  saveStreamTicket(ticket: StreamTicket, now: Date): Promise<void>;
  /** Removes the ticket and returns it: a ticket can be taken once, by one instance. null when there is none. */
  takeStreamTicket(hashedTicket: string): Promise<StreamTicket | null>;

  /**
   * Counts one login attempt against `key`, shared by every instance: in the window its first attempt opened
   * (`windowMs` long), or in a new one once that has ended.
   */
  countLoginAttempt(key: string, now: Date, windowMs: number): Promise<LoginAttempts>;
  /** Takes back one attempt counted against `key` in its current window (it succeeded, or was never tried). */
  forgetLoginAttempt(key: string, now: Date): Promise<void>;

  /** Resolves when the store can serve requests; rejects otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Every port a storage adapter implements: what createApp is given. */
export type Store = PresenceStore & ConnectionStore;
