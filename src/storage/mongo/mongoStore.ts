import mongoose, { type Connection, type Model } from 'mongoose';
import { DuplicateUserError, type ChangeTest, type PresenceStore } from '../presenceStore';
import type { LoginToken, PresenceUpdate, UserRecord } from '../userRecord';
import { presenceChangeSchema, userSchema } from './schemas';

interface PresenceChange {
  userId: string;
  at: Date;
}

/** Reads that authenticate, list or write presence never need credentials: leave them in the database. */
const WITHOUT_CREDENTIALS = { services: 0 };

/**
 * A user with only the login token the query matched (`$` projects the matched array element). A positional
 * projection is an inclusion, which cannot be mixed with `services: 0`, so every other field is named.
 */
const WITH_MATCHED_TOKEN_ONLY = {
  ...Object.fromEntries(
    ['username', 'name', 'emails', 'utcOffset', 'active', 'roles', 'status', 'statusText', 'presenceText', 'presenceExpiresAt', 'lastSeenAt', 'lastLogin', 'avatarETag', 'createdAt']
      .map((field) => [field, 1]),
  ),
  'services.resume.loginTokens.$': 1,
};

/**
 * The change log's TTL follows DELTA_WINDOW_SECONDS and DELTA_OVERLAP_SECONDS. When they change, the existing TTL
 * index is altered in place (createIndexes alone would refuse with IndexOptionsConflict).
 */
async function createChangeIndexes(connection: Connection, changes: Model<PresenceChange>, retentionSeconds: number): Promise<void> {
  try {
    await changes.createIndexes();
  } catch (error) {
    if ((error as { code?: number }).code !== 85) throw error;
    await connection.db?.command({
      collMod: changes.collection.collectionName,
      index: { keyPattern: { at: 1 }, expireAfterSeconds: retentionSeconds },
    });
  }
}

type StoredUser = Partial<UserRecord> & Pick<UserRecord, '_id' | 'username'>;

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
    lastSeenAt: doc.lastSeenAt ?? null,
    createdAt: doc.createdAt ?? new Date(0),
    services: doc.services ?? {},
  };
}

export interface MongoStoreOptions {
  uri: string;
  /** How long a change is kept: the delta window plus its overlap, with a margin. */
  changeRetentionSeconds: number;
  /** How long the driver looks for a server before an operation fails (kept at the store timeout). */
  serverSelectionTimeoutMs: number;
}

/**
 * The production store. It holds no state of its own beyond the connection, so any number of instances can share
 * one replica set. Values from clients are always compared with `$eq`, so none can act as an operator.
 */
export class MongoStore implements PresenceStore {
  private constructor(
    private readonly connection: Connection,
    private readonly users: Model<StoredUser>,
    private readonly changes: Model<PresenceChange>,
  ) {}

  static async connect(options: MongoStoreOptions): Promise<MongoStore> {
    const connection = mongoose.createConnection(options.uri, {
      // Fail fast instead of queueing operations while disconnected; the driver reconnects by itself.
      bufferCommands: false,
      // Indexes are built once, below, and awaited: start-up fails loudly rather than serving unindexed queries.
      autoIndex: false,
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMs,
    });
    await connection.asPromise();
    const users = connection.model<StoredUser>('User', userSchema);
    const changes = connection.model<PresenceChange>('PresenceChange', presenceChangeSchema(options.changeRetentionSeconds));
    await users.createIndexes();
    await createChangeIndexes(connection, changes, options.changeRetentionSeconds);
    return new MongoStore(connection, users, changes);
  }

  async findUserById(id: string): Promise<UserRecord | null> {
    return toUserRecord(await this.users.findOne({ _id: { $eq: id } }).lean<StoredUser>());
  }

  async findUserByUsername(username: string): Promise<UserRecord | null> {
    return toUserRecord(await this.users.findOne({ username: { $eq: username } }).lean<StoredUser>());
  }

  async findUserByLogin(login: string): Promise<UserRecord | null> {
    const byUsername = await this.findUserByUsername(login);
    if (byUsername !== null) return byUsername;
    return toUserRecord(await this.users.findOne({ 'emails.address': { $eq: login.toLowerCase() } }).lean<StoredUser>());
  }

  async findUserByHashedToken(hashedToken: string): Promise<UserRecord | null> {
    const doc = await this.users
      .findOne({ 'services.resume.loginTokens.hashedToken': { $eq: hashedToken } }, WITH_MATCHED_TOKEN_ONLY)
      .lean<StoredUser>();
    return toUserRecord(doc);
  }

  async findUsersByIds(ids: readonly string[]): Promise<UserRecord[]> {
    const docs = await this.users.find({ _id: { $in: [...ids] } }, WITHOUT_CREDENTIALS).lean<StoredUser[]>();
    return docs.map((doc) => toUserRecord(doc) as UserRecord);
  }

  async findPresentUsers(now: Date): Promise<UserRecord[]> {
    const docs = await this.users.find({ presenceExpiresAt: { $gt: now }, status: { $ne: 'offline' } }, WITHOUT_CREDENTIALS).lean<StoredUser[]>();
    return docs.map((doc) => toUserRecord(doc) as UserRecord);
  }

  async findUserIdsChangedSince(since: Date, now: Date): Promise<string[]> {
    const [changed, expired] = await Promise.all([
      this.changes.distinct('userId', { at: { $gt: since } }),
      this.users.find({ presenceExpiresAt: { $gt: since, $lte: now } }, { _id: 1 }).lean<{ _id: string }[]>(),
    ]);
    return [...new Set([...(changed as string[]), ...expired.map((doc) => doc._id)])];
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
    );
    await this.users.updateOne(
      { _id: { $eq: userId } },
      { $push: { 'services.resume.loginTokens': token }, $set: { lastLogin } },
    );
  }

  async removeLoginToken(userId: string, hashedToken: string): Promise<void> {
    await this.users.updateOne(
      { _id: { $eq: userId } },
      { $pull: { 'services.resume.loginTokens': { hashedToken: { $eq: hashedToken } } } },
    );
  }

  async updatePresence(userId: string, update: PresenceUpdate, at: Date, isChange: ChangeTest): Promise<UserRecord | null> {
    const before = toUserRecord(
      await this.users
        .findOneAndUpdate({ _id: { $eq: userId } }, { $set: update }, { returnDocument: 'before', projection: WITHOUT_CREDENTIALS })
        .lean<StoredUser>(),
    );
    if (before === null) return null;
    const after: UserRecord = { ...before, ...update };
    // Written after the user: a reader that sees this change also sees the new status; one that reads between the
    // two writes sees the new status without the change and catches the change through the delta overlap. The
    // change is tried twice, since a retry of the whole call would find nothing left to change and log nothing.
    if (isChange(before, after)) {
      await this.changes.create({ userId, at }).catch(() => this.changes.create({ userId, at }));
    }
    return after;
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
