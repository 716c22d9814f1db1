import type { Database, Statement } from 'better-sqlite3';
import { DuplicateUserError, type Store } from '../../domain/ports/store';
import type { LoginAttempts } from '../../domain/ports/loginAttemptStore';
import type { ConnectionRecord, RemovalSelection, RenewalSelection } from '../../domain/ports/connections';
import type { AccountUpdate, Credentials, StreamTicket, LoginToken, PresenceRenewal, PresenceVersion, PresenceWrite, RemovedUser, RocketChatChange, TokenHolder, UserRecord } from '../../domain/ports/records';
import { foldedLogin } from '../../domain/rules/logins';
import { CommittedRecords } from './committedRecords';
import { openDataFile } from './dataFile';
import { GroupCommit, type CommitReport, type Durability } from './groupCommit';
import { AFTER_USER_COLUMNS, toLoginToken, toUserRecord, tokenParams, USER_COLUMNS, userParams, userRowOf, type RawUserRow, type TokenRow } from './userRows';
import { withFields } from '../../utils';

/** Users whose records are kept in memory (CommittedRecords): well above the present users of a large organisation. */
const MAX_KEPT_RECORDS = 20_000;
/** Connections renewed in one write (renewConnections). */
const RENEWAL_CHUNK = 500;

/**
 * What a write of users' rows answers besides its result: the users whose rows it changed, and the records of those
 * it read back whole (RETURNING). Those records are kept; the other changed users' records are dropped.
 */
interface UsersWritten<T> {
  result: T;
  changed?: readonly string[];
  written?: readonly UserRecord[];
}

/** How many statements a write runs: several run in a savepoint, so a failure undoes them all and no other write. */
type Statements = 'one' | 'several';

interface AttemptRow {
  count: number;
  reset_at: number;
}

interface ConnectionRow {
  id: string;
  user_id: string;
  hashed_token: string;
  kind: string;
  state: string;
  instance_id: string | null;
  client_renewed: number;
  expires_at: number;
  created_at: number;
}

function toConnection(row: ConnectionRow): ConnectionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    hashedToken: row.hashed_token,
    kind: row.kind as ConnectionRecord['kind'],
    state: row.state as ConnectionRecord['state'],
    instanceId: row.instance_id,
    clientRenewed: row.client_renewed === 1,
    expiresAt: new Date(row.expires_at),
    createdAt: new Date(row.created_at),
  };
}

interface RemovedUserRow {
  id: string;
  username: string;
  name: string;
  utc_offset: number;
  removed_at: number;
  forget_at: number;
}

function toRemovedUser(row: RemovedUserRow): RemovedUser {
  return { userId: row.id, username: row.username, name: row.name, utcOffset: row.utc_offset, removedAt: new Date(row.removed_at), forgetAt: new Date(row.forget_at) };
}

/** A row of `tokenHolders`: a token with its holder's id and whether the holder is active. */
interface TokenHolderRow extends TokenRow {
  user_id: string;
  active: number;
}

interface TicketRow {
  hashed_ticket: string;
  user_id: string;
  hashed_token: string;
  expires_at: number;
}

/** A write that read one user's record back: kept, and the write's result. */
function written(record: UserRecord): UsersWritten<UserRecord> {
  return { result: record, written: [record] };
}

/** The record of a raw user row (userRowOf). */
function recordOf(row: RawUserRow): UserRecord {
  return toUserRecord(userRowOf(row));
}

/** The login token read after a user's columns (USER_AND_TOKEN). */
function tokenOf(row: RawUserRow): LoginToken {
  const at = AFTER_USER_COLUMNS;
  return toLoginToken({ hashed_token: row[at] as string, issued_at: row[at + 1] as number | null, type: row[at + 2] as string | null });
}

/** A conditional write of one user's row (RETURNING): the record it wrote, or null when it matched nothing. */
function writtenOrNull(row: RawUserRow | undefined): UsersWritten<UserRecord | null> {
  return row === undefined ? { result: null } : written(recordOf(row));
}

/** The version a write was decided from, as the parameters of the WHERE clause that checks it. */
function versionParams(userId: string, expected: PresenceVersion): Record<string, string | number | null> {
  const { rocketChat } = expected;
  return {
    id: userId,
    expected_revision: expected.presenceRevision,
    expected_status: rocketChat.status,
    expected_status_text: rocketChat.statusText,
    expected_status_default: rocketChat.statusDefault,
    expected_status_connection: rocketChat.statusConnection,
  };
}

/** Only the user at the version a write was decided from: this service's revision and Rocket.Chat's presence fields. */
const AT_VERSION = `id = @id AND presence_revision = @expected_revision AND status = @expected_status AND status_text = @expected_status_text
  AND status_default IS @expected_status_default AND status_connection IS @expected_status_connection`;

