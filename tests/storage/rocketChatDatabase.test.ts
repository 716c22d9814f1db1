import { PRESENT_STATUSES } from '../../src/domain/rules/status';
import { ROCKET_CHAT_CONNECTED_STATUSES } from '../../src/domain/rules/rocketChatPresence';
import { createHash, randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import mongoose, { type Connection } from 'mongoose';
import pino from 'pino';
import request from 'supertest';
import { createApp, type PresenceApp } from '../../src/app';
import { MongoStore } from '../../src/storage/mongo/mongoStore';
import { listen, openStream, type SseClient } from '../api/stream/sseClient';
import { FakeClock } from '../support/fakeClock';
import { startEmulator, type RunningEmulator } from '../support/mongoEmulator/startEmulator';
import { mongoTestKind, mongoTestUri } from '../support/mongoTestUri';
import { TEST_CONFIG } from '../support/testApp';
import { waitFor } from '../support/waitFor';

/**
 * The service pointed at a Rocket.Chat 7.x database, beside Rocket.Chat. Its `users` collection already has Meteor's
 * and Rocket.Chat's indexes and documents in Rocket.Chat's shape: start-up keeps every index as it is, users log in
 * with their existing tokens and passwords, a presence write touches only status, statusText, `_updatedAt` and the
 * service's own fields, and the presence Rocket.Chat writes (as its presence service and setUserStatus write it, with
 * and without `_updatedAt`) is what every read, delta and stream of every instance reports. Asserted on the raw
 * documents and indexes, read with the driver, on a standalone server and on a replica set.
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
  [{ statusExpiresAt: 1 }, { partialFilterExpression: { statusExpiresAt: { $exists: true } } }],
  [{ username: 1 }, { name: 'username_insensitive', unique: false, sparse: true, collation: { locale: 'en', strength: 2, caseLevel: false } }],
  [{ type: 1 }, {}],
  [{ language: 1 }, { sparse: true }],
  [{ extension: 1 }, { unique: true, sparse: true }],
  [{ active: 1, 'services.totp.enabled': 1 }, { sparse: true }],
];
/**
 * The only indexes the service may add (its own case-insensitive username index is left out: Rocket.Chat's own,
 * not unique, is on the same key and collation, and serves the same queries).
 */
const SERVICE_INDEXES = [
  'emails_address_insensitive', 'presenceExpiresAt_1', 'presenceChangedAt_1', 'status_1_presenceExpiresAt_1', 'status_1_presenceSeen.status_1',
  'statusConnection_1_presenceSeen.statusConnection_1_presenceSeen.status_1', '_updatedAt_1',
];

/** The service's own fields in a user's document. */
const SERVICE_FIELDS = ['presenceText', 'presenceExpiresAt', 'presenceChangedAt', 'presenceRevision', 'presenceSeen', 'lastSeenAt'];
/** The fields a presence write may change; everything else in a Rocket.Chat user belongs to Rocket.Chat. */
const PRESENCE_FIELDS = ['status', 'statusText', '_updatedAt', ...SERVICE_FIELDS];

const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
const sha256Base64 = (text: string) => createHash('sha256').update(text).digest('base64');

interface RocketChatUser {
  doc: Doc;
  token: string;
  password: string;
}

/**
 * A user as Rocket.Chat 7 stores it (recipes independent of the service's helpers), with none of the service's
 * fields, logged in a week before `now`.
 */
async function rocketChatUser(n: number, now: Date, presence: Doc = {}): Promise<RocketChatUser> {
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
          // A login of last week: still inside LOGIN_EXPIRATION_DAYS.
          { when: new Date(now.getTime() - 7 * 86_400_000), hashedToken: sha256Base64(token) },
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
    ...presence,
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

/** The MongoDB topologies the suite runs on: the one the run uses, and with the emulator a replica set of it too. */
function topologies(): { name: string; uri(): string }[] {
  const uri = mongoTestUri();
  if (uri === undefined) return [];
  const kind = mongoTestKind();
  const found = [{ name: kind === 'emulator' ? 'a standalone server' : `MongoDB (${kind})`, uri: () => uri }];
  if (kind === 'emulator') found.push({ name: 'a replica set', uri: () => replicaSetUri });
  return found;
}
let replicaSetEmulator: RunningEmulator | undefined;
let replicaSetUri = '';
beforeAll(async () => {
  if (mongoTestKind() !== 'emulator') return;
  replicaSetEmulator = await startEmulator(10000, { replicaSet: 'rs0' });
  replicaSetUri = replicaSetEmulator.uri;
});
afterAll(async () => {
  await replicaSetEmulator?.stop();
});

const found = topologies();
// Jest refuses an empty table and a file without tests; CI always has a MongoDB (or the emulator).
if (found.length === 0) it.skip('needs MongoDB', () => undefined);

if (found.length > 0) describe.each(found)('the service on a Rocket.Chat database, on $name', (topology) => {
  let uri: string;
  let admin: Connection;
  let users: mongoose.mongo.Collection<Doc>;
  let alice: RocketChatUser;
  let bob: RocketChatUser;
  let carol: RocketChatUser;
  let dave: RocketChatUser;
  let indexesBefore: IndexSpec[];
  let aliceBefore: Doc;
  let bobBefore: Doc;
  let store: MongoStore;
  let app: PresenceApp;
  let clock: FakeClock;
  const closers: (() => Promise<void>)[] = [];

  const rawUser = async (who: RocketChatUser) => (await users.findOne({ _id: who.doc._id as never })) as Doc;
  const listIndexes = async () => (await users.listIndexes().toArray()) as IndexSpec[];
  const headersOf = (who: RocketChatUser) => ({ 'X-User-Id': who.doc._id as string, 'X-Auth-Token': who.token });
  const connect = () => MongoStore.connect({ uri, operationTimeoutMs: 5000, stampedWriteTimeoutMs: 5000, lateWriteWindowMs: 2_000 });

  /** Rocket.Chat 7's presence service, as a client connects, idles or leaves: status and statusConnection, its model bumping _updatedAt. */
  const presenceService = (who: RocketChatUser, status: string, statusConnection: string) =>
    users.updateOne({ _id: who.doc._id as never }, { $set: { status, statusConnection, _updatedAt: clock.now() } });
  /** Rocket.Chat 6's presence service wrote the same fields without touching _updatedAt. */
  const presenceServiceOf6 = (who: RocketChatUser, status: string, statusConnection: string) =>
    users.updateOne({ _id: who.doc._id as never }, { $set: { status, statusConnection } });
  /** Rocket.Chat's setUserStatus: the chosen status, the status it makes and the text. */
  const setUserStatus = (who: RocketChatUser, statusDefault: string, statusText: string, extra: Doc = {}) =>
    users.updateOne({ _id: who.doc._id as never }, { $set: { statusDefault, status: statusDefault, statusText, statusSource: 'manual', ...extra, _updatedAt: clock.now() } });

  const view = (who: RocketChatUser, status: string, statusText?: string) => ({
    _id: who.doc._id, name: who.doc.name, username: who.doc.username, status, utcOffset: 5.5,
    ...(statusText === undefined ? {} : { statusText }), avatarETag: who.doc.avatarETag,
  });
  const presenceOf = async (on: PresenceApp, query: Record<string, string> = {}) => {
    const res = await request(on).get('/api/v1/users.presence').query(query).set(headersOf(dave));
    expect(res.status).toBe(200);
    return res.body as { users: Doc[]; full: boolean };
  };

  beforeEach(async () => {
    const url = new URL(topology.uri());
    url.pathname = `/presence_test_${randomBytes(6).toString('hex')}`;
    uri = url.toString();
    admin = await mongoose.createConnection(uri).asPromise();
    users = (admin.db as mongoose.mongo.Db).collection<Doc>('users');
    for (const [key, options] of ROCKET_CHAT_INDEXES) await users.createIndex(key as never, options);
    clock = new FakeClock();
    alice = await rocketChatUser(1, clock.now());
    bob = await rocketChatUser(2, clock.now(), { status: 'online', statusText: '' });
    carol = await rocketChatUser(3, clock.now(), { status: 'away', statusDefault: 'away', statusConnection: 'online', statusText: '' });
    dave = await rocketChatUser(4, clock.now(), { status: 'offline', statusConnection: 'offline', statusText: '' });
    await users.insertMany([alice.doc, bob.doc, carol.doc, dave.doc]);
    indexesBefore = await listIndexes();
    aliceBefore = await rawUser(alice);
    bobBefore = await rawUser(bob);

    store = await connect();
    app = createApp({ store, clock, config: TEST_CONFIG, logger: pino({ level: 'silent' }) });
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    app.closeStreams();
    await store.close();
    await admin.dropDatabase();
    await admin.close();
  });

  /** A second instance of the service over the same database, on the same clock. */
  async function secondInstance(): Promise<PresenceApp> {
    const second = await connect();
    const instance = createApp({ store: second, clock, config: TEST_CONFIG, logger: pino({ level: 'silent' }) });
    closers.push(async () => {
      instance.closeStreams();
      await second.close();
    });
    return instance;
  }

  /** A stream opened by dave on `on`, its snapshot already in. */
  async function streamOn(on: PresenceApp): Promise<SseClient> {
    const server = await listen(on);
    const client = await openStream(server.port, '/api/v1/users.presence.stream', headersOf(dave));
    closers.push(async () => {
      client.close();
      await server.close();
    });
    expect(client.status).toBe(200);
    await client.event(0);
    return client;
  }

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
      const second = await connect();
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

    it('reads a Rocket.Chat user as the record the port names, from every finder: none of Rocket.Chat\'s other fields, credentials only for a login and a token look-up', async () => {
      const doc = alice.doc as Doc & { services: { password: { bcrypt: string }; resume: { loginTokens: Doc[] } } };
      const record = {
        id: doc._id, username: 'rc.user1', name: 'RC User 1', emails: doc.emails, utcOffset: 5.5, active: true, roles: ['user'], status: 'online',
        statusText: 'from Rocket.Chat', statusDefault: 'online', statusConnection: 'online', lastLogin: doc.lastLogin, avatarETag: 'etag1',
        createdAt: doc.createdAt, updatedAt: doc._updatedAt,
        // Rocket.Chat's own field, which users.create sets here too (issue 22).
        requirePasswordChange: false,
        // The service's own fields, which this document never had, read as never set.
        presenceText: null, presenceExpiresAt: null, presenceChangedAt: null, presenceRevision: 0, lastSeenAt: null,
      };
      const [login, pat] = doc.services.resume.loginTokens;
      const loginToken = { when: login.when, hashedToken: login.hashedToken };
      // A personal access token as the port knows it: its hash and type; its name and last part stay in the database.
      const patToken = { hashedToken: pat.hashedToken, type: 'personalAccessToken' };
      const aliceIn = (users: { id: string }[]) => users.filter((user) => user.id === doc._id);
      expect({
        byId: await store.findUserById(doc._id as string),
        byUsername: await store.findUserByUsername('RC.USER1'),
        byIds: await store.findUsersByIds([doc._id as string]),
        present: aliceIn(await store.findPresentCandidates(clock.now(), PRESENT_STATUSES)),
        updated: aliceIn(await store.findUsersUpdatedSince(doc._updatedAt as Date)),
        rocketChat: aliceIn(await store.findUnrecordedRocketChatPresences({ present: PRESENT_STATUSES, connected: ROCKET_CHAT_CONNECTED_STATUSES })),
        byToken: await store.findUserByHashedToken(login.hashedToken as string),
        byPat: await store.findUserByHashedToken(pat.hashedToken as string),
        byTokens: await store.findTokenHolders([pat.hashedToken as string, login.hashedToken as string]),
        login: await store.findUserByLogin('rc.user1@example.com'),
      }).toStrictEqual({
        byId: record,
        byUsername: record,
        byIds: [record],
        present: [record],
        updated: [record],
        rocketChat: [record],
        byToken: { ...record, credentials: { loginTokens: [loginToken] } },
        byPat: { ...record, credentials: { loginTokens: [patToken] } },
        byTokens: [{ id: record.id, active: true, credentials: { loginTokens: [loginToken, patToken] } }],
        login: { ...record, credentials: { passwordHash: doc.services.password.bcrypt, loginTokens: [loginToken, patToken] } },
      });
    });

    it('logs in with the existing password, in any letter case of the username, adding one token and touching no other', async () => {
      const res = await request(app).post('/api/v1/login').send({ user: 'RC.User1', password: alice.password });
      expect(res.status).toBe(200);
      expect(res.body.data.userId).toBe(alice.doc._id);
      const authToken = res.body.data.authToken as string;

      const doc = await rawUser(alice);
      const tokensBefore = ((aliceBefore.services as Doc).resume as { loginTokens: Doc[] }).loginTokens;
      const tokens = ((doc.services as Doc).resume as { loginTokens: Doc[] }).loginTokens;
      expect(tokens).toHaveLength(tokensBefore.length + 1);
      expect(bytesOf({ kept: tokens.slice(0, tokensBefore.length) })).toEqual(bytesOf({ kept: tokensBefore }));
      expect(tokens[tokensBefore.length]).toEqual({ when: clock.now(), hashedToken: sha256Base64(authToken) });
      // Nothing else in the credentials moved.
      expect(bytesOf(without(doc.services as Doc, ['resume']))).toEqual(bytesOf(without(aliceBefore.services as Doc, ['resume'])));

      const me = await request(app).get('/api/v1/me').set({ 'X-User-Id': alice.doc._id as string, 'X-Auth-Token': authToken });
      expect(me.status).toBe(200);
      const old = await request(app).get('/api/v1/me').set(headersOf(alice));
      expect(old.status).toBe(200);
      expect(bytesOf(await rawUser(bob))).toEqual(bytesOf(bobBefore));
    });

    it('refuses to create a user whose name differs from a Rocket.Chat user\'s only in case', async () => {
      await users.updateOne({ _id: dave.doc._id as never }, { $set: { roles: ['admin', 'user'] } });
      const res = await request(app).post('/api/v1/users.create').set(headersOf(dave)).send({ username: 'RC.USER1', name: 'Copy', password: 'pw' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ success: false, error: 'RC.USER1 is already in use :( [error-field-unavailable]', errorType: 'error-field-unavailable' });
    });
  });

  describe('the presence Rocket.Chat wrote is the presence every read reports', () => {
    it('lists Rocket.Chat\'s online and away users in the full list, the ids answer, getStatus, getPresence and pnut\'s reads', async () => {
      const full = await presenceOf(app);
      expect(full.full).toBe(true);
      expect(full.users).toEqual([view(alice, 'online', 'from Rocket.Chat'), view(bob, 'online'), view(carol, 'away')].sort((a, b) => String(a._id).localeCompare(String(b._id))));
      const byIds = await presenceOf(app, { ids: [alice, carol, dave].map((who) => who.doc._id).join(',') });
      expect(byIds.users).toEqual(expect.arrayContaining([view(alice, 'online', 'from Rocket.Chat'), view(carol, 'away')]));
      expect(byIds.users).toHaveLength(2);
      const status = await request(app).get('/api/v1/users.getStatus').query({ userId: carol.doc._id as string }).set(headersOf(dave));
      expect(status.body).toEqual({ _id: carol.doc._id, status: 'away', success: true });
      const presence = await request(app).get('/api/v1/users.getPresence').query({ userId: alice.doc._id as string }).set(headersOf(dave));
      expect(presence.body).toEqual({ presence: 'online', success: true });
      const pnutList = await request(app).get('/v0/presence').set({ Authorization: `Bearer ${dave.token}` });
      expect((pnutList.body.data as Doc[]).map((entry) => [entry.username, entry.presence]).sort()).toEqual([['rc.user1', 'from Rocket.Chat'], ['rc.user2', 'online'], ['rc.user3', 'away']]);
      const pnutOne = await request(app).get(`/v0/users/${carol.doc._id as string}/presence`).set({ Authorization: `Bearer ${dave.token}` });
      expect(pnutOne.body.data).toEqual({ id: carol.doc._id, username: 'rc.user3', name: 'RC User 3', presence: 'away' });
    });

    it('keeps a status Rocket.Chat set for as long as Rocket.Chat says, past this service\'s presence time to live', async () => {
      clock.advanceSeconds(3 * 3600);
      expect((await presenceOf(app)).users.map((user) => user.username).sort()).toEqual(['rc.user1', 'rc.user2', 'rc.user3']);
    });

    it('a change Rocket.Chat 7 makes reaches the delta of every instance', async () => {
      const second = await secondInstance();
      const from = clock.now().toISOString();
      clock.advanceSeconds(3);
      await presenceService(alice, 'away', 'away');
      clock.advance(100);
      for (const on of [app, second]) expect((await presenceOf(on, { from })).users).toEqual([view(alice, 'away', 'from Rocket.Chat')]);
    });

    it('a change Rocket.Chat 6 makes without touching _updatedAt reaches the deltas too', async () => {
      const second = await secondInstance();
      await presenceOf(app); // the service was serving before Rocket.Chat's write
      const from = clock.now().toISOString();
      clock.advanceSeconds(3);
      await presenceServiceOf6(carol, 'offline', 'offline');
      clock.advance(100);
      for (const on of [app, second]) expect((await presenceOf(on, { from })).users).toEqual([view(carol, 'offline')]);
    });

    it('setUserStatus\'s status and text reach deltas, and a timed status lasts until Rocket.Chat reverts it', async () => {
      const from = clock.now().toISOString();
      clock.advanceSeconds(3);
      await setUserStatus(bob, 'busy', 'in a meeting', { statusExpiresAt: new Date(clock.now().getTime() + 60_000) });
      clock.advance(100);
      expect((await presenceOf(app, { from })).users).toEqual([view(bob, 'busy', 'in a meeting')]);
      clock.advanceSeconds(120);
      expect((await presenceOf(app, { ids: bob.doc._id as string })).users).toEqual([view(bob, 'busy', 'in a meeting')]);
      const fromRevert = clock.now().toISOString();
      clock.advanceSeconds(3);
      await users.updateOne({ _id: bob.doc._id as never }, { $set: { statusDefault: 'online', status: 'online', statusText: '', _updatedAt: clock.now() }, $unset: { statusExpiresAt: 1, statusSource: 1 } });
      clock.advance(100);
      expect((await presenceOf(app, { from: fromRevert })).users).toEqual([view(bob, 'online')]);
    });

    it('a change Rocket.Chat makes reaches the open streams of every instance within 2 s of the service\'s clock', async () => {
      const second = await secondInstance();
      const streams = [await streamOn(app), await streamOn(second)];
      // The three Rocket.Chat users present, and Dave: his stream is his connection.
      for (const stream of streams) expect(stream.events[0].data.users).toHaveLength(4);
      await presenceService(bob, 'offline', 'offline');
      for (const stream of streams) expect((await stream.event(1)).data).toEqual({ users: [view(bob, 'offline')], full: false });
      await presenceServiceOf6(carol, 'online', 'online');
      clock.advanceSeconds(2); // the next comparison of every present user is due
      for (const stream of streams) expect((await stream.event(2)).data).toEqual({ users: [view(carol, 'online')], full: false });
    });

    it('both systems\' connections count: a declaration lapses, a Rocket.Chat connection lasts as long as Rocket.Chat says', async () => {
      expect((await request(app).post('/api/v1/users.setStatus').set(headersOf(dave)).send({ status: 'busy' })).status).toBe(200);
      clock.advanceSeconds(901);
      expect((await request(app).get('/api/v1/users.getStatus').query({ userId: dave.doc._id as string }).set(headersOf(alice))).body.status).toBe('offline');

      await presenceService(dave, 'online', 'online');
      clock.advance(100);
      const status = async () => (await request(app).get('/api/v1/users.getStatus').query({ userId: dave.doc._id as string }).set(headersOf(alice))).body.status as string;
      expect(await status()).toBe('online');
      clock.advanceSeconds(3600);
      expect(await status()).toBe('online');

      // Dave chooses away while connected to Rocket.Chat: away, for as long as that connection lasts, not a lease.
      expect((await request(app).post('/api/v1/users.setStatus').set(headersOf(dave)).send({ status: 'away' })).status).toBe(200);
      expect(await status()).toBe('away');
      clock.advanceSeconds(901);
      expect(await status()).toBe('away');
      // Rocket.Chat's reaper ends that connection: nothing keeps him present any more.
      await presenceService(dave, 'offline', 'offline');
      clock.advance(100);
      expect(await status()).toBe('offline');
    });
  });

  describe('both systems\' connections, and no fight between them', () => {
    it('writes at most once for each change of either side, never in a loop, and shows the user present while either has a connection', async () => {
      const writes: string[] = [];
      const daveId = dave.doc._id as string;
      const writePresence = store.writePresence.bind(store);
      jest.spyOn(store, 'writePresence').mockImplementation((userId, ...rest) => {
        if (userId === daveId) writes.push('writePresence');
        return writePresence(userId, ...rest);
      });
      // Records go in bulk: each of Dave's in a bulk is one write of his.
      const recordRocketChatChanges = store.recordRocketChatChanges.bind(store);
      jest.spyOn(store, 'recordRocketChatChanges').mockImplementation((changes) => {
        for (const change of changes) if (change.userId === daveId) writes.push('recordRocketChatChange');
        return recordRocketChatChanges(changes);
      });
      const status = async () => (await request(app).get('/api/v1/users.getStatus').query({ userId: daveId }).set(headersOf(alice))).body.status as string;
      // A read of changes: where every instance records what Rocket.Chat wrote.
      const readChanges = async () => {
        clock.advance(100);
        await presenceOf(app, { from: new Date(clock.now().getTime() - 60_000).toISOString() });
      };

      // This service: Dave opens a stream here.
      const stream = await streamOn(app);
      expect(writes).toEqual(['writePresence']);
      expect(await status()).toBe('online');
      // Rocket.Chat: his Rocket.Chat client connects, goes idle, disconnects. Each is one rewrite here, which keeps
      // him online: his stream here is in use.
      for (const [rcStatus, rcConnection] of [['online', 'online'], ['away', 'away'], ['offline', 'offline']]) {
        await presenceService(dave, rcStatus, rcConnection);
        await readChanges();
        expect(await status()).toBe('online');
      }
      expect(writes).toEqual(['writePresence', 'writePresence', 'writePresence', 'writePresence']);
      // This service: his stream closes; nothing connects him any more.
      stream.close();
      // The close reaches the service through its socket: wait for it (the jest timeout bounds the wait).
      await waitFor(async () => ((await status()) === 'offline' ? true : undefined));
      expect(writes).toHaveLength(5);
      // Rocket.Chat: he connects there again; recorded as Rocket.Chat's, once.
      await presenceService(dave, 'online', 'online');
      await readChanges();
      expect(await status()).toBe('online');
      expect(writes).toEqual(['writePresence', 'writePresence', 'writePresence', 'writePresence', 'writePresence', 'recordRocketChatChange']);
      // Quiet from here on: reads and rounds write nothing more.
      for (let i = 0; i < 5; i += 1) {
        await readChanges();
        await app.connectionRound();
      }
      expect(writes).toHaveLength(6);
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
      // The chosen status, where Rocket.Chat's own setUserStatus keeps it.
      expect(doc.statusDefault).toBe('away');
      expect(bytesOf(without(doc, [...PRESENCE_FIELDS, 'statusDefault']))).toEqual(bytesOf(without(aliceBefore, [...PRESENCE_FIELDS, 'statusDefault'])));
      // Spelled out, for a readable failure: the fields Rocket.Chat owns.
      for (const field of ['statusConnection', 'type', 'settings', 'emails', 'roles', 'services', 'avatarETag', 'createdAt', 'name', 'username', 'utcOffset', 'active', 'lastLogin', '__rooms']) {
        expect({ [field]: doc[field] }).toEqual({ [field]: aliceBefore[field] });
      }
    });

    it('the first write to a document without a presence revision lands, and reads back everywhere', async () => {
      expect(aliceBefore).not.toHaveProperty('presenceRevision');
      expect((await request(app).post('/api/v1/users.setStatus').set(headersOf(alice)).send({ status: 'busy', message: 'deep work' })).status).toBe(200);
      expect((await rawUser(alice)).presenceRevision).toBe(1);

      const status = await request(app).get('/api/v1/users.getStatus').query({ userId: alice.doc._id as string }).set(headersOf(bob));
      expect(status.body).toEqual({ _id: alice.doc._id, message: 'deep work', status: 'busy', success: true });
      const listed = await request(app).get('/api/v1/users.presence').query({ ids: alice.doc._id as string }).set(headersOf(bob));
      expect(listed.body.users).toEqual([{ _id: alice.doc._id, name: 'RC User 1', username: 'rc.user1', status: 'busy', utcOffset: 5.5, statusText: 'deep work', avatarETag: 'etag1' }]);

      clock.advanceSeconds(1);
      expect((await request(app).post('/api/v1/users.setStatus').set(headersOf(alice)).send({ status: 'online' })).status).toBe(200);
      const doc = await rawUser(alice);
      expect(doc.presenceRevision).toBe(2);
      expect(doc.statusText).toBe('deep work');
    });

    it('touches no Rocket.Chat field of a user it only reads, and records his presence in its own fields only', async () => {
      expect((await request(app).post('/api/v1/users.setStatus').set(headersOf(alice)).send({ status: 'away', message: 'x' })).status).toBe(200);
      expect((await request(app).put('/v0/users/me/presence').set({ Authorization: `Bearer ${alice.token}` }).send({ presence: 'busy' })).status).toBe(200);
      expect((await request(app).get('/api/v1/users.presence').set(headersOf(dave))).status).toBe(200);
      const doc = await rawUser(bob);
      expect(bytesOf(without(doc, SERVICE_FIELDS))).toEqual(bytesOf(bobBefore));
      expect(doc.presenceSeen).toEqual({ status: 'online', statusText: '', statusDefault: 'online', statusConnection: 'online' });
    });
  });
});
