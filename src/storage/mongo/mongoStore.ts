import mongoose, { type Connection, type InsertManyOptions, type Model } from 'mongoose';
import { DuplicateUserError, type Store } from '../../domain/ports/store';
import type { LoginAttempts } from '../../domain/ports/loginAttemptStore';
import type { ConnectionRecord, RemovalSelection, RenewalSelection } from '../../domain/ports/connections';
import type { AccountUpdate, StreamTicket, LoginToken, PresenceRenewal, PresenceVersion, PresenceWrite, RemovedUser, RocketChatChange, TokenHolder, UserRecord } from '../../domain/ports/records';
import { ensureIndexes } from './ensureIndexes';
import {
  LOGIN_TOKEN_FIELDS, LOGIN_TOKENS_PATH, loginTokensOf, PASSWORD_HASH_PATH, TOKEN_HOLDER_FIELDS, toTokenHolder, toUserDocument, toUserRecord, toUserRecords, UPDATED_AT_PATH, withMatchingTokens,
  WITH_LOGIN_CREDENTIALS, WITH_LOGIN_TOKENS, WITHOUT_CREDENTIALS, type UserDocument,
} from './userDocuments';
import { CASE_INSENSITIVE, connectionSchema, instanceSchema, loginAttemptSchema, removedUserSchema, streamTicketSchema, userSchema } from './schemas';

/**
 * The users whose Rocket.Chat fields differ from what was last recorded, as a few equality-and-range branches on
 * `{status, presenceSeen.status}` and `{statusConnection, presenceSeen.statusConnection, presenceSeen.status}`: each
 * is a range of one index holding exactly the differing users (a field compared with another in the same document,
 * `$expr`, would read every document). A user never recorded has no `presenceSeen` (null in the index): present,
 * he is found by the first branches; not present, by none (the last key of the second index keeps him out). The
 * statuses are the domain's (PRESENT_STATUSES, ROCKET_CHAT_CONNECTED_STATUSES).
 */
function unrecordedRocketChatPresence(statuses: { present: readonly string[]; connected: readonly string[] }): object {
  const present = [...statuses.present];
  const connected = [...statuses.connected];
  return {
    $or: [
      ...present.map((status) => ({ status, 'presenceSeen.status': { $ne: status } })),
      { status: { $nin: present }, 'presenceSeen.status': { $in: present } },
      ...connected.map((statusConnection) => ({ statusConnection, 'presenceSeen.statusConnection': { $ne: statusConnection }, 'presenceSeen.status': { $ne: null } })),
      { statusConnection: { $nin: connected }, 'presenceSeen.statusConnection': { $in: connected } },
    ],
  };
}

interface StoredTicket {
  _id: string;
  userId: string;
  hashedToken: string;
  expiresAt: Date;
}

type StoredConnection = Omit<ConnectionRecord, 'id'> & { _id: string };

function toConnection({ _id, ...rest }: StoredConnection): ConnectionRecord {
  return { id: _id, ...rest, instanceId: rest.instanceId ?? null, clientRenewed: rest.clientRenewed === true };
}

/** The documents a removal selects (values from clients compared with $eq). */
function removalFilter(selection: RemovalSelection): object {
  if ('ids' in selection) return { _id: { $in: [...selection.ids] } };
  if ('hashedToken' in selection) return { hashedToken: { $eq: selection.hashedToken } };
  if ('instanceId' in selection) return { instanceId: { $eq: selection.instanceId } };
  return { userId: { $eq: selection.userId }, kind: { $eq: selection.kind } };
}

interface StoredRemovedUser {
  _id: string;
  username: string;
  name: string;
  utcOffset: number;
  removedAt: Date;
  forgetAt: Date;
}

/** Users that have a username: every user this service lists (the unique, sparse username index serves the order). */
const LISTED = { username: { $exists: true } };

interface StoredAttempts {
  _id: string;
  count: number;
  resetAt: Date;
}