export interface SqliteStoreOptions {
  /** The directory of the data file (created if missing). */
  dataDir: string;
  /** User records kept in memory at most; MAX_KEPT_RECORDS unless a test wants to reach the cap. */
  maxKeptRecords?: number;
  /** Told of every commit, before its writes are answered: whether it was fsynced (tests). */
  onCommit?: (report: CommitReport) => void;
}

/**
 * The embedded store: a SQLite file in DATA_DIR (see openDataFile), for one process, with nothing to set up.
 * Every write is committed, in the write-ahead log and fsynced, before its promise resolves: a write that was
 * answered survives a crash or a `kill -9`. Writes asked for in the same turn of the event loop share one commit
 * (GroupCommit). better-sqlite3 is synchronous: each statement runs to its end on the spot and touches only the rows
 * its index finds, so none holds the event loop for long. The password hash and the login tokens are columns and a
 * table that only the finders that need them read, so no other finder can hand them out.
 */
export class SqliteStore implements Store {
  /**
   * A write is visible the moment it is stamped: the finders of changes first commit the writes already asked for,
   * and one process stamps and asks in the same turn of the event loop.
   */
  readonly lateWriteWindowMs = 0;
  /** Nothing but this service writes here. */
  readonly externalWriters = false;
  private readonly writes: GroupCommit;
  private readonly committed: CommittedRecords;
  private readonly statements: Record<keyof typeof STATEMENTS, Statement>;

  private constructor(
    private readonly db: Database,
    /** The data file's path, for messages. */
    readonly file: string,
    options: SqliteStoreOptions,
  ) {
    this.committed = new CommittedRecords(options.maxKeptRecords ?? MAX_KEPT_RECORDS);
    this.writes = new GroupCommit(db, { onCommitFailed: () => this.committed.clear(), onCommit: options.onCommit, file });
    this.statements = prepareStatements(db);
  }

  /** @throws DataFileError naming the file when it cannot be used (see openDataFile) */
  static open(options: SqliteStoreOptions): SqliteStore {
    const { db, file } = openDataFile(options.dataDir);
    return new SqliteStore(db, file, options);
  }

  async findUserById(id: string): Promise<UserRecord | null> {
    return this.committed.get(id) ?? this.keptOrNull(this.statements.userById.get(id) as RawUserRow | undefined);
  }

  async findUserByUsername(username: string): Promise<UserRecord | null> {
    return this.keptOrNull(this.statements.userByUsernameKey.get(foldedLogin(username)) as RawUserRow | undefined);
  }

  async findUserByLogin(login: string): Promise<UserRecord | null> {
    const key = foldedLogin(login);
    const row = (this.statements.loginByUsernameKey.get(key) ?? this.statements.loginByEmail.get(key)) as RawUserRow | undefined;
    if (row === undefined) return null;
    const user = recordOf(row);
    const loginTokens = (this.statements.tokensOfUser.all(user.id) as TokenRow[]).map(toLoginToken);
    const credentials: Credentials = { loginTokens };
    const passwordHash = row[AFTER_USER_COLUMNS] as string | null;
    if (passwordHash !== null) credentials.passwordHash = passwordHash;
    user.credentials = credentials;
    return user;
  }

  async findUserByHashedToken(hashedToken: string): Promise<UserRecord | null> {
    const row = this.statements.userByToken.get(hashedToken) as RawUserRow | undefined;
    if (row === undefined) return null;
    const user = recordOf(row);
    user.credentials = { loginTokens: [tokenOf(row)] };
    return user;
  }

  async findUsersByIds(ids: readonly string[]): Promise<UserRecord[]> {
    // In id order, each once, as the port says.
    return this.recordsOf([...new Set(ids)].sort());
  }

  async findTokenHolders(hashedTokens: readonly string[]): Promise<TokenHolder[]> {
    if (hashedTokens.length === 0) return [];
    const byUser = new Map<string, TokenHolder>();
    for (const row of this.statements.tokenHolders.all(JSON.stringify(hashedTokens)) as TokenHolderRow[]) {
      const found = byUser.get(row.user_id);
      if (found === undefined) byUser.set(row.user_id, { id: row.user_id, active: row.active === 1, credentials: { loginTokens: [toLoginToken(row)] } });
      else found.credentials.loginTokens.push(toLoginToken(row));
    }
    return [...byUser.values()];
  }

  async countTokensOfActiveUsers(hashedTokens: readonly string[]): Promise<number> {
    if (hashedTokens.length === 0) return 0;
    return this.statements.countTokensOfActiveUsers.get(JSON.stringify(hashedTokens)) as number;
  }

