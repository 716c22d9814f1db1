import { PRESENT_STATUSES } from '../../src/domain/rules/status';
import { randomBytes } from 'node:crypto';
import mongoose from 'mongoose';
import type { Store } from '../../src/domain/ports/store';
import type { UserRecord } from '../../src/domain/ports/records';
import { ROCKET_CHAT_CONNECTED_STATUSES, rocketChatPresenceOf } from '../../src/domain/rules/rocketChatPresence';
import { MongoStore } from '../../src/storage/mongo/mongoStore';
import { mongoTestUri } from '../support/mongoTestUri';
import { at, everyFieldUser } from './support/users';

/**
 * What only MongoStore's commands show: every command it sends carries maxTimeMS (the server abandons it past the
 * limit, so a write the caller saw time out does not land later), and a login's token write is one update.
 */

type Doc = Record<string, unknown>;

/**
 * The commands that read or write documents (not the driver's handshakes, monitoring and index builds; nor getMore,
 * which takes maxTimeMS only on a tailable cursor).
 */
const DATA_COMMANDS = new Set(['find', 'update', 'findAndModify', 'insert', 'delete', 'aggregate', 'count']);

const OPERATION_TIMEOUT_MS = 4321;
const STAMPED_WRITE_TIMEOUT_MS = 1234;

type StoreMethod = { [K in keyof Store]: Store[K] extends (...args: never[]) => unknown ? K : never }[keyof Store];

const versionOf = (user: UserRecord) => ({ presenceRevision: user.presenceRevision, rocketChat: rocketChatPresenceOf(user) });

/**
 * One call of each method of the store but ping and close, on the users 'a' and 'b' (everyFieldUser), in this order.
 * Typed over Store: a method added to a port and missing here fails the type-check.
 */
const EVERY_CALL: Record<Exclude<StoreMethod, 'ping' | 'close'>, (store: Store) => Promise<unknown>> = {
  findUserById: (store) => store.findUserById('a'),
  findUserByUsername: (store) => store.findUserByUsername('user.a'),
  findUsersByIds: (store) => store.findUsersByIds(['a', 'b']),
  findUserByLogin: (store) => store.findUserByLogin('a@example.com'),
  findUserByHashedToken: (store) => store.findUserByHashedToken('a-token-1'),
  findTokenHolders: (store) => store.findTokenHolders(['a-token-1']),
  countTokensOfActiveUsers: (store) => store.countTokensOfActiveUsers(['a-token-1']),
  createUser: (store) => store.createUser(everyFieldUser('c')),
  addLoginToken: (store) => store.addLoginToken('a', { when: at(1), hashedToken: 'a-token-3' }, at(1), ['a-token-1']),
  removeLoginToken: (store) => store.removeLoginToken('a', 'a-token-3'),
  removeLoginTokens: (store) => store.removeLoginTokens('b', { keepPersonalAccessTokens: true }),
  listUsers: (store) => store.listUsers(0, 10),
  countActiveAdmins: (store) => store.countActiveAdmins(),
  updateAccount: async (store) => store.updateAccount('a', versionOf((await store.findUserById('a')) as UserRecord), { name: 'A', presenceChangedAt: at(2), updatedAt: at(2) }),
  removeUser: (store) => store.removeUser({ userId: 'c', username: 'User.c', name: 'Name c', utcOffset: 0, removedAt: at(3), forgetAt: at(600) }),
  findPresentCandidates: (store) => store.findPresentCandidates(at(0), PRESENT_STATUSES),
  findUsersChangedSince: (store) => store.findUsersChangedSince(at(-60), at(0)),
  findUsersRemovedSince: (store) => store.findUsersRemovedSince(at(-60)),
  findUsersUpdatedSince: (store) => store.findUsersUpdatedSince(at(-60)),
  findUnrecordedRocketChatPresences: (store) => store.findUnrecordedRocketChatPresences({ present: PRESENT_STATUSES, connected: ROCKET_CHAT_CONNECTED_STATUSES }),
  findTimedStatusesEndedBy: (store) => store.findTimedStatusesEndedBy(at(0), 10),
  writePresence: async (store) => {
    const user = (await store.findUserById('b')) as UserRecord;
    return store.writePresence('b', versionOf(user), {
      status: 'online', statusText: '', presenceText: null, presenceExpiresAt: at(60), lastSeenAt: at(4), presenceChangedAt: at(4), updatedAt: at(4),
      presenceSeen: { status: 'online', statusText: '', statusDefault: 'online', statusConnection: 'online' },
    });
  },
  renewPresence: async (store) => {
    const user = (await store.findUserById('b')) as UserRecord;
    return store.renewPresence('b', versionOf(user), { presenceExpiresAt: at(70), lastSeenAt: at(5), updatedAt: at(5) });
  },
  recordRocketChatChanges: async (store) => {
    const user = (await store.findUserById('b')) as UserRecord;
    return store.recordRocketChatChanges([{ userId: 'b', expected: versionOf(user), record: { presenceChangedAt: at(5), presenceSeen: rocketChatPresenceOf(user) } }]);
  },
  putConnection: (store) => store.putConnection({ id: 'c1', userId: 'b', hashedToken: 'b-token-1', kind: 'heartbeat', state: 'online', instanceId: null, clientRenewed: true, expiresAt: at(60), createdAt: at(0) }),
  setLease: (store) => store.setLease('c1', at(80)),
  connectionsOfUser: (store) => store.connectionsOfUser('b'),
  connectionsOfUsers: (store) => store.connectionsOfUsers(['a', 'b']),
  connectionsOfToken: (store) => store.connectionsOfToken('b-token-1'),
  renewConnections: (store) => store.renewConnections({ ids: ['c1'] }, at(90), at(1)),
  expiredConnections: (store) => store.expiredConnections(at(0), 10),
  removeConnections: (store) => store.removeConnections({ ids: ['c1'] }),
  renewInstance: (store) => store.renewInstance('i1', at(30)),
  deadInstances: (store) => store.deadInstances(at(0)),
  removeInstance: (store) => store.removeInstance('i1'),
  saveStreamTicket: (store) => store.saveStreamTicket({ hashedTicket: 't1', userId: 'a', hashedToken: 'a-token-2', expiresAt: at(30) }, at(0)),
  takeStreamTicket: (store) => store.takeStreamTicket('t1'),
  // At a cap of one, the second pushes the first out: every branch of a new window.
  countLoginAttempt: async (store) => {
    await store.countLoginAttempt('j', at(0), 60_000, 1);
    return store.countLoginAttempt('k', at(0), 60_000, 1);
  },
  forgetLoginAttempt: (store) => store.forgetLoginAttempt('k', at(1)),
};