/**
 * The DuplicateUserError a duplicate-key error (11000) stands for, by the index it names; null for any other error.
 * An insert's comes as a bulk write error, with the key pattern in its write error.
 */
function duplicateUserErrorOf(error: unknown): DuplicateUserError | null {
  const { code, keyPattern, writeErrors } = error as { code?: number; keyPattern?: object; writeErrors?: { err?: { keyPattern?: object } }[] };
  if (code !== 11000) return null;
  const pattern = keyPattern ?? writeErrors?.[0]?.err?.keyPattern ?? {};
  return new DuplicateUserError('emails.address' in pattern ? 'email' : 'username');
}

/** A field the domain reads as `value`: that value, or a missing field where a missing one reads as it (toUserRecord). */
function storedAs(value: string | null, missingReadsAs: string | null): object {
  return value === missingReadsAs ? { $in: [value, null] } : { $eq: value };
}

/**
 * The user at the version a write was decided from: this service's revision (a Rocket.Chat user this service never
 * wrote has none: revision 0), and Rocket.Chat's presence fields, which Rocket.Chat changes without a revision.
 */
function atVersion(userId: string, expected: PresenceVersion): object {
  const { rocketChat } = expected;
  return {
    _id: { $eq: userId },
    presenceRevision: expected.presenceRevision === 0 ? { $in: [0, null] } : { $eq: expected.presenceRevision },
    status: storedAs(rocketChat.status, 'offline'),
    statusText: storedAs(rocketChat.statusText, ''),
    statusDefault: storedAs(rocketChat.statusDefault, null),
    statusConnection: storedAs(rocketChat.statusConnection, null),
  };
}

/** The update of a write landing on `expected`: its fields, and the revision moved on by one. */
function atNextRevision(expected: PresenceVersion, fields: object, unset: readonly string[] = []): object {
  return { $set: { ...fields, presenceRevision: expected.presenceRevision + 1 }, ...(unset.length === 0 ? {} : { $unset: Object.fromEntries(unset.map((field) => [field, 1])) }) };
}

export interface MongoStoreOptions {
  uri: string;
  /**
   * Every operation's time limit, sent as maxTimeMS: the server abandons an operation that runs longer, so a write
   * the caller saw time out does not land later. (The driver's own timeoutMS is ignored by the driver mongoose 9
   * ships, so the limit goes with each operation.)
   */
  operationTimeoutMs: number;
  /** The time limit of writes that carry a change stamp: they land this soon after their stamp, or not at all. */
  stampedWriteTimeoutMs: number;
  /** How long after its stamp a write may become visible: the stamped-write limit plus the clocks' difference. */
  lateWriteWindowMs: number;
}

/**
 * The production store. It holds no state of its own beyond the connection, so any number of instances can share
 * one replica set (or one standalone server), beside Rocket.Chat on its database if wanted. Every write is one
 * single-document update: nothing here needs a session or a transaction. Values from clients are always compared
 * with `$eq`, so none can act as an operator.
 */
export class MongoStore implements Store {
  /** Rocket.Chat may share the database and write presence itself. */
  readonly externalWriters = true;

  private constructor(
    private readonly connection: Connection,
    private readonly users: Model<UserDocument>,
    private readonly tickets: Model<StoredTicket>,
    private readonly attempts: Model<StoredAttempts>,
    private readonly connections: Model<StoredConnection>,
    private readonly instances: Model<{ _id: string; expiresAt: Date }>,
    private readonly removedUsers: Model<StoredRemovedUser>,
    private readonly options: MongoStoreOptions,
  ) {}

  get lateWriteWindowMs(): number {
    return this.options.lateWriteWindowMs;
  }