  async findPresentCandidates(now: Date, statuses: readonly string[]): Promise<UserRecord[]> {
    await this.writes.commitQueued();
    // Not through the kept records: a large organisation's present users outnumber them, and keeping each one read
    // would only push out the others (and leave them to the garbage collector's old space) on every full list.
    const withExpiry = this.statements.presentWithExpiry.all(now.getTime()) as RawUserRow[];
    const withoutExpiry = this.statements.presentWithoutExpiry.all(JSON.stringify(statuses)) as RawUserRow[];
    return [...withExpiry, ...withoutExpiry].map(recordOf);
  }

  async findUsersChangedSince(since: Date, now: Date): Promise<UserRecord[]> {
    // Every write stamped before this read has been asked for by now: commit it, so the read sees it.
    await this.writes.commitQueued();
    return this.recordsOf(this.statements.changedSince.all({ since: since.getTime(), now: now.getTime() }) as string[]);
  }

  async findTimedStatusesEndedBy(now: Date, limit: number): Promise<string[]> {
    this.writes.flush();
    return this.statements.timedStatusesEnded.all(now.getTime(), limit) as string[];
  }

  async findUsersUpdatedSince(): Promise<UserRecord[]> {
    return [];
  }

  async findUnrecordedRocketChatPresences(): Promise<UserRecord[]> {
    return [];
  }

  createUser(user: UserRecord): Promise<void> {
    return this.writeUsers('synced', 'several', () => {
      const s = this.statements;
      if (s.userIdByUsernameKey.get(foldedLogin(user.username)) !== undefined) throw new DuplicateUserError('username');
      const addresses = [...new Set((user.emails ?? []).map((email) => foldedLogin(email.address)))];
      if (addresses.some((address) => s.userIdByEmail.get(address) !== undefined)) throw new DuplicateUserError('email');
      if (s.userById.get(user.id) !== undefined) throw new DuplicateUserError('username');
      s.insertUser.run(userParams(user));
      for (const address of addresses) s.insertEmail.run(address, user.id);
      for (const token of user.credentials?.loginTokens ?? []) s.insertToken.run(tokenParams(user.id, token));
      // Not kept until read: creating many users at once would push out every kept record.
      return { result: undefined, changed: [user.id] };
    });
  }

  addLoginToken(userId: string, token: LoginToken, lastLogin: Date, pruned: readonly string[]): Promise<void> {
    return this.writeUsers('synced', 'several', () => {
      const s = this.statements;
      if (s.setLastLogin.run({ at: lastLogin.getTime(), id: userId }).changes === 0) return { result: undefined };
      for (const hashedToken of pruned) s.deleteToken.run(hashedToken, userId);
      s.insertToken.run(tokenParams(userId, token));
      return { result: undefined, changed: [userId] };
    });
  }

  removeLoginToken(userId: string, hashedToken: string): Promise<void> {
    return this.writeOthers('synced', 'one', () => {
      this.statements.deleteToken.run(hashedToken, userId);
    });
  }

  removeLoginTokens(userId: string, options: { keep?: string; keepPersonalAccessTokens: boolean }): Promise<string[]> {
    return this.writeOthers('synced', 'one', () => this.statements.deleteTokensOfUser.all({
      user_id: userId,
      keep: options.keep ?? null,
      keep_personal: options.keepPersonalAccessTokens ? 1 : 0,
    }) as string[]);
  }

  async listUsers(offset: number, count: number): Promise<{ users: UserRecord[]; total: number }> {
    this.writes.flush();
    const users = (this.statements.usersByUsername.all(count, offset) as RawUserRow[]).map(recordOf);
    return { users, total: this.statements.countUsers.get() as number };
  }

  async countActiveAdmins(): Promise<number> {
    this.writes.flush();
    return this.statements.countActiveAdmins.get() as number;
  }

  updateAccount(userId: string, expected: PresenceVersion, update: AccountUpdate): Promise<UserRecord | null> {
    return this.writeUsers('synced', 'several', () => {
      const s = this.statements;
      if (update.username !== undefined) {
        const holder = s.userIdByUsernameKey.get(foldedLogin(update.username)) as { id: string } | undefined;
        if (holder !== undefined && holder.id !== userId) throw new DuplicateUserError('username');
      }
      const row = s.updateAccount.get({
        ...versionParams(userId, expected),
        name: update.name ?? null,
        username: update.username ?? null,
        username_key: update.username === undefined ? null : foldedLogin(update.username),
        set_emails: update.emails === undefined ? 0 : 1,
        emails: update.emails === undefined || update.emails.length === 0 ? null : JSON.stringify(update.emails),
        roles: update.roles === undefined ? null : JSON.stringify(update.roles),
        active: update.active === undefined ? null : update.active ? 1 : 0,
        password_bcrypt: update.passwordHash ?? null,
        presence_changed_at: update.presenceChangedAt?.getTime() ?? null,
        updated_at: update.updatedAt.getTime(),
      }) as RawUserRow | undefined;
      if (row === undefined) return { result: null };
      if (update.emails !== undefined) {
        s.deleteEmailsOfUser.run(userId);
        for (const address of new Set(update.emails.map((email) => foldedLogin(email.address)))) {
          if (s.userIdByEmail.get(address) !== undefined) throw new DuplicateUserError('email');
          s.insertEmail.run(address, userId);
        }
      }
      return written(recordOf(row));
    });
  }

