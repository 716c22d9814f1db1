import { randomBytes } from 'node:crypto';
import { MongoClient, MongoServerError, type Db } from 'mongodb';
import { mongoTestKind, mongoTestUri } from '../mongoTestUri';

/**
 * What the stores ask of MongoDB, checked against whichever server the run found. On the emulator this is its own
 * test; against a real mongod (MONGODB_URI in GitHub CI) it proves these expectations are mongod's behaviour.
 */
const uri = mongoTestUri();
const describeWithMongo = uri === undefined ? describe.skip : describe;
const describeOnEmulator = mongoTestKind() === 'emulator' ? describe : describe.skip;

let client: MongoClient;
let db: Db;

beforeAll(async () => {
  if (uri === undefined) return;
  // timeoutMS makes the driver send maxTimeMS with every command, as the app's options do.
  client = await MongoClient.connect(uri, { timeoutMS: 5000, serverSelectionTimeoutMS: 5000 });
  db = client.db(`emulator_test_${randomBytes(6).toString('hex')}`);
});

afterAll(async () => {
  if (uri === undefined) return;
  await db.dropDatabase();
  await client.close();
});

const at = (iso: string) => new Date(`2026-01-15T${iso}Z`);

describeWithMongo('MongoDB behaviours the stores rely on (mongo server)', () => {
  test('findOneAndUpdate on an id and a revision applies $set and $inc, and finds nothing at a stale revision', async () => {
    const users = db.collection<{ _id: string; status?: string; presenceRevision: number; services?: object }>('revisions');
    await users.insertOne({ _id: 'u1', presenceRevision: 1, services: { secret: 'x' } });
    const filter = { _id: { $eq: 'u1' }, presenceRevision: { $eq: 1 } };
    const update = { $set: { status: 'away' }, $inc: { presenceRevision: 1 } };
    const after = await users.findOneAndUpdate(filter, update, { returnDocument: 'after', projection: { services: 0 }, maxTimeMS: 1000 });
    expect(after).toEqual({ _id: 'u1', status: 'away', presenceRevision: 2 });
    expect(await users.findOneAndUpdate(filter, update)).toBeNull();
    const before = await users.findOneAndUpdate({ _id: { $eq: 'u1' } }, { $set: { status: 'busy' } }, { returnDocument: 'before' });
    expect(before?.status).toBe('away');
  });

  test('find with an $or of date ranges, sorted and limited, returns dates to the millisecond', async () => {
    const expiries = db.collection<{ _id: number; expiresAt: Date }>('expiries');
    await expiries.insertMany([1, 2, 3, 4, 5].map((n) => ({ _id: n, expiresAt: at(`12:00:0${n}.12${n}`) })));
    const found = await expiries
      .find({ $or: [{ expiresAt: { $gt: at('12:00:01.121'), $lte: at('12:00:02.122') } }, { expiresAt: { $gte: at('12:00:04.124') } }] })
      .sort({ expiresAt: -1 })
      .limit(2)
      .toArray();
    expect(found).toEqual([
      { _id: 5, expiresAt: at('12:00:05.125') },
      { _id: 4, expiresAt: at('12:00:04.124') },
    ]);
    expect(await expiries.find({}, { projection: { _id: 1 } }).sort({ _id: 1 }).skip(1).limit(2).toArray()).toEqual([{ _id: 2 }, { _id: 3 }]);
  });

  test('$pull removes array entries by an $eq condition and by a date range', async () => {
    const tokens = db.collection<{ _id: string; loginTokens: { when: Date; hashedToken: string }[] }>('tokens');
    const loginTokens = [
      { when: at('10:00:00.000'), hashedToken: 'old' },
      { when: at('11:00:00.000'), hashedToken: 'gone' },
      { when: at('12:00:00.000'), hashedToken: 'kept' },
    ];
    await tokens.insertOne({ _id: 'u1', loginTokens });
    await tokens.updateOne({ _id: { $eq: 'u1' } }, { $pull: { loginTokens: { hashedToken: { $eq: 'gone' } } } });
    await tokens.updateOne({ _id: { $eq: 'u1' } }, { $pull: { loginTokens: { when: { $lt: at('10:30:00.000') } } } });
    expect((await tokens.findOne({ 'loginTokens.hashedToken': { $eq: 'kept' } }))?.loginTokens).toEqual([loginTokens[2]]);
  });

  test('findOneAndDelete returns the document it removed', async () => {
    const changes = db.collection<{ _id: number; userId: string }>('deletions');
    await changes.insertMany([{ _id: 1, userId: 'a' }, { _id: 2, userId: 'a' }]);
    expect(await changes.findOneAndDelete({ userId: { $eq: 'a' } }, { sort: { _id: -1 } })).toEqual({ _id: 2, userId: 'a' });
    expect(await changes.find().toArray()).toEqual([{ _id: 1, userId: 'a' }]);
  });

  test('a TTL index: identical again is a no-op, other options conflict (85), collMod changes the expiry', async () => {
    const changes = db.collection('ttl');
    expect(await changes.createIndex({ at: 1 }, { expireAfterSeconds: 600 })).toBe('at_1');
    expect(await changes.createIndex({ at: 1 }, { expireAfterSeconds: 600 })).toBe('at_1');
    await expect(changes.createIndex({ at: 1 }, { expireAfterSeconds: 900 })).rejects.toMatchObject({ code: 85 });
    await expect(changes.createIndex({ other: 1 }, { name: 'at_1' })).rejects.toMatchObject({ code: 86 });
    const changed = await db.command({ collMod: 'ttl', index: { keyPattern: { at: 1 }, expireAfterSeconds: 900 } });
    expect(changed).toMatchObject({ expireAfterSeconds_old: 600, expireAfterSeconds_new: 900 });
    expect(await changes.indexes()).toEqual([
      expect.objectContaining({ name: '_id_', key: { _id: 1 } }),
      expect.objectContaining({ name: 'at_1', key: { at: 1 }, expireAfterSeconds: 900 }),
    ]);
    await changes.dropIndex('at_1');
    expect((await changes.indexes()).map((index) => index.name)).toEqual(['_id_']);
  });

  test('a unique sparse index on a path through an array reports 11000 with keyPattern and keyValue', async () => {
    const users = db.collection<{ _id: string; emails?: { address: string }[] }>('unique');
    await users.createIndex({ 'emails.address': 1 }, { unique: true, sparse: true });
    await users.insertMany([{ _id: 'a', emails: [{ address: 'a@x' }] }, { _id: 'b' }, { _id: 'c' }]);
    const duplicate = await users.insertOne({ _id: 'd', emails: [{ address: 'z@x' }, { address: 'a@x' }] }).catch((error: unknown) => error);
    expect(duplicate).toBeInstanceOf(MongoServerError);
    expect(duplicate).toMatchObject({ code: 11000, keyPattern: { 'emails.address': 1 }, keyValue: { 'emails.address': 'a@x' } });
    await expect(users.updateOne({ _id: 'b' }, { $set: { emails: [{ address: 'a@x' }] } })).rejects.toMatchObject({ code: 11000 });
    expect(await users.findOne({ _id: 'b' })).toEqual({ _id: 'b' });
    await expect(users.insertOne({ _id: 'a' })).rejects.toMatchObject({ code: 11000, keyPattern: { _id: 1 } });
  });

  test('cursors hand out every document across getMore batches', async () => {
    const many = db.collection<{ n: number }>('many');
    await many.insertMany(Array.from({ length: 250 }, (_, n) => ({ n })));
    const all = await many.find({ n: { $gte: 0 } }, { batchSize: 40 }).sort({ n: 1 }).toArray();
    expect(all.map((doc) => doc.n)).toEqual(Array.from({ length: 250 }, (_, n) => n));
    expect(await many.countDocuments({ n: { $lt: 10 } })).toBe(10);
  });

  test('aggregate, distinct, updateMany with upsert, $unset, $push and $currentDate', async () => {
    const events = db.collection<{ _id?: unknown; user: string; kind?: string; seen?: Date; tags?: string[] }>('events');
    await events.insertMany([{ user: 'a', kind: 'x' }, { user: 'a', kind: 'y' }, { user: 'b', kind: 'x' }]);
    const perUser = await events
      .aggregate([{ $match: { kind: { $in: ['x', 'y'] } } }, { $group: { _id: '$user', n: { $sum: 1 } } }, { $sort: { n: -1 } }, { $limit: 1 }, { $project: { _id: 0, user: '$_id', n: 1 } }])
      .toArray();
    expect(perUser).toEqual([{ user: 'a', n: 2 }]);
    expect((await events.distinct('user', { kind: { $ne: 'y' } })).sort()).toEqual(['a', 'b']);
    const result = await events.updateMany({ user: { $eq: 'a' } }, { $unset: { kind: '' }, $push: { tags: 't' }, $currentDate: { seen: true } });
    expect(result).toMatchObject({ matchedCount: 2, modifiedCount: 2 });
    const upserted = await events.updateOne({ user: { $eq: 'c' } }, { $set: { kind: 'z' } }, { upsert: true });
    expect(upserted.upsertedCount).toBe(1);
    const a = await events.findOne({ user: 'a', kind: { $exists: false } });
    expect(a).toMatchObject({ user: 'a', tags: ['t'], seen: expect.any(Date) });
    expect(await events.countDocuments({ $and: [{ user: { $in: ['b', 'c'] } }, { kind: { $exists: true } }] })).toBe(2);
  });
});

describeOnEmulator('what the emulator refuses instead of faking (mongo server: emulator)', () => {
  test('a transaction fails at once with a clear error', async () => {
    const session = client.startSession();
    session.startTransaction();
    const refused = db.collection('transactions').insertOne({ n: 1 }, { session }).catch((error: unknown) => error);
    expect(await refused).toMatchObject({ code: 115, message: expect.stringContaining('A transaction (the emulator is a standalone') });
    await session.endSession();
  });

  test('a change stream fails at once with a clear error', async () => {
    const stream = db.collection('streams').watch();
    await expect(stream.tryNext()).rejects.toMatchObject({ code: 40573 });
    await stream.close();
  });
});