  static async connect(options: MongoStoreOptions): Promise<MongoStore> {
    const connection = mongoose.createConnection(options.uri, {
      // Fail fast instead of queueing operations while disconnected; the driver reconnects by itself.
      bufferCommands: false,
      // Indexes are built once, below, and awaited: start-up fails loudly rather than serving unindexed queries.
      autoIndex: false,
      serverSelectionTimeoutMS: options.operationTimeoutMs,
    });
    await connection.asPromise();
    const users = connection.model<UserDocument>('User', userSchema);
    const tickets = connection.model<StoredTicket>('StreamTicket', streamTicketSchema);
    const attempts = connection.model<StoredAttempts>('LoginAttempts', loginAttemptSchema);
    await ensureIndexes(users);
    await ensureIndexes(tickets);
    const connections = connection.model<StoredConnection>('PresenceConnection', connectionSchema);
    const instances = connection.model<{ _id: string; expiresAt: Date }>('PresenceInstance', instanceSchema);
    await ensureIndexes(attempts);
    await ensureIndexes(connections);
    await ensureIndexes(instances);
    const removedUsers = connection.model<StoredRemovedUser>('PresenceRemovedUser', removedUserSchema);
    await ensureIndexes(removedUsers);
    return new MongoStore(connection, users, tickets, attempts, connections, instances, removedUsers, options);
  }

  private get maxTimeMs(): number {
    return this.options.operationTimeoutMs;
  }

  /** insertMany's options: mongoose's types leave maxTimeMS out, but it hands it to the driver, which sends it. */
  private get insertOptions(): InsertManyOptions {
    return { maxTimeMS: this.maxTimeMs } as InsertManyOptions;
  }

  async findUserById(id: string): Promise<UserRecord | null> {
    return toUserRecord(await this.users.findOne({ _id: { $eq: id } }, WITHOUT_CREDENTIALS).maxTimeMS(this.maxTimeMs).lean<UserDocument>());
  }

  async findUserByUsername(username: string): Promise<UserRecord | null> {
    return toUserRecord(await this.findByUsername(username, WITHOUT_CREDENTIALS));
  }

  async findUserByLogin(login: string): Promise<UserRecord | null> {
    const byUsername = await this.findByUsername(login, WITH_LOGIN_CREDENTIALS);
    if (byUsername !== null) return toUserRecord(byUsername);
    return toUserRecord(await this.users.findOne({ 'emails.address': { $eq: login } }, WITH_LOGIN_CREDENTIALS).collation(CASE_INSENSITIVE).maxTimeMS(this.maxTimeMs).lean<UserDocument>());
  }

  async findUserByHashedToken(hashedToken: string): Promise<UserRecord | null> {
    const doc = await this.users
      .findOne({ [`${LOGIN_TOKENS_PATH}.hashedToken`]: { $eq: hashedToken } }, WITH_LOGIN_TOKENS)
      .maxTimeMS(this.maxTimeMs)
      .lean<UserDocument>();
    return doc === null ? null : withMatchingTokens(doc, new Set([hashedToken]));
  }

  async findUsersByIds(ids: readonly string[]): Promise<UserRecord[]> {
    return toUserRecords(await this.users.find({ _id: { $in: [...ids] } }, WITHOUT_CREDENTIALS).sort({ _id: 1 }).maxTimeMS(this.maxTimeMs).lean<UserDocument[]>());
  }

  async findTokenHolders(hashedTokens: readonly string[]): Promise<TokenHolder[]> {
    if (hashedTokens.length === 0) return [];
    const docs = await this.users
      .find({ [`${LOGIN_TOKENS_PATH}.hashedToken`]: { $in: [...hashedTokens] } }, TOKEN_HOLDER_FIELDS)
      .maxTimeMS(this.maxTimeMs)
      .lean<UserDocument[]>();
    const wanted = new Set(hashedTokens);
    return docs.map((doc) => toTokenHolder(doc, wanted));
  }