  removeUser(removed: RemovedUser): Promise<boolean> {
    return this.writeUsers('synced', 'several', () => {
      const s = this.statements;
      if (s.deleteUser.run(removed.userId).changes === 0) return { result: false };
      s.deleteEmailsOfUser.run(removed.userId);
      s.deleteAllTokensOfUser.run(removed.userId);
      s.deleteConnectionsOfUser.run(removed.userId);
      s.forgetRemovedUsers.run(removed.removedAt.getTime());
      s.insertRemovedUser.run({
        id: removed.userId,
        username: removed.username,
        name: removed.name,
        utc_offset: removed.utcOffset,
        removed_at: removed.removedAt.getTime(),
        forget_at: removed.forgetAt.getTime(),
      });
      return { result: true, changed: [removed.userId] };
    });
  }

  async findUsersRemovedSince(since: Date): Promise<RemovedUser[]> {
    await this.writes.commitQueued();
    return (this.statements.removedSince.all(since.getTime()) as RemovedUserRow[]).map(toRemovedUser);
  }

  writePresence(userId: string, expected: PresenceVersion, write: PresenceWrite): Promise<UserRecord | null> {
    return this.writeUsers('committed', 'one', () => writtenOrNull(this.statements.writePresence.get({
      ...versionParams(userId, expected),
      status_default: write.statusDefault ?? null,
      keep_status_expiry: write.statusExpiresAt === undefined ? 1 : 0,
      status_expires_at: write.statusExpiresAt?.getTime() ?? null,
      status: write.status,
      status_text: write.statusText,
      presence_text: write.presenceText,
      presence_expires_at: write.presenceExpiresAt?.getTime() ?? null,
      last_seen_at: write.lastSeenAt?.getTime() ?? null,
      presence_changed_at: write.presenceChangedAt?.getTime() ?? null,
      presence_seen: JSON.stringify(write.presenceSeen),
      updated_at: write.updatedAt.getTime(),
    }) as RawUserRow | undefined));
  }

  renewPresence(userId: string, expected: PresenceVersion, renewal: PresenceRenewal): Promise<UserRecord | null> {
    return this.writeUsers('committed', 'one', () => {
      const presence_expires_at = renewal.presenceExpiresAt?.getTime() ?? null;
      const last_seen_at = renewal.lastSeenAt?.getTime() ?? null;
      const updated_at = renewal.updatedAt.getTime();
      if (this.statements.renewPresence.run({ ...versionParams(userId, expected), presence_expires_at, last_seen_at, updated_at }).changes === 0) return { result: null };
      // The kept record is the row as it was (CommittedRecords): the renewed one is made from it, not read back.
      const kept = this.committed.get(userId);
      if (kept === undefined) return writtenOrNull(this.statements.userById.get(userId) as RawUserRow | undefined);
      return written(withFields(kept, { presenceExpiresAt: renewal.presenceExpiresAt, lastSeenAt: renewal.lastSeenAt, updatedAt: renewal.updatedAt, presenceRevision: kept.presenceRevision + 1 }));
    });
  }

  recordRocketChatChanges(changes: readonly RocketChatChange[]): Promise<number> {
    // One that matches nothing changes nothing, and the others land; a failure undoes them all (their savepoint).
    return this.writeUsers('committed', 'several', () => {
      const records = changes.flatMap(({ userId, expected, record }) => {
        const row = this.statements.recordRocketChatChange.get({
          ...versionParams(userId, expected),
          presence_changed_at: record.presenceChangedAt?.getTime() ?? null,
          presence_seen: JSON.stringify(record.presenceSeen),
        }) as RawUserRow | undefined;
        return row === undefined ? [] : [recordOf(row)];
      });
      return { result: records.length, written: records };
    });
  }

  saveStreamTicket(ticket: StreamTicket, now: Date): Promise<void> {
    return this.writeOthers('committed', 'several', () => {
      // The tickets expired by now go through the expiry index: each ticket is deleted once, so each costs the same.
      this.statements.deleteExpiredTickets.run(now.getTime());
      this.statements.insertTicket.run({ hashed_ticket: ticket.hashedTicket, user_id: ticket.userId, hashed_token: ticket.hashedToken, expires_at: ticket.expiresAt.getTime() });
    });
  }

  takeStreamTicket(hashedTicket: string): Promise<StreamTicket | null> {
    return this.writeOthers('committed', 'one', () => {
      const row = this.statements.takeTicket.get(hashedTicket) as TicketRow | undefined;
      return row === undefined ? null : { hashedTicket: row.hashed_ticket, userId: row.user_id, hashedToken: row.hashed_token, expiresAt: new Date(row.expires_at) };
    });
  }

