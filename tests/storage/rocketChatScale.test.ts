import { createHash, randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import pino from 'pino';
import request from 'supertest';
import { createApp, type PresenceApp } from '../../src/app';
import { MongoStore } from '../../src/storage/mongo/mongoStore';
import { FakeClock } from '../support/fakeClock';
import { mongoTestUri } from '../support/mongoTestUri';
import { TEST_CONFIG } from '../support/testApp';

/**
 * Following Rocket.Chat costs what its changes cost, not what its users cost, counted in the commands the service
 * sends (the emulator's speed makes times meaningless; docs/storage.md gives the counts per second): a first start
 * over 2 000 Rocket.Chat-online users answers its first full list with a handful of commands, recording them all in
 * bulk, and afterwards a read of changes reads the users that changed, never the ones online.
 */

type Doc = Record<string, unknown>;

const ONLINE = 2000;
/** The commands that read or write documents (the driver's own handshakes and monitoring are not commands here). */
const DATA_COMMANDS = new Set(['find', 'getMore', 'update', 'findAndModify', 'insert', 'delete', 'aggregate']);

interface SentCommand {
  name: string;
  collection: string;
  /** Documents a read returned, or a write modified. */
  documents: number;
}

/** Every data command a mongoose connection sends, with what it returned, as the driver's command monitor reports it. */
function monitorCommands(client: mongoose.mongo.MongoClient): SentCommand[] {
  const sent: SentCommand[] = [];
  const started = new Map<number, SentCommand>();
  client.on('commandStarted', (event) => {
    if (!DATA_COMMANDS.has(event.commandName)) return;
    const command = event.command as Doc;
    const collection = String(event.commandName === 'getMore' ? command.collection : command[event.commandName]);
    const entry = { name: event.commandName, collection, documents: 0 };
    started.set(event.requestId, entry);
    sent.push(entry);
  });
  client.on('commandSucceeded', (event) => {
    const entry = started.get(event.requestId);
    if (entry === undefined) return;
    started.delete(event.requestId);
    const reply = event.reply as { cursor?: { firstBatch?: unknown[]; nextBatch?: unknown[] }; nModified?: number };
    entry.documents = reply.cursor?.firstBatch?.length ?? reply.cursor?.nextBatch?.length ?? reply.nModified ?? 0;
  });
  return sent;
}

const sha256Base64 = (text: string) => createHash('sha256').update(text).digest('base64');

/** A Rocket.Chat user connected there, as its presence service leaves him, never seen by this service. */
function onlineUser(n: number, updatedAt: Date): Doc {
  return {
    _id: `rcScaleUser${String(n).padStart(5, '0')}`, username: `rc.scale${n}`, name: `RC Scale ${n}`, type: 'user', active: true, roles: ['user'],
    utcOffset: 0, status: 'online', statusConnection: 'online', statusDefault: 'online', statusText: '', _updatedAt: updatedAt,
  };
}

const uri = mongoTestUri();
// Jest refuses a file without tests; CI always has a MongoDB (or the emulator).
if (uri === undefined) it.skip('needs MongoDB', () => undefined);

if (uri !== undefined) describe(`beside Rocket.Chat with ${ONLINE} users online, counted in commands`, () => {
  const token = randomBytes(32).toString('base64url');
  const watcher = { 'X-User-Id': 'rcScaleWatcher', 'X-Auth-Token': token };
  let admin: mongoose.mongo.MongoClient;
  let users: mongoose.mongo.Collection<Doc>;
  let store: MongoStore;
  let app: PresenceApp;
  let clock: FakeClock;
  let sent: SentCommand[];

  const onUsers = () => sent.filter((command) => command.collection === 'users');
  const named = (name: string) => sent.filter((command) => command.name === name);
  const documentsRead = () => sent.filter((command) => command.name === 'find' || command.name === 'getMore').reduce((sum, command) => sum + command.documents, 0);
  const presence = async (query: Record<string, string> = {}) => {
    const res = await request(app).get('/api/v1/users.presence').query(query).set(watcher);
    expect(res.status).toBe(200);
    return res.body as { users: Doc[]; full: boolean };
  };
  /** Rocket.Chat's presence service changing these users: Rocket.Chat 7's bumps `_updatedAt`, Rocket.Chat 6's did not. */
  const rocketChatWrites = (ids: string[], status: string, bumpsUpdatedAt: boolean) =>
    users.updateMany({ _id: { $in: ids as never[] } }, { $set: { status, statusConnection: status, ...(bumpsUpdatedAt ? { _updatedAt: clock.now() } : {}) } });

  beforeAll(async () => {
    const url = new URL(uri);
    url.pathname = `/presence_scale_${randomBytes(6).toString('hex')}`;
    admin = await new mongoose.mongo.MongoClient(url.toString()).connect();
    users = admin.db().collection<Doc>('users');
    // Rocket.Chat's own index on status, which the service's queries must not fall back to.
    await users.createIndex({ status: 1 });
    clock = new FakeClock();
    const lastWeek = new Date(clock.now().getTime() - 7 * 86_400_000);
    await users.insertMany(Array.from({ length: ONLINE }, (_, n) => onlineUser(n, lastWeek)));
    await users.insertOne({
      _id: 'rcScaleWatcher' as never, username: 'rc.watcher', name: 'Watcher', type: 'user', active: true, roles: ['user'], utcOffset: 0, status: 'offline',
      statusConnection: 'offline', statusText: '', _updatedAt: lastWeek, services: { resume: { loginTokens: [{ when: lastWeek, hashedToken: sha256Base64(token) }] } },
    });
    url.searchParams.set('monitorCommands', 'true');
    store = await MongoStore.connect({ uri: url.toString(), operationTimeoutMs: 60_000, stampedWriteTimeoutMs: 60_000, lateWriteWindowMs: 2_000 });
    const client = mongoose.connections.find((connection) => connection.name === url.pathname.slice(1))?.getClient();
    if (client === undefined) throw new Error('no client for the store');
    sent = monitorCommands(client);
    // Rounds of connection bookkeeping (their own timer) stay out of the counts: none falls inside this suite.
    app = createApp({ store, clock, config: { ...TEST_CONFIG, connectionLeaseSeconds: 3600, connectionRenewSeconds: 1200 }, logger: pino({ level: 'silent' }) });
  }, 120_000);

  afterAll(async () => {
    app?.closeStreams();
    await store?.close();
    await admin?.db().dropDatabase();
    await admin?.close();
  });

  beforeEach(() => {
    sent?.splice(0);
  });

  it('a first start answers its first full list with a handful of commands, recording every online user in bulk', async () => {
    const first = await presence();
    expect(first.full).toBe(true);
    expect(first.users).toHaveLength(ONLINE);

    // Every online user is recorded, in two bulk commands of a thousand records each, none alone.
    expect(named('update').map((command) => command.documents)).toEqual([1000, 1000]);
    expect(named('findAndModify')).toEqual([]);
    expect(await users.countDocuments({ 'presenceSeen.status': 'online', presenceChangedAt: { $ne: null } })).toBe(ONLINE);
    // Reads: the caller's token, what Rocket.Chat updated since the look-back, the comparison, which of those
    // users are connected here (one read per thousand), the changes and the users deleted since, and the present
    // list; cursors continue in getMores of up to 16 MB, whatever the count.
    expect(sent.filter((command) => command.name === 'find').map((command) => command.collection).sort()).toEqual([
      'presence_connections', 'presence_connections', 'presence_removed_users', 'users', 'users', 'users', 'users', 'users',
    ]);
    expect(named('getMore').length).toBeLessThanOrEqual(6);
    expect(sent.length).toBeLessThanOrEqual(15);
  }, 120_000);

  it('after it, a read of changes with nothing changed reads no user, however many are online', async () => {
    await presence();
    for (let read = 0; read < 5; read += 1) {
      // Each second: the comparison of Rocket.Chat 6's writes is due every time.
      clock.advanceSeconds(1);
      sent.splice(0);
      const delta = await presence({ from: new Date(clock.now().getTime() - 5000).toISOString() });
      expect(delta).toEqual({ users: [], full: false, success: true });
      // What Rocket.Chat updated since, the comparison, the feed's read of changes and the delta's, and every
      // other second the caller's token (its cache lasts 2 s): finds only.
      expect(onUsers().every((command) => command.name === 'find')).toBe(true);
      expect(onUsers().length).toBeGreaterThanOrEqual(4);
      expect(onUsers().length).toBeLessThanOrEqual(5);
      // Beside them only the reads of users deleted since (the feed's and the delta's), which find none.
      expect(sent.filter((command) => command.collection !== 'users')).toEqual([
        { collection: 'presence_removed_users', documents: 0, name: 'find' },
        { collection: 'presence_removed_users', documents: 0, name: 'find' },
      ]);
      // No document read but the caller's own.
      expect(documentsRead()).toBeLessThanOrEqual(1);
    }
  }, 120_000);

  it('a read after C changes of Rocket.Chat\'s reads and records those C, in one bulk command', async () => {
    await presence();
    const ids = (from: number, count: number) => Array.from({ length: count }, (_, n) => onlineUser(from + n, clock.now())._id as string);
    for (const { changed, bumpsUpdatedAt } of [{ changed: ids(0, 20), bumpsUpdatedAt: true }, { changed: ids(100, 20), bumpsUpdatedAt: false }]) {
      // A read a few seconds after the previous changes, as the feed makes four times a second while streams are open.
      clock.advanceSeconds(3);
      await presence();
      const from = clock.now().toISOString();
      clock.advance(100);
      await rocketChatWrites(changed, 'away', bumpsUpdatedAt);
      clock.advanceSeconds(1);
      sent.splice(0);
      const delta = await presence({ from });
      expect(delta.users.map((user) => [user._id, user.status]).sort()).toEqual(changed.map((id) => [id, 'away']));
      expect(named('update').map((command) => command.documents)).toEqual([20]);
      expect(named('getMore')).toEqual([]);
      // The changed users, read by what finds them (Rocket.Chat 7's by _updatedAt and by the comparison, Rocket.Chat
      // 6's by the comparison) and by the feed's and the delta's reads of changes; plus the caller's token: at most
      // four times C, never the online users; and the two reads of users deleted since.
      expect(documentsRead()).toBeLessThanOrEqual(4 * changed.length + 1);
      expect(sent.length).toBeLessThanOrEqual(9);
    }
  }, 120_000);
});