  // The holders' matching tokens, read as findTokenHolders reads them and counted here: the embedded store is the one
  // whose at-rest allocations this spares (issue 21's S); on MongoDB the query is the same either way.
  async countTokensOfActiveUsers(hashedTokens: readonly string[]): Promise<number> {
    const held = new Set<string>();
    for (const holder of await this.findTokenHolders(hashedTokens)) {
      if (holder.active) for (const token of holder.credentials.loginTokens) held.add(token.hashedToken);
    }
    return hashedTokens.filter((hashedToken) => held.has(hashedToken)).length;
  }

  async findPresentCandidates(now: Date, statuses: readonly string[]): Promise<UserRecord[]> {
    const docs = await this.users
      .find({ $or: [{ presenceExpiresAt: { $gt: now } }, { status: { $in: [...statuses] }, presenceExpiresAt: null }] }, WITHOUT_CREDENTIALS)
      .maxTimeMS(this.maxTimeMs)
      .lean<UserDocument[]>();
    return toUserRecords(docs);
  }

  async findUsersChangedSince(since: Date, now: Date): Promise<UserRecord[]> {
    const docs = await this.users
      .find({ $or: [{ presenceChangedAt: { $gte: since } }, { presenceExpiresAt: { $gte: since, $lte: now } }] }, WITHOUT_CREDENTIALS)
      .maxTimeMS(this.maxTimeMs)
      .lean<UserDocument[]>();
    return toUserRecords(docs);
  }

  async findTimedStatusesEndedBy(now: Date, limit: number): Promise<string[]> {
    const docs = await this.users.find({ statusExpiresAt: { $lte: now } }, { _id: 1 }).sort({ statusExpiresAt: 1 }).limit(limit).maxTimeMS(this.maxTimeMs).lean<{ _id: string }[]>();
    return docs.map((doc) => doc._id);
  }

  async findUsersUpdatedSince(since: Date): Promise<UserRecord[]> {
    return toUserRecords(await this.users.find({ [UPDATED_AT_PATH]: { $gte: since } }, WITHOUT_CREDENTIALS).maxTimeMS(this.maxTimeMs).lean<UserDocument[]>());
  }

  async findUnrecordedRocketChatPresences(statuses: { present: readonly string[]; connected: readonly string[] }): Promise<UserRecord[]> {
    return toUserRecords(await this.users.find(unrecordedRocketChatPresence(statuses), WITHOUT_CREDENTIALS).maxTimeMS(this.maxTimeMs).lean<UserDocument[]>());
  }

  async createUser(user: UserRecord): Promise<void> {
    // Where Rocket.Chat's own case-insensitive index (not unique) stands in for this service's, this is the check.
    if ((await this.findByUsername(user.username, { _id: 1 })) !== null) throw new DuplicateUserError('username');
    // Addresses are unique regardless of case, as the embedded store keeps them; the unique index compares them as written.
    const addresses = (user.emails ?? []).map((email) => email.address);
    if (addresses.length > 0 && (await this.users.findOne({ 'emails.address': { $in: addresses } }, { _id: 1 }).collation(CASE_INSENSITIVE).maxTimeMS(this.maxTimeMs).lean()) !== null) {
      throw new DuplicateUserError('email');
    }
    try {
      // insertMany, not create: save() does not pass maxTimeMS on.
      await this.users.insertMany([toUserDocument(user)], this.insertOptions);
    } catch (error) {
      throw duplicateUserErrorOf(error) ?? error;
    }
  }

  async addLoginToken(userId: string, token: LoginToken, lastLogin: Date, pruned: readonly string[]): Promise<void> {
    // One atomic update: a pipeline keeps the tokens not pruned and appends the new one ($pull and $push of the
    // same array in one update document are a conflict in MongoDB). Values go in as $literal, so none is read as
    // a field path or an operator; "not in" is `$eq: [$in, false]` (the emulator's $not is wrong).
    const loginTokens = { $ifNull: [`$${LOGIN_TOKENS_PATH}`, []] };
    const kept = { $filter: { input: loginTokens, as: 'token', cond: { $eq: [{ $in: ['$$token.hashedToken', { $literal: [...pruned] }] }, false] } } };
    await this.users.updateOne(
      { _id: { $eq: userId } },
      [{ $set: { [LOGIN_TOKENS_PATH]: { $concatArrays: [kept, { $literal: [token] }] }, lastLogin: { $literal: lastLogin }, [UPDATED_AT_PATH]: { $literal: lastLogin } } }],
      { updatePipeline: true, maxTimeMS: this.maxTimeMs },
    );
  }