  countLoginAttempt(key: string, now: Date, windowMs: number, keysKept: number): Promise<LoginAttempts> {
    return this.writeOthers('committed', 'several', () => {
      const s = this.statements;
      const running = s.countInWindow.get(key, now.getTime()) as AttemptRow | undefined;
      if (running !== undefined) return { count: running.count, resetAt: new Date(running.reset_at) };
      // A new window: the ended ones go first (this key's among them), through the reset_at index.
      s.deleteEndedAttempts.run(now.getTime());
      if ((s.attemptRows.get() as number) >= keysKept) s.deleteFirstEndingAttempt.run();
      const resetAt = now.getTime() + windowMs;
      s.insertAttempts.run(key, resetAt);
      return { count: 1, resetAt: new Date(resetAt) };
    });
  }

  forgetLoginAttempt(key: string, now: Date): Promise<void> {
    return this.writeOthers('committed', 'one', () => {
      this.statements.forgetAttempt.run(key, now.getTime());
    });
  }

  putConnection(connection: ConnectionRecord): Promise<void> {
    return this.writeOthers('committed', 'one', () => {
      this.statements.putConnection.run({
        id: connection.id,
        user_id: connection.userId,
        hashed_token: connection.hashedToken,
        kind: connection.kind,
        state: connection.state,
        instance_id: connection.instanceId,
        client_renewed: connection.clientRenewed ? 1 : 0,
        expires_at: connection.expiresAt.getTime(),
        created_at: connection.createdAt.getTime(),
      });
    });
  }

  setLease(connectionId: string, expiresAt: Date): Promise<void> {
    return this.writeOthers('committed', 'one', () => {
      this.statements.setLease.run(expiresAt.getTime(), connectionId);
    });
  }

  // The connection reads see what is committed and leave queued writes to their batch: whoever asked for one
  // waits for its commit before reading on, and another caller's write in flight may land before or after a read,
  // as on MongoDB. Flushing here made every heartbeat a commit of its own instead of sharing the turn's one.
  async connectionsOfUser(userId: string): Promise<ConnectionRecord[]> {
    return (this.statements.connectionsOfUser.all(userId) as ConnectionRow[]).map(toConnection);
  }

  async connectionsOfUsers(userIds: readonly string[]): Promise<ConnectionRecord[]> {
    if (userIds.length === 0) return [];
    return (this.statements.connectionsOfUsers.all(JSON.stringify(userIds)) as ConnectionRow[]).map(toConnection);
  }

  async connectionsOfToken(hashedToken: string): Promise<ConnectionRecord[]> {
    return (this.statements.connectionsOfToken.all(hashedToken) as ConnectionRow[]).map(toConnection);
  }

  removeConnections(selection: RemovalSelection): Promise<ConnectionRecord[]> {
    return this.writeOthers('committed', 'one', () => {
      const s = this.statements;
      let rows: unknown[];
      if ('ids' in selection) rows = s.removeConnectionsByIds.all(JSON.stringify(selection.ids));
      else if ('hashedToken' in selection) rows = s.removeConnectionsOfToken.all(selection.hashedToken);
      else if ('instanceId' in selection) rows = s.removeConnectionsOfInstance.all(selection.instanceId);
      else rows = s.removeConnectionsOfUserByKind.all(selection.userId, selection.kind);
      return (rows as ConnectionRow[]).map(toConnection);
    });
  }

  /**
   * In writes of RENEWAL_CHUNK connections, each committed before the next: this store answers on the event loop,
   * and one write of the 3 000 streams (and their users) a round renews with 10 000 open held it 33–48 ms.
   */
  async renewConnections(selection: RenewalSelection, expiresAt: Date, now: Date): Promise<number> {
    let ids: readonly string[];
    if ('ids' in selection) ids = selection.ids;
    else {
      this.writes.flush();
      ids = this.statements.streamsDueForRenewal.all({ now: now.getTime(), instance_id: selection.instanceId, due_before: selection.dueBefore.getTime() }) as string[];
    }
    const params = { expires_at: expiresAt.getTime(), now: now.getTime() };
    let renewed = 0;
    for (let from = 0; from < ids.length; from += RENEWAL_CHUNK) {
      const chunk = JSON.stringify(ids.slice(from, from + RENEWAL_CHUNK));
      renewed += await this.writeUsers('committed', 'several', () => {
        const userIds = this.statements.renewConnectionsByIds.all({ ...params, ids: chunk }) as string[];
        if (userIds.length === 0) return { result: 0 };
        const pushed = this.statements.pushPresenceExpiry.all({ ...params, ids: JSON.stringify([...new Set(userIds)]) }) as string[];
        return { result: userIds.length, changed: pushed };
      });
    }
    return renewed;
  }

