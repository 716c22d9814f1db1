import { changedSince } from '../../src/domain/rules/changes';
import { PRESENT_STATUSES } from '../../src/domain/rules/status';
import { DuplicateUserError } from '../../src/domain/ports/store';
import { ROCKET_CHAT_CONNECTED_STATUSES, rocketChatPresenceOf } from '../../src/domain/rules/rocketChatPresence';
import type { PresenceWrite, UserRecord } from '../../src/domain/ports/records';
import type { TestStore } from '../support/stores';
import { describeEachStore, userRecord } from '../support/testApp';
import { at, bareUser, everyFieldUser, T0, withoutCredentials } from './support/users';

/** The version a write read: the revision and Rocket.Chat's fields of `user` as stored. */
const versionOf = (user: UserRecord) => ({ presenceRevision: user.presenceRevision, rocketChat: rocketChatPresenceOf(user) });

const byId = <T extends { id: string }>(users: readonly T[]) => [...users].sort((a, b) => a.id.localeCompare(b.id));

/** Presence and its change log (PresenceStore): both stores give the same answers. */
describeEachStore('PresenceStore contract', (kind) => {
  let store: TestStore;
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
  /** New users, created in the store. */
  const created = async (...users: UserRecord[]): Promise<UserRecord[]> => {
    for (const user of users) await store.createUser(user);
    return users;
  };
  /** A new user, created, then given each presence write in turn ([expiresAt, changedAt]). */
  const writtenUser = async (...writes: [Date | null, Date][]): Promise<UserRecord> => {
    const [user] = await created(userRecord());
    for (const [expiresAt, changedAt] of writes) await write(user.id, expiresAt, changedAt);
    return user;
  };

  describe('credentials leave only the finders that need them, and every finder returns the record stored', () => {
    // Present (away until at(900)), changed and updated at(-10): every finder below finds it.
    let full: UserRecord;
    let bare: UserRecord;
    beforeEach(async () => {
      [full, bare] = await created(everyFieldUser('full'), bareUser('bare'));
    });

    it('lists users for presence whole and without credentials: by id, username, ids, present, changed, updated', async () => {
      const stored = withoutCredentials(full);
      // Only a store other programs write to finds their writes; the embedded store answers [] by design.
      const external = store.externalWriters ? [stored] : [];
      expect({
        byId: await store.findUserById('full'),
        byUsername: await store.findUserByUsername('user.FULL'),
        byIds: byId(await store.findUsersByIds(['full', 'bare'])),
        present: await store.findPresentCandidates(at(0), PRESENT_STATUSES),
        changed: await store.findUsersChangedSince(at(-10), at(0)),
        updated: await store.findUsersUpdatedSince(at(-10)),
        rocketChat: await store.findUnrecordedRocketChatPresences({ present: PRESENT_STATUSES, connected: ROCKET_CHAT_CONNECTED_STATUSES }),
      }).toStrictEqual({
        byId: stored,
        byUsername: stored,
        byIds: [withoutCredentials(bare), stored],
        present: [stored],
        changed: [stored],
        updated: external,
        // Its Rocket.Chat fields are as last recorded (the finder itself: 'finds what Rocket.Chat wrote …' below).
        rocketChat: [],
      });
    });

    it('returns the written user whole and without credentials from a presence write, and a Rocket.Chat record reads back whole', async () => {
      const written = await store.writePresence('full', versionOf(full), presenceWrite(at(1000), at(1), { status: 'busy', statusText: 'call' }));
      const afterWrite = {
        ...withoutCredentials(full), status: 'busy', statusText: 'call', presenceText: null, presenceExpiresAt: at(1000), lastSeenAt: T0, presenceChangedAt: at(1),
        presenceSeen: { status: 'busy', statusText: 'call', statusDefault: null, statusConnection: null }, presenceRevision: 8, updatedAt: at(1),
      };
      expect(written).toStrictEqual(afterWrite);
      const seen = { status: 'busy', statusText: 'call', statusDefault: 'online', statusConnection: 'online' };
      expect(await store.recordRocketChatChanges([{ userId: 'full', expected: versionOf(afterWrite), record: { presenceChangedAt: at(2), presenceSeen: seen } }])).toBe(1);
      expect(await store.findUserById('full')).toStrictEqual({ ...afterWrite, presenceChangedAt: at(2), presenceSeen: seen, presenceExpiresAt: null, presenceText: null, presenceRevision: 9 });
    });

    it('keeps an address as written, finds it for a login in any case, and refuses another differing only in case', async () => {
      const [user] = await created(userRecord({ emails: [{ address: 'Mixed.Case@Example.COM', verified: false }] }));
      expect((await store.findUserById(user.id))?.emails).toStrictEqual([{ address: 'Mixed.Case@Example.COM', verified: false }]);
      expect((await store.findUserByLogin('mixed.case@example.com'))?.id).toBe(user.id);
      expect((await store.findUserByLogin('MIXED.CASE@EXAMPLE.COM'))?.id).toBe(user.id);
      await expect(store.createUser(userRecord({ emails: [{ address: 'mixed.case@example.com', verified: false }] }))).rejects.toEqual(new DuplicateUserError('email'));
    });

    it('keeps users.create’s requirePasswordChange, false as well as true, and its custom fields as given', async () => {
      const [unset] = await created(everyFieldUser('unset', { requirePasswordChange: false, customFields: { nested: { a: [1, 'b'] }, empty: '' } }));
      expect(await store.findUserById('unset')).toStrictEqual(withoutCredentials(unset));
      expect((await store.findUserById('full'))?.customFields).toStrictEqual({ department: 'sales', badge: 7, remote: false, deputy: null });
      expect(await store.findUserById('bare')).not.toHaveProperty('requirePasswordChange');
      expect(await store.findUserById('bare')).not.toHaveProperty('customFields');
    });

    it('gives a login, by username or email, the record with the password hash and every login token in order', async () => {
      expect(await store.findUserByLogin('USER.full')).toStrictEqual(full);
      expect(await store.findUserByLogin('full.second@EXAMPLE.com')).toStrictEqual(full);
      // No password: no hash, and no tokens yet.
      expect(await store.findUserByLogin('bare')).toStrictEqual({ ...bare, credentials: { loginTokens: [] } });
    });

    it('gives a token look-up the whole record with only the matching token: no password hash, nothing padded', async () => {
      const stored = withoutCredentials(full);
      expect(await store.findUserByHashedToken('full-token-2')).toStrictEqual({ ...stored, credentials: { loginTokens: [{ when: at(-5), hashedToken: 'full-token-2' }] } });
      // Rocket.Chat's personal access token: its type kept, no `when` invented.
      expect(await store.findUserByHashedToken('full-pat')).toStrictEqual({ ...stored, credentials: { loginTokens: [{ hashedToken: 'full-pat', type: 'personalAccessToken' }] } });
      await store.addLoginToken('bare', { when: at(1), hashedToken: 'bare-token' }, at(1), []);
      // The optional fields stay absent: only what the login itself wrote (lastLogin, updatedAt) is added.
      expect(await store.findUserByHashedToken('bare-token')).toStrictEqual({ ...bare, lastLogin: at(1), updatedAt: at(1), credentials: { loginTokens: [{ when: at(1), hashedToken: 'bare-token' }] } });
    });

    it('gives a bulk token look-up each holder once: its id, whether it is active, its matching tokens in the order they were added', async () => {
      await store.addLoginToken('bare', { when: at(1), hashedToken: 'bare-token' }, at(1), []);
      const found = byId(await store.findTokenHolders(['full-pat', 'full-token-2', 'bare-token', 'unknown', 'full-token-1']));
      expect(found).toStrictEqual([
        // bareUser is not active: the check of its tokens must see that.
        { id: 'bare', active: false, credentials: { loginTokens: [{ when: at(1), hashedToken: 'bare-token' }] } },
        {
          id: 'full',
          active: true,
          // Rocket.Chat's personal access token: its type kept, no `when` invented.
          credentials: { loginTokens: [{ when: at(-60), hashedToken: 'full-token-1' }, { hashedToken: 'full-pat', type: 'personalAccessToken' }, { when: at(-5), hashedToken: 'full-token-2' }] },
        },
      ]);
      expect(await store.findTokenHolders(['unknown'])).toStrictEqual([]);
      expect(await store.findTokenHolders([])).toStrictEqual([]);
    });

    it('counts the token hashes an active user holds, one given twice counted twice', async () => {
      await store.addLoginToken('bare', { when: at(1), hashedToken: 'bare-token' }, at(1), []);
      // bareUser is not active: its token does not count.
      expect(await store.countTokensOfActiveUsers(['full-pat', 'full-token-2', 'bare-token', 'unknown', 'full-token-1', 'full-token-2'])).toBe(4);
      expect(await store.countTokensOfActiveUsers(['unknown', 'bare-token'])).toBe(0);
      expect(await store.countTokensOfActiveUsers([])).toBe(0);
    });
  });

  describe('presence writes', () => {
    it('writes a presence with its change stamp in one write, moves the revision on and returns the written user', async () => {
      const [user] = await created(userRecord());
      const written = await write(user.id, at(900), at(1), { statusText: 'hi', presenceText: ' hi ' });
      const expected = {
        id: user.id, status: 'online', statusText: 'hi', presenceText: ' hi ', presenceExpiresAt: at(900), lastSeenAt: T0, presenceChangedAt: at(1),
        presenceRevision: 1, updatedAt: at(1), presenceSeen: { status: 'online', statusText: 'hi', statusDefault: null, statusConnection: null },
      };
      expect(written).toMatchObject(expected);
      expect(await store.findUserById(user.id)).toMatchObject(expected);
    });

    it('renews a presence: its expiry, last seen and updatedAt move with the revision, every other field stays, and the expiry is found where it now is', async () => {
      await created(everyFieldUser('renewed'));
      const read = (await store.findUserById('renewed')) as UserRecord;
      const renewal = { presenceExpiresAt: at(1800), lastSeenAt: at(5), updatedAt: at(5) };
      const expected = { ...read, ...renewal, presenceRevision: read.presenceRevision + 1 };
      expect(await store.renewPresence('renewed', versionOf(read), renewal)).toEqual(expected);
      expect(await store.findUserById('renewed')).toEqual(expected);
      // Present past its old end (at(900)), and that end is no longer a change.
      expect((await store.findPresentCandidates(at(1000), PRESENT_STATUSES)).map((user) => user.id)).toEqual(['renewed']);
      expect(await store.findUsersChangedSince(at(850), at(1000))).toEqual([]);
      // Renewed to no expiry: found among the present without one.
      const unending = { presenceExpiresAt: null, lastSeenAt: null, updatedAt: at(6) };
      expect(await store.renewPresence('renewed', versionOf(expected), unending)).toEqual({ ...expected, ...unending, presenceRevision: read.presenceRevision + 2 });
      expect((await store.findPresentCandidates(at(2000), PRESENT_STATUSES)).map((user) => user.id)).toEqual(['renewed']);
    });

    it('refuses a renewal made from a stale read, from other Rocket.Chat fields, or for an unknown user, changing nothing', async () => {
      const [user] = await created(userRecord());
      const read = (await store.findUserById(user.id)) as UserRecord;
      const renewal = { presenceExpiresAt: at(1800), lastSeenAt: at(5), updatedAt: at(5) };
      const written = await write(user.id, at(900), at(1), { statusText: 'first' });
      expect(await store.renewPresence(user.id, versionOf(read), renewal)).toBeNull();
      const otherRocketChat = { ...versionOf(written as UserRecord), rocketChat: { ...rocketChatPresenceOf(written as UserRecord), statusConnection: 'away' } };
      expect(await store.renewPresence(user.id, otherRocketChat, renewal)).toBeNull();
      expect(await store.renewPresence('nobody', versionOf(written as UserRecord), renewal)).toBeNull();
      expect(await store.findUserById(user.id)).toEqual(written);
    });

    it('refuses a write made from a stale read, and one for an unknown user, changing nothing', async () => {
      const [user] = await created(userRecord());
      const read = (await store.findUserById(user.id)) as UserRecord;
      await store.writePresence(user.id, versionOf(read), presenceWrite(at(900), at(1), { statusText: 'first' }));
      expect(await store.writePresence(user.id, versionOf(read), presenceWrite(at(900), at(2), { statusText: 'stale' }))).toBeNull();
      expect(await store.findUserById(user.id)).toMatchObject({ statusText: 'first', presenceRevision: 1, presenceChangedAt: at(1) });
      expect(await write(user.id, at(900), at(3), { statusText: 'second' })).toMatchObject({ statusText: 'second', presenceRevision: 2 });
      expect(await store.writePresence('nobody', versionOf(read), presenceWrite(at(900), at(1)))).toBeNull();
    });

    it('refuses a write decided from other Rocket.Chat fields than the stored ones (Rocket.Chat wrote in between)', async () => {
      const [user] = await created(userRecord({ status: 'away', statusDefault: 'away', statusConnection: 'online' }));
      const stale = { presenceRevision: 0, rocketChat: { status: 'online', statusText: '', statusDefault: 'online', statusConnection: 'online' } };
      expect(await store.writePresence(user.id, stale, presenceWrite(at(900), at(1)))).toBeNull();
      expect(await write(user.id, at(900), at(1))).toMatchObject({ status: 'online', presenceRevision: 1 });
    });

    it('records a presence Rocket.Chat wrote: the stamp and the fields seen, no expiry or pnut string, _updatedAt untouched', async () => {
      const [user] = await created(userRecord({ status: 'busy', statusText: 'call', statusDefault: 'busy', statusConnection: 'online', updatedAt: at(-5) }));
      await write(user.id, at(900), at(1), { presenceText: 'mine' });
      const current = (await store.findUserById(user.id)) as UserRecord;
      const seen = { status: 'online', statusText: '', statusDefault: 'busy', statusConnection: 'online' };
      expect(await store.recordRocketChatChanges([{ userId: user.id, expected: versionOf(current), record: { presenceChangedAt: at(2), presenceSeen: seen } }])).toBe(1);
      const expected = { presenceChangedAt: at(2), presenceSeen: seen, presenceExpiresAt: null, presenceText: null, presenceRevision: 2, updatedAt: at(1) };
      expect(await store.findUserById(user.id)).toMatchObject(expected);
      expect(await store.recordRocketChatChanges([{ userId: user.id, expected: versionOf(current), record: { presenceChangedAt: at(3), presenceSeen: seen } }])).toBe(0);
      expect(await store.findUserById(user.id)).toMatchObject(expected);
    });

    it('records several Rocket.Chat writes at once, each only on the version it was decided from', async () => {
      const [first, second, third] = await created(userRecord({ status: 'away' }), userRecord({ status: 'busy' }), userRecord({ status: 'online' }));
      const seenOf = (user: UserRecord) => rocketChatPresenceOf(user);
      // The second was written in between: its record, decided from before, does not land; the others do.
      await write(second.id, at(900), at(1));
      const landed = await store.recordRocketChatChanges([
        { userId: first.id, expected: versionOf(first), record: { presenceChangedAt: at(2), presenceSeen: seenOf(first) } },
        { userId: second.id, expected: versionOf(second), record: { presenceChangedAt: at(2), presenceSeen: seenOf(second) } },
        { userId: 'nobody', expected: versionOf(third), record: { presenceChangedAt: at(2), presenceSeen: seenOf(third) } },
        { userId: third.id, expected: versionOf(third), record: { presenceChangedAt: at(3), presenceSeen: seenOf(third) } },
      ]);
      expect(landed).toBe(2);
      expect(await store.findUserById(first.id)).toMatchObject({ presenceChangedAt: at(2), presenceSeen: seenOf(first), presenceRevision: 1 });
      expect(await store.findUserById(second.id)).toMatchObject({ presenceChangedAt: at(1), presenceRevision: 1, presenceExpiresAt: at(900) });
      expect(await store.findUserById(third.id)).toMatchObject({ presenceChangedAt: at(3), presenceSeen: seenOf(third), presenceRevision: 1 });
      expect(await store.recordRocketChatChanges([])).toBe(0);
    });
  });

  describe('finding presences and changes', () => {
    const ids = (users: UserRecord[]) => users.map((user) => user.id).sort();

    it('finds what Rocket.Chat wrote without a record: status or connection status unlike the recorded, or present and never recorded', async () => {
      const seen = (status: string, statusConnection: string | null) => ({ presenceSeen: { status, statusText: '', statusDefault: null, statusConnection } });
      await created(
        userRecord({ id: 'never-recorded-online', status: 'online', statusConnection: 'online' }),
        userRecord({ id: 'never-recorded-offline', status: 'offline', statusConnection: 'offline' }),
        userRecord({ id: 'never-recorded-invisible-connected', status: 'offline', statusConnection: 'online' }),
        userRecord({ id: 'as-recorded-away', status: 'away', statusConnection: 'online', ...seen('away', 'online') }),
        userRecord({ id: 'as-recorded-offline', status: 'offline', ...seen('offline', null) }),
        userRecord({ id: 'status-changed', status: 'online', statusConnection: 'online', ...seen('away', 'online') }),
        userRecord({ id: 'went-offline', status: 'offline', statusConnection: 'offline', ...seen('online', 'online') }),
        userRecord({ id: 'connection-changed', status: 'busy', statusConnection: 'away', ...seen('busy', 'online') }),
        userRecord({ id: 'connection-ended-invisible', status: 'offline', statusConnection: 'offline', ...seen('offline', 'online') }),
        userRecord({ id: 'connected-first-time', status: 'busy', statusConnection: 'online', ...seen('busy', null) }),
      );
      const found = ids(await store.findUnrecordedRocketChatPresences({ present: PRESENT_STATUSES, connected: ROCKET_CHAT_CONNECTED_STATUSES }));
      // Only a store other programs write to finds their writes; the embedded store answers [] by design.
      expect(found).toEqual(store.externalWriters
        ? ['connected-first-time', 'connection-changed', 'connection-ended-invisible', 'never-recorded-online', 'status-changed', 'went-offline']
        : []);
    });
    const idsChangedSince = async (since: Date, now: Date) => ids(await store.findUsersChangedSince(since, now));

    it('lists the candidates for the present list: presences that expire after now, and present users without an expiry', async () => {
      const current = await writtenUser([at(100), T0]);
      await writtenUser([at(10), T0]);
      const [, rocketChats] = await created(userRecord(), userRecord({ status: 'away' }));
      expect(ids(await store.findPresentCandidates(at(10), PRESENT_STATUSES))).toEqual([current.id, rocketChats.id].sort());
    });

    it('lists the candidates for a delta: change stamps at or after `since`, two in the same millisecond included', async () => {
      const a = await writtenUser([at(900), at(1)]);
      const b = await writtenUser([at(900), at(5)]);
      const c = await writtenUser([at(900), at(5)]);
      expect(await idsChangedSince(at(1), at(6))).toEqual([a.id, b.id, c.id].sort());
      expect(await idsChangedSince(at(2), at(6))).toEqual([b.id, c.id].sort());
      expect(await idsChangedSince(at(6), at(6))).toEqual([]);
    });

    it('finds a user by the latest stamp only, after it moved on', async () => {
      const user = await writtenUser([at(900), at(1)], [at(900), at(8)]);
      expect(await idsChangedSince(at(5), at(9))).toEqual([user.id]);
      expect(await idsChangedSince(at(9), at(9))).toEqual([]);
    });

    it('lists a presence expiring inside [since, now] as a candidate, and not before it expires', async () => {
      const user = await writtenUser([at(60), at(0)]);
      expect(await idsChangedSince(at(30), at(59))).toEqual([]);
      expect(await idsChangedSince(at(30), at(60))).toEqual([user.id]);
      expect(await idsChangedSince(at(61), at(90))).toEqual([]);
    });

    it('forgets an expiry that a renewal replaced', async () => {
      await writtenUser([at(60), at(0)], [at(120), at(0)]);
      expect(await idsChangedSince(at(30), at(90))).toEqual([]);
    });

    it('lists an offline (invisible) user for an expiry as a candidate: that going invisible ended the presence is the domain\'s to decide', async () => {
      const [invisible] = await created(userRecord({ status: 'offline', presenceExpiresAt: at(60) }));
      const candidates = await store.findUsersChangedSince(at(30), at(90));
      expect(ids(candidates)).toEqual([invisible.id]);
      expect(candidates.filter((user) => changedSince(user, at(30), at(90)))).toEqual([]);
    });

    describe('users whose presence expiry has passed, and users without one', () => {
      // Each stamped at(-120), before every `since` below: only an expiry can make them delta candidates.
      let offlinePast: UserRecord;
      let onlinePast: UserRecord;
      let offlineFuture: UserRecord;
      let offlineNever: UserRecord;
      let onlineNever: UserRecord;
      let otherStatusNever: UserRecord;
      beforeEach(async () => {
        const stamped = (status: string, presenceExpiresAt: Date | null) => userRecord({ status, presenceExpiresAt, presenceChangedAt: at(-120), lastSeenAt: at(-120) });
        [offlinePast, onlinePast, offlineFuture, offlineNever, onlineNever, otherStatusNever] = await created(
          stamped('offline', at(-60)),
          stamped('online', at(-60)),
          stamped('offline', at(60)),
          stamped('offline', null),
          stamped('online', null),
          // A status Rocket.Chat knows and this service does not (the domain reads it as offline).
          stamped('disabled', null),
        );
      });

      it('lists for the present list the expiries after now, whatever the status, and the users without one whose status is asked for', async () => {
        expect(ids(await store.findPresentCandidates(at(0), PRESENT_STATUSES))).toEqual([offlineFuture.id, onlineNever.id].sort());
        // Past every expiry: only those without one are left.
        expect(ids(await store.findPresentCandidates(at(61), PRESENT_STATUSES))).toEqual([onlineNever.id]);
        // The statuses are the caller's: the store decides none.
        expect(ids(await store.findPresentCandidates(at(61), ['disabled', 'offline']))).toEqual([offlineNever.id, otherStatusNever.id].sort());
      });

      it('lists an expiry inside [since, now] for a delta whatever the status, and no one without an expiry', async () => {
        expect(await idsChangedSince(at(-90), at(0))).toEqual([offlinePast.id, onlinePast.id].sort());
        expect(await idsChangedSince(at(-90), at(90))).toEqual([offlinePast.id, onlinePast.id, offlineFuture.id].sort());
        expect(await idsChangedSince(at(-59), at(59))).toEqual([]);
        // From their stamp on, every one of them is a candidate.
        expect(await idsChangedSince(at(-120), at(0))).toEqual([offlinePast, onlinePast, offlineFuture, offlineNever, onlineNever, otherStatusNever].map((user) => user.id).sort());
      });

      it('finds each of them, in bulk and one by one, with its expiry and status as stored', async () => {
        const all = [offlinePast, onlinePast, offlineFuture, offlineNever, onlineNever, otherStatusNever];
        expect(byId(await store.findUsersByIds(all.map((user) => user.id)))).toStrictEqual(byId(all));
        expect(await store.findUserById(offlinePast.id)).toStrictEqual(offlinePast);
      });
    });
  });

  it('answers ping while it is open', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