  async removeLoginToken(userId: string, hashedToken: string): Promise<void> {
    await this.users.updateOne(
      { _id: { $eq: userId } },
      { $pull: { [LOGIN_TOKENS_PATH]: { hashedToken: { $eq: hashedToken } } } },
      { maxTimeMS: this.maxTimeMs },
    );
  }

  async removeLoginTokens(userId: string, options: { keep?: string; keepPersonalAccessTokens: boolean }): Promise<string[]> {
    const doc = await this.users.findOne({ _id: { $eq: userId } }, LOGIN_TOKEN_FIELDS).maxTimeMS(this.maxTimeMs).lean<UserDocument>();
    const removed = loginTokensOf(doc)
      .filter((token) => token.hashedToken !== options.keep && !(options.keepPersonalAccessTokens && token.type === 'personalAccessToken'))
      .map((token) => token.hashedToken);
    if (removed.length === 0) return [];
    // By hash: a token added since the read (a login after a password change) stays.
    await this.users.updateOne(
      { _id: { $eq: userId } },
      { $pull: { [LOGIN_TOKENS_PATH]: { hashedToken: { $in: removed } } } },
      { maxTimeMS: this.maxTimeMs },
    );
    return removed;
  }

  async listUsers(offset: number, count: number): Promise<{ users: UserRecord[]; total: number }> {
    const [docs, total] = await Promise.all([
      this.users.find(LISTED, WITHOUT_CREDENTIALS).sort({ username: 1 }).skip(offset).limit(count).maxTimeMS(this.maxTimeMs).lean<UserDocument[]>(),
      this.users.countDocuments(LISTED, { maxTimeMS: this.maxTimeMs }),
    ]);
    return { users: toUserRecords(docs), total };
  }

  async countActiveAdmins(): Promise<number> {
    return this.users.countDocuments({ roles: { $eq: 'admin' }, active: { $eq: true } }, { maxTimeMS: this.maxTimeMs });
  }

  async updateAccount(userId: string, expected: PresenceVersion, update: AccountUpdate): Promise<UserRecord | null> {
    if (update.username !== undefined) {
      const holder = await this.findByUsername(update.username, { _id: 1 });
      if (holder !== null && holder._id !== userId) throw new DuplicateUserError('username');
    }
    const { passwordHash, presenceChangedAt, updatedAt, emails, ...fields } = update;
    const set: Record<string, unknown> = { ...fields, presenceChangedAt, [UPDATED_AT_PATH]: updatedAt, presenceRevision: expected.presenceRevision + 1 };
    if (passwordHash !== undefined) set[PASSWORD_HASH_PATH] = passwordHash;
    // No email is no field, as a record read from either store has it.
    const unset = emails !== undefined && emails.length === 0 ? { $unset: { emails: 1 } } : {};
    if (emails !== undefined && emails.length > 0) {
      // Kept as written and unique regardless of case, as createUser keeps them.
      const addresses = emails.map((email) => email.address);
      const holder = await this.users.findOne({ 'emails.address': { $in: addresses }, _id: { $ne: userId } }, { _id: 1 }).collation(CASE_INSENSITIVE).maxTimeMS(this.maxTimeMs).lean();
      if (holder !== null) throw new DuplicateUserError('email');
      set.emails = emails.map((email) => ({ address: email.address, verified: email.verified }));
    }
    try {
      const doc = await this.users
        .findOneAndUpdate(atVersion(userId, expected), { $set: set, ...unset }, { returnDocument: 'after', projection: WITHOUT_CREDENTIALS })
        .maxTimeMS(this.options.stampedWriteTimeoutMs)
        .lean<UserDocument>();
      return toUserRecord(doc);
    } catch (error) {
      throw duplicateUserErrorOf(error) ?? error;
    }
  }

