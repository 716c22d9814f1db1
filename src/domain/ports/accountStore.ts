import type { AccountUpdate, LoginToken, PresenceVersion, RemovedUser, TokenHolder, UserRecord } from './records';

/**
 * Users found by who they are: what every service reads a user by before deciding anything about him (an account
 * change, a presence write, a poll by ids). Every finder here returns records without `credentials`.
 */
export interface UserDirectory {
  findUserById(id: string): Promise<UserRecord | null>;
  /** Usernames are unique regardless of letter case, and found in any case. */
  findUserByUsername(username: string): Promise<UserRecord | null>;
  /**
   * The users with these ids, each once, in id order (binary: what MongoDB's `_id` index and SQLite's primary key
   * give), unknown ids left out.
   */
  findUsersByIds(ids: readonly string[]): Promise<UserRecord[]>;
}

/**
 * Accounts and their credentials: creating, listing, changing and removing users, and their login tokens.
 * Credentials never leave a finder that does not need them: findUserByLogin returns the password hash and the token
 * list (for a login), the token look-ups only the matching tokens; every other finder none.
 * tests/storage/accountStore.contract.test.ts holds both stores to the same answers.
 */
export interface AccountStore extends UserDirectory {
  /**
   * By username (any case) or, failing that, email address (any case; what Rocket.Chat's `user` login field
   * accepts), with the password hash and the login tokens: the one finder a login needs credentials from.
   */
  findUserByLogin(login: string): Promise<UserRecord | null>;
  /** The user holding this login token; `credentials.loginTokens` holds only the matching token (its `when` decides whether it has expired). */
  findUserByHashedToken(hashedToken: string): Promise<UserRecord | null>;
  /**
   * The holders of any of these token hashes, each once, with only the matching tokens in the order they were
   * added: checking every open stream's token in bulk reads no more of the users than that check needs.
   */
  findTokenHolders(hashedTokens: readonly string[]): Promise<TokenHolder[]>;
  /**
   * How many of these token hashes an active user holds, a hash given twice counted twice: the check of open streams'
   * tokens, when their lifetimes are known, needs no more than that.
   */
  countTokensOfActiveUsers(hashedTokens: readonly string[]): Promise<number>;

  /** @throws DuplicateUserError */
  createUser(user: UserRecord): Promise<void>;
  /** In one atomic write: removes the user's tokens with these hashes, adds `token` and sets lastLogin. */
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
   * PresenceStore.writePresence; the revision moves on by one. Returns the written user (without credentials), or null.
   * @throws DuplicateUserError when the new username (in any letter case) or email is another user's
   */
  updateAccount(userId: string, expected: PresenceVersion, update: AccountUpdate): Promise<UserRecord | null>;
  /**
   * Removes the user with their emails, login tokens and connections (their presence goes with them), and
   * remembers them as `removed` until its `forgetAt` (records forgotten by then may go at the same time), for
   * PresenceStore.findUsersRemovedSince. false when there was no such user.
   */
  removeUser(removed: RemovedUser): Promise<boolean>;
}