const uri = mongoTestUri();
// Jest refuses a file without tests; CI always has a MongoDB (or the emulator).
if (uri === undefined) it.skip('needs MongoDB', () => undefined);

if (uri !== undefined) describe('MongoStore commands', () => {
  const url = new URL(uri);
  url.pathname = `/presence_commands_${randomBytes(6).toString('hex')}`;
  url.searchParams.set('monitorCommands', 'true');
  let store: MongoStore;
  let sent: Doc[] = [];

  beforeAll(async () => {
    store = await MongoStore.connect({ uri: url.toString(), operationTimeoutMs: OPERATION_TIMEOUT_MS, stampedWriteTimeoutMs: STAMPED_WRITE_TIMEOUT_MS, lateWriteWindowMs: 2_000 });
    const client = mongoose.connections.find((connection) => connection.name === url.pathname.slice(1))?.getClient();
    if (client === undefined) throw new Error('no client for the store');
    client.on('commandStarted', (event) => {
      if (DATA_COMMANDS.has(event.commandName)) sent.push(event.command as Doc);
    });
    await store.createUser(everyFieldUser('a'));
    await store.createUser(everyFieldUser('b'));
  });
  afterAll(async () => {
    await store.close();
    const admin = await mongoose.createConnection(url.toString()).asPromise();
    await admin.dropDatabase();
    await admin.close();
  });
  beforeEach(() => {
    sent = [];
  });

  it.each(Object.entries(EVERY_CALL))('%s sends every command with maxTimeMS', async (_name, call) => {
    await call(store);
    expect(sent.length).toBeGreaterThan(0);
    for (const command of sent) expect([OPERATION_TIMEOUT_MS, STAMPED_WRITE_TIMEOUT_MS]).toContain(command.maxTimeMS);
  });

  it('writes a login token, its pruning and lastLogin in one update', async () => {
    await store.addLoginToken('b', { when: at(9), hashedToken: 'b-token-3' }, at(9), ['b-token-1', 'b-token-2']);
    expect(sent.map((command) => Object.keys(command)[0])).toEqual(['update']);
    const login = await store.findUserByLogin('User.b');
    expect(login?.credentials?.loginTokens?.map((token) => token.hashedToken)).toEqual(['b-pat', 'b-token-3']);
    expect(login?.lastLogin).toEqual(at(9));
  });

  it("renews a presence, and a connection's lease, each in one command", async () => {
    const user = (await store.findUserById('a')) as UserRecord;
    sent = [];
    await store.renewPresence('a', versionOf(user), { presenceExpiresAt: at(75), lastSeenAt: at(10), updatedAt: at(10) });
    await store.setLease('c-none', at(75));
    expect(sent.map((command) => Object.keys(command)[0])).toEqual(['findAndModify', 'update']);
  });
});