  async removeUser(removed: RemovedUser): Promise<boolean> {
    // Remembered first, within the stamped-write limit: a reader never finds the user gone without finding the
    // removal. (A user gone between the check and the delete was removed by another instance meanwhile, whose
    // record this one replaces.)
    const { userId, ...record } = removed;
    if ((await this.users.exists({ _id: { $eq: userId } }).maxTimeMS(this.maxTimeMs)) === null) return false;
    await Promise.all([
      this.removedUsers.replaceOne({ _id: userId }, record, { upsert: true, maxTimeMS: this.options.stampedWriteTimeoutMs }),
      this.removedUsers.deleteMany({ forgetAt: { $lte: removed.removedAt } }, { maxTimeMS: this.maxTimeMs }),
    ]);
    const { deletedCount } = await this.users.deleteOne({ _id: { $eq: userId } }, { maxTimeMS: this.maxTimeMs });
    if (deletedCount === 0) return false;
    await this.connections.deleteMany({ userId: { $eq: userId } }, { maxTimeMS: this.maxTimeMs });
    return true;
  }

  async findUsersRemovedSince(since: Date): Promise<RemovedUser[]> {
    const docs = await this.removedUsers.find({ removedAt: { $gte: since } }).maxTimeMS(this.maxTimeMs).lean<StoredRemovedUser[]>();
    return docs.map(({ _id, ...rest }) => ({ userId: _id, ...rest }));
  }

  async writePresence(userId: string, expected: PresenceVersion, write: PresenceWrite): Promise<UserRecord | null> {
    const { updatedAt, statusDefault, statusExpiresAt, ...presence } = write;
    const set = { ...presence, ...(statusDefault === undefined ? {} : { statusDefault }), ...(statusExpiresAt instanceof Date ? { statusExpiresAt } : {}), [UPDATED_AT_PATH]: updatedAt };
    // No timed status is no field, as a record read from either store has it.
    return this.updateAtVersion(userId, expected, set, statusExpiresAt === null ? ['statusExpiresAt'] : []);
  }

  async renewPresence(userId: string, expected: PresenceVersion, renewal: PresenceRenewal): Promise<UserRecord | null> {
    const { updatedAt, ...presence } = renewal;
    return this.updateAtVersion(userId, expected, { ...presence, [UPDATED_AT_PATH]: updatedAt });
  }

  async recordRocketChatChanges(changes: readonly RocketChatChange[]): Promise<number> {
    if (changes.length === 0) return 0;
    // One command for all: unordered, so a record that matches nothing (another instance recorded it first) stops
    // none of the others.
    const result = await this.users.bulkWrite(
      changes.map(({ userId, expected, record }) => ({
        updateOne: { filter: atVersion(userId, expected), update: atNextRevision(expected, { ...record, presenceExpiresAt: null, presenceText: null }) },
      })),
      { ordered: false, maxTimeMS: this.options.stampedWriteTimeoutMs },
    );
    return result.modifiedCount;
  }

  async saveStreamTicket(ticket: StreamTicket, now: Date): Promise<void> {
    // The TTL monitor runs once a minute: the expired tickets go here too, through the expiresAt index, at the
    // cost of the few that expired since the last ticket, alongside the insert.
    await Promise.all([
      this.tickets.insertMany([{ _id: ticket.hashedTicket, userId: ticket.userId, hashedToken: ticket.hashedToken, expiresAt: ticket.expiresAt }], this.insertOptions),
      this.tickets.deleteMany({ expiresAt: { $lte: now } }, { maxTimeMS: this.maxTimeMs }),
    ]);
  }

