import { createHash, randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import mongoose, { type Connection } from 'mongoose';
import pino from 'pino';
import request from 'supertest';
import { createApp, type PresenceApp } from '../../src/app';
import { MongoStore } from '../../src/storage/mongo/mongoStore';
import { FakeClock } from '../support/fakeClock';
import { storeKinds } from '../support/stores';
import { mongoTestUri } from '../support/mongoTestUri';
import { TEST_CONFIG } from '../support/testApp';

/**
 * Issue 8, point 5: the service pointed at a Rocket.Chat 7.x database. Its `users` collection already has Meteor's and
 * Rocket.Chat's indexes and documents in Rocket.Chat's shape: start-up keeps every index as it is, users log in with
 * their existing tokens and passwords, and a presence write touches only status, statusText, `_updatedAt` and the
 * service's own fields. Asserted on the raw documents and indexes, read with the driver.
 */

type Doc = Record<string, unknown>;
type IndexSpec = { name: string; key: Doc } & Doc;

/** Meteor's accounts-base indexes on `users`, as it creates them, then some of Rocket.Chat's own (UsersRaw). */
const ROCKET_CHAT_INDEXES: [Doc, Doc][] = [
  [{ username: 1 }, { unique: true, sparse: true }],
  [{ 'emails.address': 1 }, { unique: true, sparse: true }],
  [{ 'services.resume.loginTokens.hashedToken': 1 }, { unique: true, sparse: true }],
  [{ 'services.resume.loginTokens.token': 1 }, { unique: true, sparse: true }],
  [{ 'services.resume.haveLoginTokensToDelete': 1 }, { sparse: true }],
  [{ 'services.resume.loginTokens.when': 1 }, { sparse: true }],
  [{ 'services.password.reset.when': 1 }, { sparse: true }],
  [{ 'services.password.enroll.when': 1 }, { sparse: true }],
  [{ roles: 1 }, { sparse: true }],
  [{ name: 1 }, {}],
  [{ createdAt: 1 }, {}],
  [{ lastLogin: 1 }, {}],
  [{ status: 1 }, {}],
  [{ statusText: 1 }, {}],
  [{ statusConnection: 1 }, { sparse: true }],
  [{ type: 1 }, {}],
  [{ language: 1 }, { sparse: true }],
  [{ extension: 1 }, { unique: true, sparse: true }],
  [{ active: 1, 'services.totp.enabled': 1 }, { sparse: true }],
];
/** The only indexes the service may add. */
const SERVICE_INDEXES = ['presenceExpiresAt_1', 'presenceChangedAt_1'];

/** The fields a presence write may change; everything else in a Rocket.Chat user belongs to Rocket.Chat. */
const PRESENCE_FIELDS = ['status', 'statusText', '_updatedAt', 'presenceText', 'presenceExpiresAt', 'presenceChangedAt', 'presenceRevision', 'lastSeenAt'];

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
const sha256Base64 = (text: string) => createHash('sha256').update(text).digest('base64');

interface RocketChatUser {
  doc: Doc;
  token: string;
  password: string;
}

/** A user as Rocket.Chat 7 stores it (recipes independent of the service's helpers), with none of the service's fields. */
async function rocketChatUser(n: number): Promise<RocketChatUser> {
  const token = randomBytes(32).toString('base64url');
  const password = `rocket password ${n}`;
  const doc: Doc = {
    _id: `rcUserId0000000${n}X`,
    createdAt: new Date('2024-03-01T10:00:00.000Z'),
    services: {
      password: { bcrypt: await bcrypt.hash(sha256Hex(password), 10) },
      email2fa: { enabled: true, changedAt: new Date('2024-03-01T10:00:01.000Z') },
      resume: {
        loginTokens: [
          // A login of last week: still inside LOGIN_EXPIRATION_DAYS (the test clock runs near real time).
          { when: new Date(Date.now() - 7 * 86_400_000), hashedToken: sha256Base64(token) },
          // A personal access token, in Rocket.Chat's own shape (no `when`).
          { hashedToken: sha256Base64(`pat-${n}`), type: 'personalAccessToken', createdAt: new Date('2024-03-03T10:00:00.000Z'), lastTokenPart: 'a1b2c3', name: 'ci', bypassTwoFactor: false },
        ],
      },
    },
    emails: [{ address: `rc.user${n}@example.com`, verified: true }],
    type: 'user',
    status: 'online',
    active: true,
    _updatedAt: new Date('2024-06-01T12:00:00.000Z'),
    __rooms: ['GENERAL'],
    roles: ['user'],
    name: `RC User ${n}`,
    requirePasswordChange: false,
    settings: { preferences: { language: 'en', useEmojis: true, sidebarViewMode: 'medium' } },
    lastLogin: new Date('2024-06-01T11:59:00.000Z'),
    statusConnection: 'online',
    utcOffset: 5.5,
    username: `rc.user${n}`,
    statusDefault: 'online',
    statusText: 'from Rocket.Chat',
    avatarETag: `etag${n}`,
    avatarOrigin: 'upload',
  };
  return { doc, token, password };
}

function without(doc: Doc, keys: readonly string[]): Doc {
  return Object.fromEntries(Object.entries(doc).filter(([key]) => !keys.includes(key)));
}

/** The exact bytes MongoDB holds for these fields (types, order and values). */
function bytesOf(doc: Doc): Buffer {
  return Buffer.from(mongoose.mongo.BSON.serialize(doc));
}

const mongoKinds = storeKinds().filter((kind) => kind.name === 'mongo');
// Jest refuses an empty table and a file without tests; CI always has a MongoDB (or the emulator).
if (mongoKinds.length === 0) it.skip('needs MongoDB', () => undefined);

if (mongoKinds.length > 0) describe.each(mongoKinds)('the service on a Rocket.Chat database ($name store)', () => {
  let uri: string;
  let admin: Connection;
  let users: mongoose.mongo.Collection<Doc>;
  let alice: RocketChatUser;
  let bob: RocketChatUser;
  let indexesBefore: IndexSpec[];
  let aliceBefore: Doc;
  let bobBefore: Doc;
  let store: MongoStore;
  let app: PresenceApp;
  let clock: FakeClock;

  const rawUser = async (who: RocketChatUser) => (await users.findOne({ _id: who.doc._id as never })) as Doc;
  const listIndexes = async () => (await users.listIndexes().toArray()) as IndexSpec[];
  const headersOf = (who: RocketChatUser) => ({ 'X-User-Id': who.doc._id as string, 'X-Auth-Token': who.token });

  beforeEach(async () => {
    const url = new URL(mongoTestUri() as string);
    url.pathname = `/presence_test_${randomBytes(6).toString('hex')}`;
    uri = url.toString();
    admin = await mongoose.createConnection(uri).asPromise();
    users = (admin.db as mongoose.mongo.Db).collection<Doc>('users');
    for (const [key, options] of ROCKET_CHAT_INDEXES) await users.createIndex(key as never, options);
    alice = await rocketChatUser(1);
    bob = await rocketChatUser(2);
    await users.insertMany([alice.doc, bob.doc]);
    indexesBefore = await listIndexes();
    aliceBefore = await rawUser(alice);
    bobBefore = await rawUser(bob);

    store = await MongoStore.connect({ uri, operationTimeoutMs: 5000, lateWriteWindowMs: 10_000 });
    clock = new FakeClock();
    app = createApp({ store, clock, config: TEST_CONFIG, logger: pino({ level: 'silent' }) });
  });

  afterEach(async () => {
    app.closeStreams();
    await store.close();
    await admin.dropDatabase();
    await admin.close();
  });

  describe('start-up', () => {
    it('keeps every Rocket.Chat index exactly as it was, adding only its own', async () => {
      expect(indexesBefore).toHaveLength(ROCKET_CHAT_INDEXES.length + 1);
      const after = await listIndexes();
      const afterByName = new Map(after.map((index) => [index.name, index]));
      for (const index of indexesBefore) expect(afterByName.get(index.name)).toEqual(index);
      const added = after.map((index) => index.name).filter((name) => !indexesBefore.some((index) => index.name === name));
      expect(added.sort()).toEqual([...SERVICE_INDEXES].sort());
    });

    it('leaves the documents as they were', async () => {
      expect(bytesOf(await rawUser(alice))).toEqual(bytesOf(aliceBefore));
      expect(bytesOf(await rawUser(bob))).toEqual(bytesOf(bobBefore));
    });

    it('starting a second time changes nothing', async () => {
      const afterFirst = await listIndexes();
      const second = await MongoStore.connect({ uri, operationTimeoutMs: 5000, lateWriteWindowMs: 10_000 });
      await second.close();
      expect(await listIndexes()).toEqual(afterFirst);
      expect(bytesOf(await rawUser(alice))).toEqual(bytesOf(aliceBefore));
    });

    it('answers readiness on that database', async () => {
      const res = await request(app).get('/readyz');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ready' });
    });
  });

  describe('logins with Rocket.Chat’s credentials', () => {
    it('authenticates a personal access token, which Rocket.Chat never expires', async () => {
      const res = await request(app).get('/api/v1/me').set({ 'X-User-Id': alice.doc._id as string, 'X-Auth-Token': 'pat-1' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ _id: alice.doc._id, success: true });
    });

    it('authenticates the existing login token', async () => {
      const res = await request(app).get('/api/v1/me').set(headersOf(alice));
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ _id: alice.doc._id, username: 'rc.user1', name: 'RC User 1', utcOffset: 5.5, active: true, roles: ['user'], success: true });
    });

    it('logs in with the existing password, adding one token and touching no other', async () => {
      const res = await request(app).post('/api/v1/login').send({ user: 'rc.user1', password: alice.password });
      expect(res.status).toBe(200);
      expect(res.body.data.userId).toBe(alice.doc._id);
      const authToken = res.body.data.authToken as string;

      const doc = await rawUser(alice);
      const tokensBefore = ((aliceBefore.services as Doc).resume as { loginTokens: Doc[] }).loginTokens;
      const tokens = ((doc.services as Doc).resume as { loginTokens: Doc[] }).loginTokens;
      expect(tokens).toHaveLength(tokensBefore.length + 1);
      expect(bytesOf({ kept: tokens.slice(0, tokensBefore.length) })).toEqual(bytesOf({ kept: tokensBefore }));
      expect(tokens[tokensBefore.length]).toEqual({ when: expect.any(Date), hashedToken: sha256Base64(authToken) });
      // Nothing else in the credentials moved.
      expect(bytesOf(without(doc.services as Doc, ['resume']))).toEqual(bytesOf(without(aliceBefore.services as Doc, ['resume'])));

      const me = await request(app).get('/api/v1/me').set({ 'X-User-Id': alice.doc._id as string, 'X-Auth-Token': authToken });
      expect(me.status).toBe(200);
      const old = await request(app).get('/api/v1/me').set(headersOf(alice));
      expect(old.status).toBe(200);
      expect(bytesOf(await rawUser(bob))).toEqual(bytesOf(bobBefore));
    });
  });

  describe('a presence write into a Rocket.Chat user', () => {
    it('sets status and statusText, bumps _updatedAt, and leaves every other Rocket.Chat field byte for byte', async () => {
      const res = await request(app).post('/api/v1/users.setStatus').set(headersOf(alice)).send({ status: 'away', message: 'x' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true });

      const doc = await rawUser(alice);
      expect(doc.status).toBe('away');
      expect(doc.statusText).toBe('x');
      expect(doc._updatedAt).toEqual(clock.now());
      expect((doc._updatedAt as Date).getTime()).toBeGreaterThan((aliceBefore._updatedAt as Date).getTime());
      expect(bytesOf(without(doc, PRESENCE_FIELDS))).toEqual(bytesOf(without(aliceBefore, PRESENCE_FIELDS)));
      // Spelled out, for a readable failure: the fields Rocket.Chat owns.
      for (const field of ['statusConnection', 'statusDefault', 'type', 'settings', 'emails', 'roles', 'services', 'avatarETag', 'createdAt', 'name', 'username', 'utcOffset', 'active', 'lastLogin', '__rooms']) {
        expect({ [field]: doc[field] }).toEqual({ [field]: aliceBefore[field] });
      }
    });

    it('the first write to a document without a presence revision lands, and reads back everywhere', async () => {
      expect(aliceBefore).not.toHaveProperty('presenceRevision');
      expect((await request(app).post('/api/v1/users.setStatus').set(headersOf(alice)).send({ status: 'busy', message: 'deep work' })).status).toBe(200);
      expect((await rawUser(alice)).presenceRevision).toBe(1);

      const status = await request(app).get('/api/v1/users.getStatus').query({ userId: alice.doc._id as string }).set(headersOf(bob));
      expect(status.body).toEqual({ _id: alice.doc._id, message: 'deep work', status: 'busy', success: true });
      const listed = await request(app).get('/api/v1/users.presence').set(headersOf(bob));
      expect(listed.body.users).toEqual([{ _id: alice.doc._id, name: 'RC User 1', username: 'rc.user1', status: 'busy', utcOffset: 5.5, statusText: 'deep work', avatarETag: 'etag1' }]);

      clock.advanceSeconds(1);
      expect((await request(app).post('/api/v1/users.setStatus').set(headersOf(alice)).send({ status: 'online' })).status).toBe(200);
      const doc = await rawUser(alice);
      expect(doc.presenceRevision).toBe(2);
      expect(doc.statusText).toBe('deep work');
    });

    it('leaves the user nobody wrote untouched, byte for byte', async () => {
      expect((await request(app).post('/api/v1/users.setStatus').set(headersOf(alice)).send({ status: 'away', message: 'x' })).status).toBe(200);
      expect((await request(app).put('/v0/users/me/presence').set({ Authorization: `Bearer ${alice.token}` }).send({ presence: 'busy' })).status).toBe(200);
      expect((await request(app).get('/api/v1/users.presence').set(headersOf(bob))).status).toBe(200);
      expect(bytesOf(await rawUser(bob))).toEqual(bytesOf(bobBefore));
    });
  });
});