  async expiredConnections(now: Date, limit: number): Promise<ConnectionRecord[]> {
    this.writes.flush();
    return (this.statements.expiredConnections.all(now.getTime(), limit) as ConnectionRow[]).map(toConnection);
  }

  renewInstance(instanceId: string, expiresAt: Date): Promise<void> {
    return this.writeOthers('committed', 'one', () => {
      this.statements.renewInstance.run(instanceId, expiresAt.getTime());
    });
  }

  async deadInstances(now: Date): Promise<string[]> {
    this.writes.flush();
    return this.statements.deadInstances.all(now.getTime()) as string[];
  }

  removeInstance(instanceId: string): Promise<void> {
    return this.writeOthers('committed', 'one', () => {
      this.statements.removeInstance.run(instanceId);
    });
  }

  async ping(): Promise<void> {
    this.statements.ping.get();
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    this.writes.close();
    this.db.close();
  }

  // The helpers below are instance fields, not methods: the class's prototype holds exactly the port's methods (the
  // test of the kept records compares them), and `this` stays the store under wrappers made with Object.create.

  /**
   * The one way a write reaches the users' rows (and so the kept records stay what the file holds): in the same
   * synchronous step as its statements, the records it read back are kept, and every other changed user's record is
   * dropped. tests/storage/sqliteStore.test.ts runs every write method of the store and reads after it.
   */
  private readonly writeUsers = <T>(durability: Durability, statements: Statements, write: () => UsersWritten<T>): Promise<T> =>
    this.commit(durability, statements, () => {
      const { result, changed = [], written = [] } = write();
      for (const userId of changed) this.committed.drop(userId);
      for (const record of written) this.committed.keep(record);
      return result;
    });

  /** A write of no user's row (tickets, login attempts, connections, instances, login tokens): no record to keep or drop. */
  private readonly writeOthers = <T>(durability: Durability, statements: Statements, write: () => T): Promise<T> => this.commit(durability, statements, write);

  private readonly commit = <T>(durability: Durability, statements: Statements, write: () => T): Promise<T> =>
    statements === 'several' ? this.writes.runInSavepoint(durability, write) : this.writes.run(durability, write);

  /** The record of a row just read, kept as its user's committed record. */
  private readonly keptOrNull = (row: RawUserRow | undefined): UserRecord | null => (row === undefined ? null : this.committed.keep(recordOf(row)));

  /** The records of these users, in this order (unknown ones left out): those not kept are read in one query. */
  private readonly recordsOf = (ids: readonly string[]): UserRecord[] => {
    const records = ids.map((id) => this.committed.get(id));
    const missing = ids.filter((_, i) => records[i] === undefined);
    if (missing.length === 0) return records as UserRecord[];
    const read = new Map<string, UserRecord>();
    for (const row of this.statements.usersByIds.all(JSON.stringify(missing)) as RawUserRow[]) read.set(row[0], this.committed.keep(recordOf(row)));
    return ids.map((id, i) => records[i] ?? read.get(id)).filter((record): record is UserRecord => record !== undefined);
  };
}

const CONNECTION_COLUMNS = 'id, user_id, hashed_token, kind, state, instance_id, client_renewed, expires_at, created_at';

/** A user's columns, then his token's (tokenOf). */
const USER_AND_TOKEN = `${USER_COLUMNS.split(', ').map((column) => `u.${column}`).join(', ')}, t.hashed_token, t.issued_at, t.type`;

