import mongoose, { type Connection, type Model } from 'mongoose';
import { DuplicateUserError, type PresenceStore } from '../../domain/presenceStore';
import type { StreamTicket } from '../../domain/streamTicket';
import type { LoginToken, PresenceWrite, UserRecord } from '../../domain/userRecord';
import { streamTicketSchema, userSchema } from './schemas';

/** Reads that authenticate, list or write presence never need credentials: leave them in the database. */
const WITHOUT_CREDENTIALS = { services: 0 };

/**
 * A user with its login tokens and no password hash: an inclusion projection (it cannot be mixed with
 * `services: 0`), so every other field is named.
 */
const WITH_LOGIN_TOKENS = {
  ...Object.fromEntries(
    [
      'username', 'name', 'emails', 'utcOffset', 'active', 'roles', 'status', 'statusText', 'presenceText', 'presenceExpiresAt',
      'presenceChangedAt', 'presenceRevision', 'lastSeenAt', 'lastLogin', 'avatarETag', 'createdAt', '_updatedAt',
    ].map((field) => [field, 1]),
  ),
  'services.resume.loginTokens': 1,
};

type StoredUser = Partial<UserRecord> & Pick<UserRecord, '_id' | 'username'>;

interface StoredTicket {
  _id: string;
  userId: string;
  hashedToken: string;
  expiresAt: Date;
}

/** Fills the fields a document copied from Rocket.Chat may lack, so the domain always sees a whole record. */
function toUserRecord(doc: StoredUser | null): UserRecord | null {
  if (doc === null) return null;
  return {
    ...doc,
    name: doc.name ?? doc.username,
    utcOffset: doc.utcOffset ?? 0,
    // Rocket.Chat refuses a user not marked active; so does this service.
    active: doc.active === true,
    roles: doc.roles ?? ['user'],
    status: doc.status ?? 'offline',
    statusText: doc.statusText ?? '',
    presenceText: doc.presenceText ?? null,
    presenceExpiresAt: doc.presenceExpiresAt ?? null,
    presenceChangedAt: doc.presenceChangedAt ?? null,
    presenceRevision: doc.presenceRevision ?? 0,
    lastSeenAt: doc.lastSeenAt ?? null,
    createdAt: doc.createdAt ?? new Date(0),
    services: doc.services ?? {},
  };
}

function toUserRecords(docs: StoredUser[]): UserRecord[] {
  return docs.map((doc) => toUserRecord(doc) as UserRecord);
}

/** A Rocket.Chat user this service never wrote has no revision yet: that reads as revision 0. */
function revisionIs(revision: number): object {
  return revision === 0 ? { $in: [0, null] } : { $eq: revision };
}

export interface MongoStoreOptions {
  uri: string;
  /**
   * Every operation's time limit, sent as maxTimeMS: the server abandons an operation that runs longer, so a write
   * the caller saw time out does not land later. (The driver's own timeoutMS is ignored by the driver mongoose 9
   * ships, so the limit goes with each operation.)
   */
  operationTimeoutMs: number;
  /** How long after its stamp a write may become visible: the operation limit plus the instances' clock skew. */
  lateWriteWindowMs: number;
}

/**
 * The production store. It holds no state of its own beyond the connection, so any number of instances can share
 * one replica set (or one standalone server). Every write is one single-document update: nothing here needs a
 * session or a transaction. Values from clients are always compared with `$eq`, so none can act as an operator.
 */
export class MongoStore implements PresenceStore {
  private constructor(
    private readonly connection: Connection,
    private readonly users: Model<StoredUser>,
    private readonly tickets: Model<StoredTicket>,
    private readonly maxTimeMs: number,
    readonly lateWriteWindowMs: number,
  ) {}

  static async connect(options: MongoStoreOptions): Promise<MongoStore> {
    const connection = mongoose.createConnection(options.uri, {
      // Fail fast instead of queueing operations while disconnected; the driver reconnects by itself.
      bufferCommands: false,
      // Indexes are built once, below, and awaited: start-up fails loudly rather than serving unindexed queries.
      autoIndex: false,
      serverSelectionTimeoutMS: options.operationTimeoutMs,
    });
    await connection.asPromise();
    const users = connection.model<StoredUser>('User', userSchema);
    // Creates the missing indexes only; an index already there with the same keys and options is left as it is,
    // and none is ever dropped (syncIndexes would drop a Rocket.Chat index this schema does not declare).
    await users.createIndexes();
    const tickets = connection.model<StoredTicket>('StreamTicket', streamTicketSchema);
    await tickets.createIndexes();
    return new MongoStore(connection, users, tickets, options.operationTimeoutMs, options.lateWriteWindowMs);
  }

  async findUserById(id: string): Promise<UserRecord | null> {
    return toUserRecord(await this.users.findOne({ _id: { $eq: id } }).maxTimeMS(this.maxTimeMs).lean<StoredUser>());
  }

  async findUserByUsername(username: string): Promise<UserRecord | null> {
    return toUserRecord(await this.users.findOne({ username: { $eq: username } }).maxTimeMS(this.maxTimeMs).lean<StoredUser>());
  }

  async findUserByLogin(login: string): Promise<UserRecord | null> {
    const byUsername = await this.findUserByUsername(login);
    if (byUsername !== null) return byUsername;
    return toUserRecord(await this.users.findOne({ 'emails.address': { $eq: login.toLowerCase() } }).maxTimeMS(this.maxTimeMs).lean<StoredUser>());
  }

