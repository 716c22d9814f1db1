import { PRESENT_STATUSES } from '../../src/domain/rules/status';
import { chmodSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import pino from 'pino';
import { loadConfig } from '../../src/config/loadConfig';
import { createStore } from '../../src/storage/createStore';
import path from 'node:path';
import Database from 'better-sqlite3';
import { rocketChatPresenceOf } from '../../src/domain/rules/rocketChatPresence';
import { DuplicateUserError } from '../../src/domain/ports/store';
import type { UserRecord } from '../../src/domain/ports/records';
import { DataFileError } from '../../src/storage/sqlite/dataFile';
import { APPLICATION_ID, migrate, SCHEMA_VERSION } from '../../src/storage/sqlite/schema';
import { SqliteStore, STATEMENTS } from '../../src/storage/sqlite/sqliteStore';
import { dataFileIn, writeDamagedDataFile, writeDataFileWithStaleUsernameIndex, writeOtherSqliteDatabase, writeTextFile } from '../support/dataFiles';
import { tempDataDir } from '../support/stores';
import { at, bareUser, everyFieldUser, withoutCredentials } from './support/users';

describe('SqliteStore, the embedded store', () => {
  let dataDir: ReturnType<typeof tempDataDir>;
  let store: SqliteStore;
  beforeEach(() => {
    dataDir = tempDataDir();
    store = SqliteStore.open({ dataDir: dataDir.dir });
  });
  afterEach(async () => {
    await store.close();
    dataDir.remove();
  });
  const reopen = async () => {
    await store.close();
    store = SqliteStore.open({ dataDir: dataDir.dir });
  };

  it('reads a user back as exactly the record stored: Dates as Dates, absent fields absent, arrays and objects whole', async () => {
    // Stored in mixed case, found in any.
    const full = everyFieldUser('full', { emails: [{ address: 'full@Example.com', verified: true }, { address: 'full.second@example.com', verified: false }] });
    const bare = bareUser('bare');
    await store.createUser(full);
    await store.createUser(bare);
    expect(await store.findUserById('full')).toStrictEqual(withoutCredentials(full));
    expect(await store.findUserById('bare')).toStrictEqual(bare);
    expect(await store.findUserByLogin('full.second@EXAMPLE.com')).toStrictEqual(full);
    expect(await store.findUserByLogin('FULL@example.COM')).toStrictEqual(full);
    expect(await store.findUserByLogin('bare')).toStrictEqual({ ...bare, credentials: { loginTokens: [] } });
    expect(await store.findUserByHashedToken('full-pat')).toStrictEqual({ ...withoutCredentials(full), credentials: { loginTokens: [{ hashedToken: 'full-pat', type: 'personalAccessToken' }] } });
  });

  it('keeps everything when the file is opened again: users, credentials, presences, change stamps, tickets, login counts', async () => {
    const user = everyFieldUser('kept', { status: 'offline', presenceExpiresAt: null, presenceChangedAt: null, presenceRevision: 0 });
    await store.createUser(user);
    const read = (await store.findUserById('kept')) as UserRecord;
    const written = await store.writePresence('kept', { presenceRevision: 0, rocketChat: rocketChatPresenceOf(read) }, {
      status: 'busy', statusText: 'call', presenceText: 'busy:call', presenceExpiresAt: at(900), lastSeenAt: at(1), presenceChangedAt: at(1),
      presenceSeen: { status: 'busy', statusText: 'call', statusDefault: 'online', statusConnection: 'online' }, updatedAt: at(1),
    });
    await store.addLoginToken('kept', { when: at(2), hashedToken: 'kept-token-3' }, at(2), ['kept-token-1']);
    await store.saveStreamTicket({ hashedTicket: 'ticket', userId: 'kept', hashedToken: 'kept-token-3', expiresAt: at(30) }, at(2));
    await store.countLoginAttempt('ip:127.0.0.1', at(2), 60_000, 100);
    const login = await store.findUserByLogin('kept@example.com');

    await reopen();

    expect(await store.findUserById('kept')).toStrictEqual({ ...written, lastLogin: at(2), updatedAt: at(2) });
    expect(await store.findUserByLogin('USER.KEPT')).toStrictEqual(login);
    expect(login?.credentials?.loginTokens?.map((token) => token.hashedToken)).toEqual(['kept-pat', 'kept-token-2', 'kept-token-3']);
    expect((await store.findUserByHashedToken('kept-token-3'))?.id).toBe('kept');
    expect((await store.findUsersChangedSince(at(1), at(3))).map((found) => found.id)).toEqual(['kept']);
    expect((await store.findPresentCandidates(at(3), PRESENT_STATUSES)).map((found) => found.id)).toEqual(['kept']);
    expect(await store.takeStreamTicket('ticket')).toEqual({ hashedTicket: 'ticket', userId: 'kept', hashedToken: 'kept-token-3', expiresAt: at(30) });
    expect(await store.countLoginAttempt('ip:127.0.0.1', at(3), 60_000, 100)).toEqual({ count: 2, resetAt: at(62) });
    await expect(store.createUser(bareUser('user.KEPT'))).rejects.toEqual(new DuplicateUserError('username'));
  });

  it('commits the writes asked for in one turn together, each with its own check and its own result', async () => {
    await store.createUser(bareUser('a'));
    const version = { presenceRevision: 0, rocketChat: rocketChatPresenceOf(bareUser('a')) };
    const presence = (statusText: string) => ({
      status: 'online' as const, statusText, presenceText: null, presenceExpiresAt: at(900), lastSeenAt: at(1), presenceChangedAt: at(1),
      presenceSeen: { status: 'online', statusText, statusDefault: null, statusConnection: null }, updatedAt: at(1),
    });
    const outcomes = await Promise.allSettled([
      store.writePresence('a', version, presence('first')),
      // Decided from the same read: the first write moved the revision on, so this one matches nothing.
      store.writePresence('a', version, presence('second')),
      store.createUser(bareUser('b')),
      store.createUser(bareUser('B')),
      store.countLoginAttempt('k', at(1), 60_000, 100),
    ]);
    expect(outcomes).toEqual([
      { status: 'fulfilled', value: expect.objectContaining({ statusText: 'first', presenceRevision: 1 }) },
      { status: 'fulfilled', value: null },
      { status: 'fulfilled', value: undefined },
      { status: 'rejected', reason: new DuplicateUserError('username') },
      { status: 'fulfilled', value: { count: 1, resetAt: at(61) } },
    ]);
    await reopen();
    expect(await store.findUserById('a')).toMatchObject({ statusText: 'first', presenceRevision: 1 });
    expect((await store.findUserByUsername('b'))?.id).toBe('b');
  });

  it('renews a round\'s streams in writes of 500, each committed before the next, so the event loop turns between them', async () => {
    const commits: number[] = [];
    await store.close();
    store = SqliteStore.open({ dataDir: dataDir.dir, onCommit: (report) => commits.push(report.writes) });
    await store.createUser(bareUser('a'));
    const ids = Array.from({ length: 1201 }, (_, k) => `s${k}`);
    await Promise.all(ids.map((id) => store.putConnection({ id, userId: 'a', hashedToken: 'a-token', kind: 'stream', state: 'online', instanceId: 'i1', clientRenewed: false, expiresAt: at(10), createdAt: at(0) })));
    commits.length = 0;
    let turns = 0;
    const turning = setInterval(() => (turns += 1), 0);

    const renewed = await store.renewConnections({ instanceId: 'i1', dueBefore: at(20) }, at(35), at(5));
    clearInterval(turning);

    expect(renewed).toBe(1201);
    expect(commits).toEqual([1, 1, 1]);
    expect(turns).toBeGreaterThanOrEqual(2);
    const connections = await store.connectionsOfUser('a');
    expect(connections).toHaveLength(1201);
    expect(connections.every((connection) => connection.expiresAt.getTime() === at(35).getTime())).toBe(true);
  });

  describe('the records it keeps in memory', () => {
    const presence = (statusText: string, second: number) => ({
      status: 'online' as const, statusText, presenceText: null, presenceExpiresAt: at(900), lastSeenAt: at(second), presenceChangedAt: at(second),
      presenceSeen: { status: 'online', statusText, statusDefault: null, statusConnection: null }, updatedAt: at(second),
    });
    const versionOfUser = (user: UserRecord) => ({ presenceRevision: user.presenceRevision, rocketChat: rocketChatPresenceOf(user) });
    /** What every finder of this store says of `id`, to compare with what a store that keeps nothing yet reads from the file. */
    const everyFinder = async (id: string) => ({
      byId: await store.findUserById(id),
      byUsername: await store.findUserByUsername(`user.${id}`),
      byIds: await store.findUsersByIds([id, 'nobody']),
      changed: (await store.findUsersChangedSince(at(0), at(10))).filter((user) => user.id === id),
      present: (await store.findPresentCandidates(at(10), PRESENT_STATUSES)).filter((user) => user.id === id),
    });
    const fromTheFile = async (id: string) => {
      await reopen();
      return everyFinder(id);
    };

    it('are what the file holds after each kind of write, whichever finder read the user before', async () => {
      await store.createUser(everyFieldUser('a'));
      const created = (await everyFinder('a')).byId as UserRecord;
      const versionOf = (user: UserRecord) => ({ presenceRevision: user.presenceRevision, rocketChat: rocketChatPresenceOf(user) });
      const first = (await store.writePresence('a', versionOf(created), presence('first', 1))) as UserRecord;
      const seen = await everyFinder('a');
      expect(seen.byId).toStrictEqual(first);
      expect(seen.present).toStrictEqual([first]);
      await store.addLoginToken('a', { hashedToken: 'new-token', when: at(2) }, at(2), []);
      const afterLogin = await everyFinder('a');
      expect(afterLogin.byId?.lastLogin).toEqual(at(2));
      expect(afterLogin).toStrictEqual(await fromTheFile('a'));
      await everyFinder('a');
      await store.recordRocketChatChanges([{
        userId: 'a',
        expected: versionOf(first),
        record: { presenceChangedAt: at(3), presenceSeen: { status: 'online', statusText: 'first', statusDefault: null, statusConnection: null } },
      }]);
      const afterRocketChat = await everyFinder('a');
      expect(afterRocketChat.byId).toMatchObject({ presenceRevision: first.presenceRevision + 1, presenceChangedAt: at(3), presenceExpiresAt: null });
      expect(afterRocketChat).toStrictEqual(await fromTheFile('a'));
    });

    /** Each method of the store that writes, once, on the user 'a' (everyFieldUser, present until 900 s) where it can. */
    const WRITES: Record<string, (store: SqliteStore) => Promise<unknown>> = {
      createUser: (store) => store.createUser(everyFieldUser('n')),
      addLoginToken: (store) => store.addLoginToken('a', { when: at(5), hashedToken: 'a-token-3' }, at(5), ['a-token-1']),
      removeLoginToken: (store) => store.removeLoginToken('a', 'a-token-1'),
      removeLoginTokens: (store) => store.removeLoginTokens('a', { keepPersonalAccessTokens: false }),
      updateAccount: async (store) => store.updateAccount('a', versionOfUser((await store.findUserById('a')) as UserRecord), { name: 'Renamed', presenceChangedAt: at(5), updatedAt: at(5) }),
      removeUser: (store) => store.removeUser({ userId: 'a', username: 'User.a', name: 'Name a', utcOffset: 0, removedAt: at(5), forgetAt: at(600) }),
      writePresence: async (store) => store.writePresence('a', versionOfUser((await store.findUserById('a')) as UserRecord), presence('written', 5)),
      renewPresence: async (store) => store.renewPresence('a', versionOfUser((await store.findUserById('a')) as UserRecord), { presenceExpiresAt: at(950), lastSeenAt: at(5), updatedAt: at(5) }),
      recordRocketChatChanges: async (store) => {
        const user = (await store.findUserById('a')) as UserRecord;
        return store.recordRocketChatChanges([{ userId: 'a', expected: versionOfUser(user), record: { presenceChangedAt: at(5), presenceSeen: rocketChatPresenceOf(user) } }]);
      },
      putConnection: (store) => store.putConnection({ ...CONNECTION, id: 'c2' }),
      setLease: (store) => store.setLease('c1', at(90)),
      removeConnections: (store) => store.removeConnections({ ids: ['c1'] }),
      renewConnections: (store) => store.renewConnections({ ids: ['c1'] }, at(1000), at(5)),
      renewInstance: (store) => store.renewInstance('i1', at(30)),
      removeInstance: (store) => store.removeInstance('i1'),
      saveStreamTicket: (store) => store.saveStreamTicket({ hashedTicket: 't1', userId: 'a', hashedToken: 'a-token-2', expiresAt: at(30) }, at(5)),
      takeStreamTicket: (store) => store.takeStreamTicket('t1'),
      countLoginAttempt: (store) => store.countLoginAttempt('k', at(5), 60_000, 100),
      forgetLoginAttempt: (store) => store.forgetLoginAttempt('k', at(5)),
    };
    /** The store's other methods: they write nothing. */
    const READS = [
      'findUserById', 'findUserByUsername', 'findUsersByIds', 'findUserByLogin', 'findUserByHashedToken', 'findTokenHolders', 'countTokensOfActiveUsers',
      'findPresentCandidates', 'findUsersChangedSince', 'findUsersRemovedSince', 'findUsersUpdatedSince', 'findUnrecordedRocketChatPresences',
      'findTimedStatusesEndedBy', 'listUsers', 'countActiveAdmins', 'connectionsOfUser', 'connectionsOfUsers', 'connectionsOfToken',
      'expiredConnections', 'deadInstances', 'ping', 'close',
    ];
    const CONNECTION = { id: 'c1', userId: 'a', hashedToken: 'a-token-2', kind: 'heartbeat' as const, state: 'online' as const, instanceId: null, clientRenewed: true, expiresAt: at(60), createdAt: at(0) };

    it('are listed below for every method of the store, as a write or a read', () => {
      const methods = Object.getOwnPropertyNames(SqliteStore.prototype).filter((name) => name !== 'constructor');
      expect([...Object.keys(WRITES), ...READS].sort()).toEqual(methods.sort());
    });

    it.each(Object.entries(WRITES))('are what the file holds after %s, whichever finder read the user before', async (_name, write) => {
      await store.createUser(everyFieldUser('a'));
      await store.putConnection(CONNECTION);
      await everyFinder('a');
      await write(store);
      const seen = { a: await everyFinder('a'), n: await everyFinder('n') };
      expect(seen).toStrictEqual({ a: await fromTheFile('a'), n: await everyFinder('n') });
    });

    it('are what the file holds after a renewal of a user not kept (read back, not made from the kept record)', async () => {
      await store.createUser(everyFieldUser('a'));
      await reopen();
      const renewed = await store.renewPresence('a', versionOfUser(withoutCredentials(everyFieldUser('a'))), { presenceExpiresAt: at(950), lastSeenAt: at(5), updatedAt: at(5) });
      expect(renewed).toStrictEqual({ ...withoutCredentials(everyFieldUser('a')), presenceExpiresAt: at(950), lastSeenAt: at(5), updatedAt: at(5), presenceRevision: 8 });
      const seen = await everyFinder('a');
      expect(seen.byId).toStrictEqual(renewed);
      expect(seen).toStrictEqual(await fromTheFile('a'));
    });

    it('keep at most their cap, and a user let go is read again, whole', async () => {
      await store.close();
      store = SqliteStore.open({ dataDir: dataDir.dir, maxKeptRecords: 2 });
      for (const id of ['a', 'b', 'c']) await store.createUser(everyFieldUser(id));
      // Three read (and kept) for a cap of two, then all three again: the one let go is read from the file again.
      for (let reading = 0; reading < 2; reading += 1) {
        const found = await store.findUsersByIds(['c', 'a', 'b', 'a']);
        expect(found).toStrictEqual(['a', 'b', 'c'].map((id) => withoutCredentials(everyFieldUser(id))));
      }
    });

    it('are handed out frozen: one finder\'s caller cannot change what the next one gets', async () => {
      await store.createUser(everyFieldUser('a'));
      const record = (await store.findUserById('a')) as UserRecord;
      expect(() => {
        record.status = 'busy';
      }).toThrow(TypeError);
      expect(() => record.roles.push('admin')).toThrow(TypeError);
      expect(await store.findUserById('a')).toStrictEqual(withoutCredentials(everyFieldUser('a')));
    });
  });

  it('forgets the stream tickets expired by the time a later one is saved', async () => {
    const ticket = (name: string, issuedAt: Date) => ({ hashedTicket: name, userId: 'u', hashedToken: 'token', expiresAt: new Date(issuedAt.getTime() + 30_000) });
    await store.saveStreamTicket(ticket('first', at(0)), at(0));
    await store.saveStreamTicket(ticket('second', at(10)), at(10));
    // 'first' expired at 30 s: a ticket saved at 31 s deletes it, and leaves 'second' (valid until 40 s).
    await store.saveStreamTicket(ticket('third', at(31)), at(31));
    expect(await store.takeStreamTicket('first')).toBeNull();
    expect(await store.takeStreamTicket('second')).toEqual(ticket('second', at(10)));
    expect(await store.takeStreamTicket('third')).toEqual(ticket('third', at(31)));
  });

  it('runs every query through an index, never a scan of a whole table', () => {
    const db = new Database(':memory:');
    migrate(db, 0);
    const plans = Object.entries(STATEMENTS).map(([name, sql]) => {
      const named = [...sql.matchAll(/@(\w+)/g)].map((match) => match[1]);
      const explain = db.prepare(`EXPLAIN QUERY PLAN ${sql}`);
      const rows = (named.length > 0 ? explain.all(Object.fromEntries(named.map((param) => [param, 1]))) : explain.all(...(sql.match(/\?/g) ?? []).map(() => 1))) as { detail: string }[];
      return { name, steps: rows.map((row) => row.detail) };
    });
    db.close();
    expect(plans.length).toBe(Object.keys(STATEMENTS).length);
    const tableStepsOf = (steps: string[]) => steps.filter((step) => /^(SCAN|SEARCH) (?!json_each|CONSTANT)/.test(step));
    // Every statement that looks rows up does so in at least one step: all but the plain inserts and the ping.
    expect(plans.filter(({ steps }) => tableStepsOf(steps).length === 0).map(({ name }) => name)).toEqual(['insertUser', 'insertEmail', 'insertToken', 'insertRemovedUser', 'insertTicket', 'insertAttempts', 'putConnection', 'renewInstance', 'ping']);
    const tableSteps = plans.flatMap(({ name, steps }) => tableStepsOf(steps).map((step) => `${name}: ${step}`));
    // A SEARCH goes through a key or an index; the one SCAN allowed reads the first entry of an index (LIMIT 1);
    // users.list reads a page in username order and counts the users (an admin's call, over the smallest index).
    expect(tableSteps.filter((step) => !/ SEARCH \w+ USING (INDEX|PRIMARY KEY|COVERING INDEX) /.test(` ${step.split(': ')[1]} `))).toEqual([
      'usersByUsername: SCAN users USING INDEX users_by_username',
      'countUsers: SCAN users USING COVERING INDEX users_by_username',
      'deleteFirstEndingAttempt: SCAN login_attempts USING COVERING INDEX login_attempts_by_reset',
    ]);
    // The present users without an expiry: the statuses asked for, in a partial index of the users without one.
    expect(tableSteps).toContain('presentWithoutExpiry: SEARCH users USING INDEX users_by_status_without_expiry (status=?)');
  });
});

describe('the data file', () => {
  let dataDir: ReturnType<typeof tempDataDir>;
  beforeEach(() => {
    dataDir = tempDataDir();
  });
  afterEach(() => dataDir.remove());
  const open = () => SqliteStore.open({ dataDir: dataDir.dir });
  const refusal = (): DataFileError => {
    try {
      open();
    } catch (error) {
      return error as DataFileError;
    }
    throw new Error('the store opened');
  };

  it('is created with its directory (mode 0700), marked as this service\'s, at the current schema version', async () => {
    const dir = path.join(dataDir.dir, 'nested', 'data');
    const store = SqliteStore.open({ dataDir: dir });
    await store.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const db = new Database(dataFileIn(dir), { readonly: true });
    expect([db.pragma('application_id', { simple: true }), db.pragma('user_version', { simple: true }), db.pragma('journal_mode', { simple: true })]).toEqual([APPLICATION_ID, SCHEMA_VERSION, 'wal']);
    db.close();
  });

  describe('holds password and token hashes: its files are its owner\'s alone (0600)', () => {
    const modeOf = (file: string) => statSync(file).mode & 0o777;
    let umask: number;
    beforeEach(() => {
      umask = process.umask();
    });
    afterEach(() => {
      process.umask(umask);
    });

    it.each([
      ['a directory of mode 0755 under umask 022', 0o755, 0o022],
      ['a directory of mode 0777 under umask 000', 0o777, 0o000],
      ['a directory of mode 0700 under umask 077', 0o700, 0o077],
    ])('the file and its write-ahead log, created in %s', async (_name, dirMode, mask) => {
      process.umask(mask);
      const dir = path.join(dataDir.dir, 'shared');
      mkdirSync(dir);
      chmodSync(dir, dirMode);
      const store = SqliteStore.open({ dataDir: dir });
      try {
        await store.createUser(bareUser('written'));
        expect(modeOf(dataFileIn(dir))).toBe(0o600);
        expect(modeOf(`${dataFileIn(dir)}-wal`)).toBe(0o600);
        // Exclusive locking keeps the log's index in memory: no -shm file for others to read.
        expect(existsSync(`${dataFileIn(dir)}-shm`)).toBe(false);
      } finally {
        await store.close();
      }
    });

    it('a file of this service found readable by others (an earlier version made it 0644) is made 0600 before it is opened, and so are its new log and index', async () => {
      process.umask(0o022);
      const first = open();
      await first.createUser(bareUser('kept'));
      await first.close();
      chmodSync(dataFileIn(dataDir.dir), 0o644);
      // SQLite creates the log and its index at the first read, with the data file's mode as it is then.
      for (const suffix of ['-wal', '-shm']) rmSync(`${dataFileIn(dataDir.dir)}${suffix}`, { force: true });
      const second = open();
      try {
        expect(modeOf(dataFileIn(dataDir.dir))).toBe(0o600);
        expect(modeOf(`${dataFileIn(dataDir.dir)}-wal`)).toBe(0o600);
        await second.createUser(bareUser('more'));
        expect(modeOf(`${dataFileIn(dataDir.dir)}-wal`)).toBe(0o600);
        expect((await second.findUserById('kept'))?.id).toBe('kept');
      } finally {
        await second.close();
      }
    });

    it('a file, log and index found readable by others are made 0600 before the file is opened, even when it is then refused', async () => {
      process.umask(0o022);
      const first = open();
      await first.createUser(bareUser('kept'));
      await first.close();
      const file = dataFileIn(dataDir.dir);
      const later = new Database(file);
      later.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      later.close();
      chmodSync(file, 0o644);
      // A log's index left behind readable by others (by the sqlite3 shell, which does not lock exclusively).
      writeFileSync(`${file}-shm`, '');
      chmodSync(`${file}-shm`, 0o644);
      // Refused after its first read (which made a log, with the data file's mode then, removed again on close).
      expect(refusal().message).toContain('was written by a later version of this service');
      expect([modeOf(file), modeOf(`${file}-shm`)]).toEqual([0o600, 0o600]);
    });

    it('start-up warns of a DATA_DIR other users can read or enter, and only of that', async () => {
      const lines: string[] = [];
      const logger = pino({ level: 'info' }, new Writable({
        write(chunk: Buffer, _encoding, done) {
          lines.push(String(chunk));
          done();
        },
      }));
      const warnings = () => lines.map((line) => JSON.parse(line) as { level: number; msg: string; dataDir: string });
      const expected: Record<number, (dir: string) => string> = {
        0o755: (dir) => `DATA_DIR ${dir} is readable by other users (mode 0755): restrict it (chmod 700) so that only the service's user can list it or read what is put there`,
        0o711: (dir) => `DATA_DIR ${dir} can be entered by other users (mode 0711): restrict it (chmod 700) so that they cannot open a copy of the data file put there under a name they can guess`,
      };
      for (const mode of [0o755, 0o711, 0o750, 0o710, 0o700]) {
        lines.length = 0;
        const dir = path.join(dataDir.dir, `dir-${mode.toString(8)}`);
        mkdirSync(dir);
        chmodSync(dir, mode);
        const store = await createStore(loadConfig({ DATA_DIR: dir }), logger);
        await store.close();
        const message = expected[mode];
        expect(warnings()).toEqual(message !== undefined ? [expect.objectContaining({ level: 40, dataDir: dir, msg: message(dir) })] : []);
      }
    });
  });

  it('refuses a file that is not a database, naming it', () => {
    writeTextFile(dataDir.dir);
    const error = refusal();
    expect(error).toBeInstanceOf(DataFileError);
    expect(error.message).toBe(`${dataFileIn(dataDir.dir)} is not a database of this service (not a SQLite database: file is not a database); move it away or set DATA_DIR elsewhere`);
  });

  it.each([
    ['without an application id', 0, 'application_id 0'],
    ['with another application id', 0x12345678, `application_id ${0x12345678}`],
  ])('refuses another program\'s SQLite database (%s), and leaves it as it was', (_what, applicationId, named) => {
    writeOtherSqliteDatabase(dataDir.dir, applicationId);
    const before = statSync(dataFileIn(dataDir.dir));
    expect(refusal().message).toBe(`${dataFileIn(dataDir.dir)} is not a database of this service (${named}, not ${APPLICATION_ID}); move it away or set DATA_DIR elsewhere`);
    const after = statSync(dataFileIn(dataDir.dir));
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
  });

  it('migrates a file of schema 1 at start-up: its users are kept, and connections and timed statuses work', async () => {
    const db = new Database(dataFileIn(dataDir.dir));
    db.pragma('journal_mode = WAL');
    migrate(db, 0, 1);
    db.prepare(`INSERT INTO users (id, username, username_key, name, utc_offset, active, roles, status, status_text, presence_revision, created_at)
      VALUES ('u1', 'Old', 'old', 'Old Timer', 0, 1, '["user"]', 'offline', '', 0, 0)`).run();
    db.close();
    const store = open();
    try {
      expect(await store.findUserById('u1')).toEqual(expect.objectContaining({ id: 'u1', username: 'Old', status: 'offline' }));
      expect((await store.findUserById('u1'))?.statusExpiresAt).toBeUndefined();
      // Schema 3's columns: absent for a user made before them.
      expect(await store.findUserById('u1')).not.toHaveProperty('requirePasswordChange');
      expect(await store.findUserById('u1')).not.toHaveProperty('customFields');
      const connection = { id: 'c1', userId: 'u1', hashedToken: 'h1', kind: 'heartbeat' as const, state: 'online' as const, instanceId: null, clientRenewed: true, expiresAt: new Date(60_000), createdAt: new Date(0) };
      await store.putConnection(connection);
      expect(await store.connectionsOfUser('u1')).toEqual([connection]);
      expect(await store.findTimedStatusesEndedBy(new Date(0), 10)).toEqual([]);
    } finally {
      await store.close();
    }
    const after = new Database(dataFileIn(dataDir.dir), { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    after.close();
  });

  it('refuses a file written by a later schema version', async () => {
    await open().close();
    const db = new Database(dataFileIn(dataDir.dir));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(refusal().message).toBe(`${dataFileIn(dataDir.dir)} was written by a later version of this service (schema ${SCHEMA_VERSION + 1}; this one knows up to ${SCHEMA_VERSION})`);
  });

  it('refuses a damaged file, naming it, rather than start afresh', async () => {
    await writeDamagedDataFile(dataDir.dir);
    expect(refusal().message).toMatch(new RegExp(`^${dataFileIn(dataDir.dir).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is damaged \\(.+\\); restore it from a backup or move it away$`));
  });

  it('refuses a file whose unique index on usernames disagrees with its table, which quick_check passes', async () => {
    await writeDataFileWithStaleUsernameIndex(dataDir.dir, 'admin');
    const db = new Database(dataFileIn(dataDir.dir), { readonly: true });
    // What the service would have met: the admin in the table, the index not finding him (so start-up would create
    // a second one), and quick_check content.
    expect(db.prepare('SELECT username FROM users').pluck().all()).toEqual(['admin']);
    expect(db.prepare("SELECT count(*) FROM users INDEXED BY sqlite_autoindex_users_2 WHERE username_key = 'admin'").pluck().get()).toBe(0);
    expect(db.pragma('quick_check', { simple: true })).toBe('ok');
    db.close();
    expect(refusal().message).toBe(`${dataFileIn(dataDir.dir)} is damaged (integrity_check: row 1 missing from index sqlite_autoindex_users_2); restore it from a backup or move it away`);
  });

  it('refuses a second opening while the first holds the file, and opens once the first has closed', async () => {
    const first = open();
    await first.createUser(bareUser('held'));
    expect(refusal().message).toBe(`${dataFileIn(dataDir.dir)} is in use by another process (another instance of this service on the same DATA_DIR?); only one process may use a data file`);
    await first.close();
    const second = open();
    expect((await second.findUserById('held'))?.id).toBe('held');
    await second.close();
  });
});