  async takeStreamTicket(hashedTicket: string): Promise<StreamTicket | null> {
    const doc = await this.tickets.findOneAndDelete({ _id: { $eq: hashedTicket } }).maxTimeMS(this.maxTimeMs).lean<StoredTicket>();
    return doc === null ? null : { hashedTicket: doc._id, userId: doc.userId, hashedToken: doc.hashedToken, expiresAt: doc.expiresAt };
  }

  async countLoginAttempt(key: string, now: Date, windowMs: number, keysKept: number): Promise<LoginAttempts> {
    for (;;) {
      const running = await this.attempts
        .findOneAndUpdate({ _id: key, resetAt: { $gt: now } }, { $inc: { count: 1 } }, { returnDocument: 'after' })
        .maxTimeMS(this.maxTimeMs)
        .lean<StoredAttempts>();
      if (running !== null) return { count: running.count, resetAt: running.resetAt };
      // A new window: the ended ones go first (this key's among them; the TTL monitor is a minute late), then, at the
      // cap, the one whose window ends first; all through the resetAt index, as the embedded store does.
      await this.attempts.deleteMany({ resetAt: { $lte: now } }, { maxTimeMS: this.maxTimeMs });
      if ((await this.attempts.estimatedDocumentCount().maxTimeMS(this.maxTimeMs)) >= keysKept) {
        await this.attempts.findOneAndDelete({}, { sort: { resetAt: 1 } }).maxTimeMS(this.maxTimeMs);
      }
      try {
        // No window running: open one (or reopen the ended one). Another instance doing the same at once makes
        // this upsert a duplicate: then count in the window it opened.
        const opened = await this.attempts
          .findOneAndUpdate({ _id: key, resetAt: { $lte: now } }, { $set: { count: 1, resetAt: new Date(now.getTime() + windowMs) } }, { upsert: true, returnDocument: 'after' })
          .maxTimeMS(this.maxTimeMs)
          .lean<StoredAttempts>();
        const { count, resetAt } = opened as StoredAttempts;
        return { count, resetAt };
      } catch (error) {
        if ((error as { code?: number }).code !== 11000) throw error;
      }
    }
  }

  async forgetLoginAttempt(key: string, now: Date): Promise<void> {
    await this.attempts.updateOne({ _id: key, resetAt: { $gt: now }, count: { $gt: 0 } }, { $inc: { count: -1 } }, { maxTimeMS: this.maxTimeMs });
  }

  async putConnection(connection: ConnectionRecord): Promise<void> {
    const { id, ...fields } = connection;
    // A plain equality (the id is this service's, never a client's): an upsert takes the new document's _id from it.
    await this.connections.replaceOne({ _id: id }, fields, { upsert: true, maxTimeMS: this.maxTimeMs });
  }

  async setLease(connectionId: string, expiresAt: Date): Promise<void> {
    await this.connections.updateOne({ _id: { $eq: connectionId } }, { $set: { expiresAt } }, { maxTimeMS: this.maxTimeMs });
  }

  async connectionsOfUser(userId: string): Promise<ConnectionRecord[]> {
    return (await this.connections.find({ userId: { $eq: userId } }).maxTimeMS(this.maxTimeMs).lean<StoredConnection[]>()).map(toConnection);
  }

  async connectionsOfUsers(userIds: readonly string[]): Promise<ConnectionRecord[]> {
    if (userIds.length === 0) return [];
    return (await this.connections.find({ userId: { $in: [...userIds] } }).maxTimeMS(this.maxTimeMs).lean<StoredConnection[]>()).map(toConnection);
  }

  async connectionsOfToken(hashedToken: string): Promise<ConnectionRecord[]> {
    return (await this.connections.find({ hashedToken: { $eq: hashedToken } }).maxTimeMS(this.maxTimeMs).lean<StoredConnection[]>()).map(toConnection);
  }