/** Every statement the store runs; each is served by an index of schema.ts (docs/storage.md lists them). */
export const STATEMENTS = {
  userById: `SELECT ${USER_COLUMNS} FROM users WHERE id = ?`,
  userByUsernameKey: `SELECT ${USER_COLUMNS} FROM users WHERE username_key = ?`,
  userIdByUsernameKey: 'SELECT id FROM users WHERE username_key = ?',
  userIdByEmail: 'SELECT user_id FROM user_emails WHERE address_key = ?',
  loginByUsernameKey: `SELECT ${USER_COLUMNS}, password_bcrypt FROM users WHERE username_key = ?`,
  loginByEmail: `SELECT ${USER_COLUMNS}, password_bcrypt FROM users WHERE id = (SELECT user_id FROM user_emails WHERE address_key = ?)`,
  tokensOfUser: 'SELECT hashed_token, issued_at, type FROM login_tokens WHERE user_id = ? ORDER BY rowid',
  userByToken: `SELECT ${USER_AND_TOKEN} FROM login_tokens t JOIN users u ON u.id = t.user_id WHERE t.hashed_token = ?`,
  usersByIds: `SELECT ${USER_COLUMNS} FROM users WHERE id IN (SELECT value FROM json_each(?))`,
  tokenHolders: `SELECT t.user_id, u.active, t.hashed_token, t.issued_at, t.type FROM login_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.hashed_token IN (SELECT value FROM json_each(?)) ORDER BY t.rowid`,
  // Each given hash once per time it is given (json_each's rows), through the unique index of hashes.
  countTokensOfActiveUsers: `SELECT count(*) FROM json_each(?) JOIN login_tokens t ON t.hashed_token = json_each.value
    JOIN users u ON u.id = t.user_id WHERE u.active = 1`,
  presentWithExpiry: `SELECT ${USER_COLUMNS} FROM users WHERE presence_expires_at > ?`,
  presentWithoutExpiry: `SELECT ${USER_COLUMNS} FROM users WHERE presence_expires_at IS NULL AND status IN (SELECT value FROM json_each(?))`,
  // One index per branch of the OR (SQLite's multi-index OR), each row once; ids, for the records not kept in memory.
  changedSince: `SELECT id FROM users WHERE presence_changed_at >= @since OR presence_expires_at BETWEEN @since AND @now`,
  insertUser: `INSERT INTO users (${USER_COLUMNS}, username_key, password_bcrypt) VALUES (${USER_COLUMNS.split(', ').map((column) => `@${column}`).join(', ')}, @username_key, @password_bcrypt)`,
  insertEmail: 'INSERT INTO user_emails (address_key, user_id) VALUES (?, ?)',
  insertToken: 'INSERT INTO login_tokens (hashed_token, user_id, issued_at, type) VALUES (@hashed_token, @user_id, @issued_at, @type)',
  deleteToken: 'DELETE FROM login_tokens WHERE hashed_token = ? AND user_id = ?',
  deleteTokensOfUser: `DELETE FROM login_tokens WHERE user_id = @user_id AND hashed_token IS NOT @keep
    AND NOT (@keep_personal AND type IS 'personalAccessToken') RETURNING hashed_token`,
  deleteAllTokensOfUser: 'DELETE FROM login_tokens WHERE user_id = ?',
  usersByUsername: `SELECT ${USER_COLUMNS} FROM users ORDER BY username LIMIT ? OFFSET ?`,
  countUsers: 'SELECT count(*) FROM users',
  countActiveAdmins: `SELECT count(*) FROM users WHERE active = 1 AND instr(roles, '"admin"') > 0`,
  updateAccount: `UPDATE users SET name = coalesce(@name, name), username = coalesce(@username, username),
      username_key = coalesce(@username_key, username_key), emails = iif(@set_emails, @emails, emails), roles = coalesce(@roles, roles),
      active = coalesce(@active, active), password_bcrypt = coalesce(@password_bcrypt, password_bcrypt),
      presence_changed_at = @presence_changed_at, updated_at = @updated_at, presence_revision = presence_revision + 1
    WHERE ${AT_VERSION} RETURNING ${USER_COLUMNS}`,
  deleteEmailsOfUser: 'DELETE FROM user_emails WHERE user_id = ?',
  deleteUser: 'DELETE FROM users WHERE id = ?',
  deleteConnectionsOfUser: 'DELETE FROM connections WHERE user_id = ?',
  forgetRemovedUsers: 'DELETE FROM removed_users WHERE forget_at <= ?',
  insertRemovedUser: `INSERT OR REPLACE INTO removed_users (id, username, name, utc_offset, removed_at, forget_at)
    VALUES (@id, @username, @name, @utc_offset, @removed_at, @forget_at)`,
  removedSince: 'SELECT id, username, name, utc_offset, removed_at, forget_at FROM removed_users WHERE removed_at >= ?',
  setLastLogin: 'UPDATE users SET last_login = @at, updated_at = @at WHERE id = @id',
  writePresence: `UPDATE users SET status_default = coalesce(@status_default, status_default), status_expires_at = iif(@keep_status_expiry, status_expires_at, @status_expires_at), status = @status, status_text = @status_text, presence_text = @presence_text,
      presence_expires_at = @presence_expires_at, last_seen_at = @last_seen_at, presence_changed_at = @presence_changed_at,
      presence_seen = @presence_seen, updated_at = @updated_at, presence_revision = presence_revision + 1
    WHERE ${AT_VERSION} RETURNING ${USER_COLUMNS}`,
  renewPresence: `UPDATE users SET presence_expires_at = @presence_expires_at, last_seen_at = @last_seen_at, updated_at = @updated_at,
      presence_revision = presence_revision + 1 WHERE ${AT_VERSION}`,
  recordRocketChatChange: `UPDATE users SET presence_changed_at = @presence_changed_at, presence_seen = @presence_seen,
      presence_expires_at = NULL, presence_text = NULL, presence_revision = presence_revision + 1
    WHERE ${AT_VERSION} RETURNING ${USER_COLUMNS}`,
  deleteExpiredTickets: 'DELETE FROM stream_tickets WHERE expires_at <= ?',
  insertTicket: 'INSERT INTO stream_tickets (hashed_ticket, user_id, hashed_token, expires_at) VALUES (@hashed_ticket, @user_id, @hashed_token, @expires_at)',
  takeTicket: 'DELETE FROM stream_tickets WHERE hashed_ticket = ? RETURNING hashed_ticket, user_id, hashed_token, expires_at',
  countInWindow: 'UPDATE login_attempts SET count = count + 1 WHERE key = ? AND reset_at > ? RETURNING count, reset_at',
  deleteEndedAttempts: 'DELETE FROM login_attempts WHERE reset_at <= ?',
  attemptRows: "SELECT count FROM row_counts WHERE name = 'login_attempts'",
  deleteFirstEndingAttempt: 'DELETE FROM login_attempts WHERE key = (SELECT key FROM login_attempts ORDER BY reset_at LIMIT 1)',
  insertAttempts: 'INSERT INTO login_attempts (key, count, reset_at) VALUES (?, 1, ?)',
  forgetAttempt: 'UPDATE login_attempts SET count = max(0, count - 1) WHERE key = ? AND reset_at > ?',
  putConnection: `INSERT OR REPLACE INTO connections (${CONNECTION_COLUMNS})
    VALUES (@id, @user_id, @hashed_token, @kind, @state, @instance_id, @client_renewed, @expires_at, @created_at)`,
  setLease: 'UPDATE connections SET expires_at = ? WHERE id = ?',
  connectionsOfUser: `SELECT ${CONNECTION_COLUMNS} FROM connections WHERE user_id = ?`,
  connectionsOfUsers: `SELECT ${CONNECTION_COLUMNS} FROM connections WHERE user_id IN (SELECT value FROM json_each(?))`,
  connectionsOfToken: `SELECT ${CONNECTION_COLUMNS} FROM connections WHERE hashed_token = ?`,
  removeConnectionsByIds: `DELETE FROM connections WHERE id IN (SELECT value FROM json_each(?)) RETURNING ${CONNECTION_COLUMNS}`,
  removeConnectionsOfToken: `DELETE FROM connections WHERE hashed_token = ? RETURNING ${CONNECTION_COLUMNS}`,
  removeConnectionsOfInstance: `DELETE FROM connections WHERE instance_id = ? RETURNING ${CONNECTION_COLUMNS}`,
  removeConnectionsOfUserByKind: `DELETE FROM connections WHERE user_id = ? AND kind = ? RETURNING ${CONNECTION_COLUMNS}`,
  renewConnectionsByIds: `UPDATE connections SET expires_at = @expires_at
    WHERE id IN (SELECT value FROM json_each(@ids)) AND expires_at > @now RETURNING user_id`,
  streamsDueForRenewal: `SELECT id FROM connections
    WHERE instance_id = @instance_id AND client_renewed = 0 AND expires_at > @now AND expires_at < @due_before`,
  pushPresenceExpiry: `UPDATE users SET presence_expires_at = @expires_at, presence_revision = presence_revision + 1
    WHERE id IN (SELECT value FROM json_each(@ids)) AND presence_expires_at > @now AND presence_expires_at < @expires_at RETURNING id`,
  expiredConnections: `SELECT ${CONNECTION_COLUMNS} FROM connections WHERE expires_at <= ? ORDER BY expires_at LIMIT ?`,
  renewInstance: 'INSERT INTO instances (id, expires_at) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at',
  deadInstances: 'SELECT id FROM instances WHERE expires_at <= ?',
  timedStatusesEnded: 'SELECT id FROM users WHERE status_expires_at <= ? ORDER BY status_expires_at LIMIT ?',
  removeInstance: 'DELETE FROM instances WHERE id = ?',
  ping: 'SELECT 1',
};

function startsWithUserColumns(statement: Statement): boolean {
  return statement.reader && statement.columns().slice(0, AFTER_USER_COLUMNS).map((column) => column.name).join(', ') === USER_COLUMNS;
}

/** Each statement prepared once, for the life of the connection. */
function prepareStatements(db: Database): Record<keyof typeof STATEMENTS, Statement> {
  const statements = Object.fromEntries(Object.entries(STATEMENTS).map(([name, sql]) => [name, db.prepare(sql)])) as Record<keyof typeof STATEMENTS, Statement>;
  // Every statement whose rows start with the user columns (SELECT or RETURNING) is read raw: see userRowOf.
  for (const statement of Object.values(statements)) if (startsWithUserColumns(statement)) statement.raw();
  for (const oneColumn of [statements.deleteTokensOfUser, statements.countUsers, statements.countActiveAdmins, statements.countTokensOfActiveUsers, statements.attemptRows, statements.changedSince, statements.renewConnectionsByIds, statements.streamsDueForRenewal, statements.pushPresenceExpiry, statements.deadInstances, statements.timedStatusesEnded]) oneColumn.pluck();
  return statements;
}