  async findUserByHashedToken(hashedToken: string): Promise<UserRecord | null> {
    const doc = await this.users
      .findOne({ 'services.resume.loginTokens.hashedToken': { $eq: hashedToken } }, WITH_LOGIN_TOKENS)
      .maxTimeMS(this.maxTimeMs)
      .lean<StoredUser>();
    if (doc === null) return null;
    // Only the matching token goes on: its `when` decides whether it has expired.
    const loginTokens = (doc.services?.resume?.loginTokens ?? []).filter((token) => token.hashedToken === hashedToken);
    return toUserRecord({ ...doc, services: { resume: { loginTokens } } });
  }

  async findUsersByIds(ids: readonly string[]): Promise<UserRecord[]> {
    return toUserRecords(await this.users.find({ _id: { $in: [...ids] } }, WITHOUT_CREDENTIALS).maxTimeMS(this.maxTimeMs).lean<StoredUser[]>());
  }

  async findUsersByHashedTokens(hashedTokens: readonly string[]): Promise<UserRecord[]> {
    const docs = await this.users
      .find({ 'services.resume.loginTokens.hashedToken': { $in: [...hashedTokens] } }, { username: 1, active: 1, 'services.resume.loginTokens': 1 })
      .maxTimeMS(this.maxTimeMs)
      .lean<StoredUser[]>();
    return toUserRecords(docs);
  }

  async findUsersWithPresenceAfter(now: Date): Promise<UserRecord[]> {
    return toUserRecords(await this.users.find({ presenceExpiresAt: { $gt: now } }, WITHOUT_CREDENTIALS).maxTimeMS(this.maxTimeMs).lean<StoredUser[]>());
  }

  async findUsersChangedSince(since: Date, now: Date): Promise<UserRecord[]> {
    const docs = await this.users
      .find({ $or: [{ presenceChangedAt: { $gte: since } }, { presenceExpiresAt: { $gte: since, $lte: now } }] }, WITHOUT_CREDENTIALS)
      .maxTimeMS(this.maxTimeMs)
      .lean<StoredUser[]>();
    return toUserRecords(docs);
  }

  async createUser(user: UserRecord): Promise<void> {
    try {
      await this.users.create(user);
    } catch (error) {
      if ((error as { code?: number }).code === 11000) {
        const keyPattern = (error as { keyPattern?: Record<string, unknown> }).keyPattern ?? {};
        throw new DuplicateUserError('emails.address' in keyPattern ? 'email' : 'username');
      }
      throw error;
    }
  }

  async addLoginToken(userId: string, token: LoginToken, lastLogin: Date, expiredBefore: Date): Promise<void> {
    // Two updates: MongoDB refuses $pull and $push on the same array in one.
    await this.users.updateOne(
      { _id: { $eq: userId } },
      { $pull: { 'services.resume.loginTokens': { when: { $lt: expiredBefore } } } },
      { maxTimeMS: this.maxTimeMs },
    );
    await this.users.updateOne(
      { _id: { $eq: userId } },
      { $push: { 'services.resume.loginTokens': token }, $set: { lastLogin, _updatedAt: lastLogin } },
      { maxTimeMS: this.maxTimeMs },
    );
  }

  async removeLoginToken(userId: string, hashedToken: string): Promise<void> {
    await this.users.updateOne(
      { _id: { $eq: userId } },
      { $pull: { 'services.resume.loginTokens': { hashedToken: { $eq: hashedToken } } } },
      { maxTimeMS: this.maxTimeMs },
    );
  }

  async writePresence(userId: string, expectedRevision: number, write: PresenceWrite): Promise<UserRecord | null> {
    const { updatedAt, ...presence } = write;
    const doc = await this.users
      .findOneAndUpdate(
        { _id: { $eq: userId }, presenceRevision: revisionIs(expectedRevision) },
        { $set: { ...presence, _updatedAt: updatedAt, presenceRevision: expectedRevision + 1 } },
        { returnDocument: 'after', projection: WITHOUT_CREDENTIALS },
      )
      .maxTimeMS(this.maxTimeMs)
      .lean<StoredUser>();
    return toUserRecord(doc);
  }

  async saveStreamTicket(ticket: StreamTicket, now: Date): Promise<void> {
    // The TTL monitor runs once a minute: the expired tickets go here too, through the expiresAt index, at the
    // cost of the few that expired since the last ticket, alongside the insert.
    await Promise.all([
      this.tickets.create({ _id: ticket.hashedTicket, userId: ticket.userId, hashedToken: ticket.hashedToken, expiresAt: ticket.expiresAt }),
      this.tickets.deleteMany({ expiresAt: { $lte: now } }, { maxTimeMS: this.maxTimeMs }),
    ]);
  }

  async takeStreamTicket(hashedTicket: string): Promise<StreamTicket | null> {
    const doc = await this.tickets.findOneAndDelete({ _id: { $eq: hashedTicket } }).maxTimeMS(this.maxTimeMs).lean<StoredTicket>();
    return doc === null ? null : { hashedTicket: doc._id, userId: doc.userId, hashedToken: doc.hashedToken, expiresAt: doc.expiresAt };
  }

  async ping(): Promise<void> {
    const db = this.connection.db;
    if (db === undefined) throw new Error('MongoNotConnectedError: client must be connected');
    await db.admin().ping();
  }

  async close(): Promise<void> {
    await this.connection.close();
  }
}