  async removeConnections(selection: RemovalSelection): Promise<ConnectionRecord[]> {
    // Found, then removed by id: another instance may add a connection of the same token meanwhile, and keeps it.
    const found = (await this.connections.find(removalFilter(selection)).maxTimeMS(this.maxTimeMs).lean<StoredConnection[]>()).map(toConnection);
    if (found.length > 0) await this.connections.deleteMany({ _id: { $in: found.map((connection) => connection.id) } }, { maxTimeMS: this.maxTimeMs });
    return found;
  }

  async renewConnections(selection: RenewalSelection, expiresAt: Date, now: Date): Promise<number> {
    const live = { expiresAt: { $gt: now } };
    const filter = 'ids' in selection
      ? { _id: { $in: [...selection.ids] }, ...live }
      : { instanceId: { $eq: selection.instanceId }, clientRenewed: false, expiresAt: { $gt: now, $lt: selection.dueBefore } };
    const renewed = await this.connections.find(filter, { userId: 1 }).maxTimeMS(this.maxTimeMs).lean<{ _id: string; userId: string }[]>();
    if (renewed.length === 0) return 0;
    await this.connections.updateMany({ _id: { $in: renewed.map((connection) => connection._id) }, ...live }, { $set: { expiresAt } }, { maxTimeMS: this.maxTimeMs });
    const userIds = [...new Set(renewed.map((connection) => connection.userId))];
    // The revision moves with the expiry: a presence write decided from the leases read before is refused and decided again.
    await this.users.updateMany({ _id: { $in: userIds }, presenceExpiresAt: { $gt: now, $lt: expiresAt } }, { $set: { presenceExpiresAt: expiresAt }, $inc: { presenceRevision: 1 } }, { maxTimeMS: this.maxTimeMs });
    return renewed.length;
  }

  async expiredConnections(now: Date, limit: number): Promise<ConnectionRecord[]> {
    const docs = await this.connections.find({ expiresAt: { $lte: now } }).sort({ expiresAt: 1 }).limit(limit).maxTimeMS(this.maxTimeMs).lean<StoredConnection[]>();
    return docs.map(toConnection);
  }

  async renewInstance(instanceId: string, expiresAt: Date): Promise<void> {
    await this.instances.updateOne({ _id: instanceId }, { $set: { expiresAt } }, { upsert: true, maxTimeMS: this.maxTimeMs });
  }

  async deadInstances(now: Date): Promise<string[]> {
    return (await this.instances.find({ expiresAt: { $lte: now } }, { _id: 1 }).maxTimeMS(this.maxTimeMs).lean<{ _id: string }[]>()).map((doc) => doc._id);
  }

  async removeInstance(instanceId: string): Promise<void> {
    await this.instances.deleteOne({ _id: { $eq: instanceId } }, { maxTimeMS: this.maxTimeMs });
  }

  async ping(): Promise<void> {
    const db = this.connection.db;
    if (db === undefined) throw new Error('MongoNotConnectedError: client must be connected');
    await db.admin().ping();
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  /** By username in any letter case, through the case-insensitive index (this service's or Rocket.Chat's). */
  private findByUsername(username: string, projection: object): Promise<UserDocument | null> {
    return this.users.findOne({ username: { $eq: username } }, projection).collation(CASE_INSENSITIVE).maxTimeMS(this.maxTimeMs).lean<UserDocument>().exec();
  }

  private async updateAtVersion(userId: string, expected: PresenceVersion, fields: object, unset: readonly string[] = []): Promise<UserRecord | null> {
    const update = atNextRevision(expected, fields, unset);
    const doc = await this.users
      .findOneAndUpdate(atVersion(userId, expected), update, { returnDocument: 'after', projection: WITHOUT_CREDENTIALS })
      .maxTimeMS(this.options.stampedWriteTimeoutMs)
      .lean<UserDocument>();
    return toUserRecord(doc);
  }
}
