import { DuplicateUserError } from '../../src/domain/ports/store';
import { rocketChatPresenceOf } from '../../src/domain/rules/rocketChatPresence';
import type { PresenceWrite, UserRecord } from '../../src/domain/ports/records';
import { storeKinds, type StoreKind } from '../support/stores';

const T0 = new Date('2026-01-15T12:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

let counter = 0;
function aUser(fields: Partial<UserRecord> = {}): UserRecord {
  counter += 1;
  return {
    _id: `user${counter}id`,
    username: `user${counter}`,
    name: `User ${counter}`,
    utcOffset: 0,
    active: true,
    roles: ['user'],
    status: 'offline',
    statusText: '',
    presenceText: null,
    presenceExpiresAt: null,
    lastSeenAt: null,
    presenceChangedAt: null,
    presenceRevision: 0,
    createdAt: T0,
    services: { password: { bcrypt: '$2b$10$hash' }, resume: { loginTokens: [] } },
    ...fields,
  };
}

/** The version a write read: the revision and Rocket.Chat's fields of `user` as stored. */
const versionOf = (user: UserRecord) => ({ presenceRevision: user.presenceRevision, rocketChat: rocketChatPresenceOf(user) });

/** Every PresenceStore behaves the same: the embedded store here, MongoDB in production. */
describe.each(storeKinds())('PresenceStore contract ($name store)', (kind: StoreKind) => {
  let store: Awaited<ReturnType<StoreKind['create']>>;
  beforeEach(async () => {
    store = await kind.create();
  });
  afterEach(() => store.dispose());

  /** A presence write as the domain makes one: `status` until `expiresAt`, stamped `changedAt`. */
  const presenceWrite = (expiresAt: Date | null, changedAt: Date, fields: Partial<PresenceWrite> = {}): PresenceWrite => {
    const presence = { status: 'online' as const, statusText: '', presenceText: null, presenceExpiresAt: expiresAt, lastSeenAt: T0, ...fields };
    return { ...presence, presenceSeen: { status: presence.status, statusText: presence.statusText, statusDefault: null, statusConnection: null }, presenceChangedAt: changedAt, updatedAt: changedAt, ...fields };
  };
  /** Writes through the store as the domain does: at the version just read. */
  const write = async (userId: string, expiresAt: Date | null, changedAt: Date, fields: Partial<PresenceWrite> = {}) => {
    const current = (await store.findUserById(userId)) as UserRecord;
    return store.writePresence(userId, versionOf(current), presenceWrite(expiresAt, changedAt, fields));
  };

  describe('users and credentials', () => {
    it('finds a created user by id, username, email and token hash', async () => {
      const user = aUser({ emails: [{ address: 'ann@example.com', verified: true }], services: { resume: { loginTokens: [{ when: T0, hashedToken: 'hash-1' }] } } });
      await store.createUser(user);
      expect((await store.findUserById(user._id))?.username).toBe(user.username);
      expect((await store.findUserByUsername(user.username))?._id).toBe(user._id);
      expect((await store.findUserByLogin('ann@example.com'))?._id).toBe(user._id);
      expect((await store.findUserByLogin(user.username))?._id).toBe(user._id);
      expect((await store.findUserByHashedToken('hash-1'))?._id).toBe(user._id);
      expect(await store.findUserById('nobody')).toBeNull();
      expect(await store.findUserByHashedToken('hash-2')).toBeNull();
    });

    it('finds a username in any letter case, and refuses another that differs only in case', async () => {
      const user = aUser({ username: 'Admin' });
      await store.createUser(user);
      expect((await store.findUserByUsername('admin'))?._id).toBe(user._id);
      expect((await store.findUserByUsername('ADMIN'))?._id).toBe(user._id);
      expect((await store.findUserByLogin('aDmIn'))?._id).toBe(user._id);
      await expect(store.createUser(aUser({ username: 'ADMIN' }))).rejects.toEqual(new DuplicateUserError('username'));
    });

    it('refuses a second user with the same username or email', async () => {
      await store.createUser(aUser({ username: 'taken', emails: [{ address: 'a@example.com', verified: false }] }));
      await expect(store.createUser(aUser({ username: 'taken' }))).rejects.toEqual(new DuplicateUserError('username'));
      await expect(store.createUser(aUser({ emails: [{ address: 'a@example.com', verified: false }] }))).rejects.toEqual(new DuplicateUserError('email'));
    });

    it('never hands out credentials from a finder that does not need them', async () => {
      const user = aUser({ status: 'online', services: { password: { bcrypt: '$2b$10$secret' }, resume: { loginTokens: [{ when: T0, hashedToken: 'tok' }] } } });
      await store.createUser(user);
      const written = await write(user._id, at(900), at(1));
      const reads: (UserRecord | null)[] = [
        written,
        await store.findUserById(user._id),
        await store.findUserByUsername(user.username),
        ...(await store.findUsersByIds([user._id])),
        ...(await store.findPresentCandidates(at(2))),
        ...(await store.findUsersChangedSince(at(0), at(2))),
      ];
      expect(reads).toHaveLength(6);
      for (const read of reads) expect(read?.services).toBeUndefined();
    });

    it('gives a login the password hash and every login token', async () => {
      const tokens = [{ when: at(-30), hashedToken: 'one' }, { when: at(-10), hashedToken: 'two' }];
      const user = aUser({ services: { password: { bcrypt: '$2b$10$secret' }, resume: { loginTokens: tokens } } });
      await store.createUser(user);
      expect((await store.findUserByLogin(user.username))?.services).toEqual({ password: { bcrypt: '$2b$10$secret' }, resume: { loginTokens: tokens } });
    });

    it('finds users by token hash as true records, each with only the matching tokens and no password hash', async () => {
      const user = aUser({
        emails: [{ address: 'tok@example.com', verified: true }], statusText: 'here', avatarETag: 'av1', lastLogin: at(-60),
        services: { password: { bcrypt: '$2b$10$secret' }, resume: { loginTokens: [{ when: at(-30), hashedToken: 'older' }, { when: at(-10), hashedToken: 'wanted' }, { when: at(-5), hashedToken: 'newer' }] } },
      });
      await store.createUser(user);
      const record = (await store.findUserById(user._id)) as UserRecord;
      const found = await store.findUserByHashedToken('wanted');
      expect(found).toEqual({ ...record, services: { resume: { loginTokens: [{ when: at(-10), hashedToken: 'wanted' }] } } });
      const inBulk = await store.findUsersByHashedTokens(['wanted', 'newer', 'unknown']);
      expect(inBulk).toEqual([{ ...record, services: { resume: { loginTokens: [{ when: at(-10), hashedToken: 'wanted' }, { when: at(-5), hashedToken: 'newer' }] } } }]);
    });

    it('adds a login token, sets lastLogin, and removes the tokens a login prunes and a logout revokes', async () => {
      const user = aUser({ services: { resume: { loginTokens: [{ when: at(-300), hashedToken: 'pruned' }, { when: at(-50), hashedToken: 'kept' }] } } });
      await store.createUser(user);
      await store.createUser(aUser({ services: { resume: { loginTokens: [{ when: at(-300), hashedToken: 'someone-elses' }] } } }));
      await store.addLoginToken(user._id, { when: at(0), hashedToken: 'new' }, at(0), ['pruned', 'someone-elses']);
      expect((await store.findUserByLogin(user.username))?.services?.resume?.loginTokens.map((token) => token.hashedToken)).toEqual(['kept', 'new']);
      expect(await store.findUserByHashedToken('pruned')).toBeNull();
      expect((await store.findUserByHashedToken('new'))?._id).toBe(user._id);
      expect((await store.findUserById(user._id))?.lastLogin).toEqual(at(0));
      expect(await store.findUserByHashedToken('someone-elses')).not.toBeNull();
      await store.removeLoginToken(user._id, 'kept');
      expect(await store.findUserByHashedToken('kept')).toBeNull();
      expect((await store.findUserByHashedToken('new'))?._id).toBe(user._id);
    });
  });

  describe('presence writes', () => {
    it('writes a presence with its change stamp in one write, moves the revision on and returns the written user', async () => {
      const user = aUser();
      await store.createUser(user);
      const written = await write(user._id, at(900), at(1), { statusText: 'hi', presenceText: ' hi ' });
      const expected = {
        _id: user._id, status: 'online', statusText: 'hi', presenceText: ' hi ', presenceExpiresAt: at(900), lastSeenAt: T0, presenceChangedAt: at(1),
        presenceRevision: 1, _updatedAt: at(1), presenceSeen: { status: 'online', statusText: 'hi', statusDefault: null, statusConnection: null },
      };
      expect(written).toMatchObject(expected);
      expect(await store.findUserById(user._id)).toMatchObject(expected);
    });

    it('refuses a write made from a stale read, and one for an unknown user, changing nothing', async () => {
      const user = aUser();
      await store.createUser(user);
      const read = (await store.findUserById(user._id)) as UserRecord;
      await store.writePresence(user._id, versionOf(read), presenceWrite(at(900), at(1), { statusText: 'first' }));
      expect(await store.writePresence(user._id, versionOf(read), presenceWrite(at(900), at(2), { statusText: 'stale' }))).toBeNull();
      expect(await store.findUserById(user._id)).toMatchObject({ statusText: 'first', presenceRevision: 1, presenceChangedAt: at(1) });
      expect(await write(user._id, at(900), at(3), { statusText: 'second' })).toMatchObject({ statusText: 'second', presenceRevision: 2 });
      expect(await store.writePresence('nobody', versionOf(read), presenceWrite(at(900), at(1)))).toBeNull();
    });

    it('refuses a write decided from other Rocket.Chat fields than the stored ones (Rocket.Chat wrote in between)', async () => {
      const user = aUser({ status: 'away', statusDefault: 'away', statusConnection: 'online' });
      await store.createUser(user);
      const stale = { presenceRevision: 0, rocketChat: { status: 'online', statusText: '', statusDefault: 'online', statusConnection: 'online' } };
      expect(await store.writePresence(user._id, stale, presenceWrite(at(900), at(1)))).toBeNull();
      expect(await write(user._id, at(900), at(1))).toMatchObject({ status: 'online', presenceRevision: 1 });
    });

    it('records a presence Rocket.Chat wrote: the stamp and the fields seen, no expiry or pnut string, _updatedAt untouched', async () => {
      const user = aUser({ status: 'busy', statusText: 'call', statusDefault: 'busy', statusConnection: 'online', _updatedAt: at(-5) });
      await store.createUser(user);
      await write(user._id, at(900), at(1), { presenceText: 'mine' });
      const current = (await store.findUserById(user._id)) as UserRecord;
      const seen = { status: 'online', statusText: '', statusDefault: 'busy', statusConnection: 'online' };
      const recorded = await store.recordRocketChatChange(user._id, versionOf(current), { presenceChangedAt: at(2), presenceSeen: seen });
      const expected = { presenceChangedAt: at(2), presenceSeen: seen, presenceExpiresAt: null, presenceText: null, presenceRevision: 2, _updatedAt: at(1) };
      expect(recorded).toMatchObject(expected);
      expect(await store.findUserById(user._id)).toMatchObject(expected);
      expect(await store.recordRocketChatChange(user._id, versionOf(current), { presenceChangedAt: at(3), presenceSeen: seen })).toBeNull();
    });
  });

  describe('finding presences and changes', () => {
    it('lists the candidates for the present list: presences that expire after now, and present users without an expiry', async () => {
      const [current, expired, never, rocketChats] = [aUser(), aUser(), aUser(), aUser({ status: 'away' })];
      for (const user of [current, expired, never, rocketChats]) await store.createUser(user);
      await write(current._id, at(100), T0);
      await write(expired._id, at(10), T0);
      const ids = (await store.findPresentCandidates(at(10))).map((user) => user._id).sort();
      expect(ids).toEqual([current._id, rocketChats._id].sort());
    });

    const idsChangedSince = async (since: Date, now: Date) => (await store.findUsersChangedSince(since, now)).map((user) => user._id).sort();

    it('lists the candidates for a delta: change stamps at or after `since`, two in the same millisecond included', async () => {
      const [a, b, c] = [aUser(), aUser(), aUser()];
      for (const user of [a, b, c]) await store.createUser(user);
      await write(a._id, at(900), at(1));
      await write(b._id, at(900), at(5));
      await write(c._id, at(900), at(5));
      expect(await idsChangedSince(at(1), at(6))).toEqual([a._id, b._id, c._id].sort());
      expect(await idsChangedSince(at(2), at(6))).toEqual([b._id, c._id].sort());
      expect(await idsChangedSince(at(6), at(6))).toEqual([]);
    });

    it('finds a user by the latest stamp only, after it moved on', async () => {
      const user = aUser();
      await store.createUser(user);
      await write(user._id, at(900), at(1));
      await write(user._id, at(900), at(8));
      expect(await idsChangedSince(at(5), at(9))).toEqual([user._id]);
      expect(await idsChangedSince(at(9), at(9))).toEqual([]);
    });

    it('lists a presence expiring inside [since, now] as a candidate, and not before it expires', async () => {
      const user = aUser();
      await store.createUser(user);
      await write(user._id, at(60), at(0));
      expect(await idsChangedSince(at(30), at(59))).toEqual([]);
      expect(await idsChangedSince(at(30), at(60))).toEqual([user._id]);
      expect(await idsChangedSince(at(61), at(90))).toEqual([]);
    });

    it('forgets an expiry that a renewal replaced', async () => {
      const user = aUser();
      await store.createUser(user);
      await write(user._id, at(60), at(0));
      await write(user._id, at(120), at(0));
      expect(await idsChangedSince(at(30), at(90))).toEqual([]);
    });

    it('does not list an offline (invisible) user for an expiry: going invisible ended the presence', async () => {
      const user = aUser({ status: 'offline', presenceExpiresAt: at(60) });
      await store.createUser(user);
      expect(await idsChangedSince(at(30), at(90))).toEqual([]);
    });
  });

  describe('login attempts', () => {
    it('counts attempts per key in a window opened by the first, then starts again', async () => {
      expect(await store.countLoginAttempt('k', at(0), 60_000)).toEqual({ count: 1, resetAt: at(60) });
      expect(await store.countLoginAttempt('k', at(30), 60_000)).toEqual({ count: 2, resetAt: at(60) });
      expect(await store.countLoginAttempt('other', at(30), 60_000)).toEqual({ count: 1, resetAt: at(90) });
      expect(await store.countLoginAttempt('k', at(60), 60_000)).toEqual({ count: 1, resetAt: at(120) });
    });

    it('takes back an attempt in the current window only', async () => {
      await store.countLoginAttempt('k', at(0), 60_000);
      await store.countLoginAttempt('k', at(1), 60_000);
      await store.forgetLoginAttempt('k', at(2));
      expect(await store.countLoginAttempt('k', at(3), 60_000)).toEqual({ count: 2, resetAt: at(60) });
      await store.forgetLoginAttempt('k', at(61));
      expect(await store.countLoginAttempt('k', at(61), 60_000)).toEqual({ count: 1, resetAt: at(121) });
    });

    it('shares the count with every instance over the same data', async () => {
      const second = await store.twin();
      try {
        await store.countLoginAttempt('shared', at(0), 60_000);
        expect(await second.countLoginAttempt('shared', at(1), 60_000)).toEqual({ count: 2, resetAt: at(60) });
      } finally {
        await second.dispose();
      }
    });
  });

  describe('stream tickets', () => {
    it('gives a ticket once', async () => {
      const ticket = { hashedTicket: 'ticket-hash', userId: 'u', hashedToken: 'tok', expiresAt: at(30) };
      await store.saveStreamTicket(ticket, at(0));
      expect(await store.takeStreamTicket('ticket-hash')).toEqual(ticket);
      expect(await store.takeStreamTicket('ticket-hash')).toBeNull();
    });
  });

  it('gives a stream ticket once, and forgets the expired ones when a later one is saved', async () => {
    const ticket = (name: string, issuedAt: Date) => ({ hashedTicket: name, userId: 'u1', hashedToken: 'token-hash', expiresAt: new Date(issuedAt.getTime() + 30_000) });
    await store.saveStreamTicket(ticket('first', at(0)), at(0));
    await store.saveStreamTicket(ticket('second', at(10)), at(10));
    expect(await store.takeStreamTicket('first')).toEqual(ticket('first', at(0)));
    expect(await store.takeStreamTicket('first')).toBeNull();
    expect(await store.takeStreamTicket('unknown')).toBeNull();
    // 'second' expired at 40 s; a ticket saved at 41 s leaves only itself.
    await store.saveStreamTicket(ticket('third', at(41)), at(41));
    expect(await store.takeStreamTicket('second')).toBeNull();
    expect(await store.takeStreamTicket('third')).toEqual(ticket('third', at(41)));
  });

  it('answers ping while it is open', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
