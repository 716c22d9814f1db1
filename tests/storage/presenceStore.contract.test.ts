import { DuplicateUserError } from '../../src/domain/presenceStore';
import type { PresenceWrite, UserRecord } from '../../src/domain/userRecord';
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

const online = (expiresAt: Date, lastSeenAt = T0) => ({ status: 'online' as const, statusText: '', presenceText: null, presenceExpiresAt: expiresAt, lastSeenAt });

/** Every PresenceStore behaves the same: the embedded store here, MongoDB in production. */
describe.each(storeKinds())('PresenceStore contract ($name store)', (kind: StoreKind) => {
  let store: Awaited<ReturnType<StoreKind['create']>>;
  beforeEach(async () => {
    store = await kind.create();
  });
  afterEach(() => store.dispose());

  it('finds a created user by id, username, email and token hash', async () => {
    const user = aUser({ emails: [{ address: 'ann@example.com', verified: true }] });
    user.services.resume = { loginTokens: [{ when: T0, hashedToken: 'hash-1' }] };
    await store.createUser(user);
    expect((await store.findUserById(user._id))?.username).toBe(user.username);
    expect((await store.findUserByUsername(user.username))?._id).toBe(user._id);
    expect((await store.findUserByLogin('ann@example.com'))?._id).toBe(user._id);
    expect((await store.findUserByLogin(user.username))?._id).toBe(user._id);
    expect((await store.findUserByHashedToken('hash-1'))?._id).toBe(user._id);
    expect(await store.findUserById('nobody')).toBeNull();
    expect(await store.findUserByHashedToken('hash-2')).toBeNull();
  });

  it('refuses a second user with the same username or email', async () => {
    await store.createUser(aUser({ username: 'taken', emails: [{ address: 'a@example.com', verified: false }] }));
    await expect(store.createUser(aUser({ username: 'taken' }))).rejects.toEqual(new DuplicateUserError('username'));
    await expect(store.createUser(aUser({ emails: [{ address: 'a@example.com', verified: false }] }))).rejects.toEqual(new DuplicateUserError('email'));
  });

  it('adds and removes login tokens', async () => {
    const user = aUser();
    await store.createUser(user);
    await store.addLoginToken(user._id, { when: T0, hashedToken: 'h1' }, at(1), T0);
    await store.addLoginToken(user._id, { when: T0, hashedToken: 'h2' }, at(2), T0);
    expect((await store.findUserById(user._id))?.lastLogin).toEqual(at(2));
    await store.removeLoginToken(user._id, 'h1');
    expect(await store.findUserByHashedToken('h1')).toBeNull();
    expect((await store.findUserByHashedToken('h2'))?._id).toBe(user._id);
  });

  it('finds a user by token hash with only that token, and no password hash', async () => {
    const user = aUser({ emails: [{ address: 'tok@example.com', verified: true }], statusText: 'here', avatarETag: 'av1', lastLogin: at(-60) });
    user.services.resume = { loginTokens: [{ when: at(-30), hashedToken: 'older' }, { when: at(-10), hashedToken: 'wanted' }, { when: at(-5), hashedToken: 'newer' }] };
    await store.createUser(user);
    const found = await store.findUserByHashedToken('wanted');
    expect(found?.services).toEqual({ resume: { loginTokens: [{ when: at(-10), hashedToken: 'wanted' }] } });
    // Everything else is there, as the other reads give it.
    const { services: _withPassword, ...fields } = (await store.findUserById(user._id)) as UserRecord;
    expect(found).toMatchObject(fields);
  });

  it('removes the tokens made before a cutoff when it adds a new one, and leaves the others', async () => {
    const user = aUser();
    user.services.resume = { loginTokens: [{ when: at(-300), hashedToken: 'expired-1' }, { when: at(-100), hashedToken: 'cutoff' }, { when: at(-50), hashedToken: 'live' }] };
    await store.createUser(user);
    await store.createUser(aUser({ services: { resume: { loginTokens: [{ when: at(-300), hashedToken: 'someone-elses' }] } } }));
    await store.addLoginToken(user._id, { when: at(0), hashedToken: 'new' }, at(0), at(-100));
    const tokens = (await store.findUserById(user._id))?.services.resume?.loginTokens.map((token) => token.hashedToken);
    expect(tokens).toEqual(['cutoff', 'live', 'new']);
    expect(await store.findUserByHashedToken('expired-1')).toBeNull();
    expect((await store.findUserByHashedToken('new'))?._id).toBe(user._id);
    expect((await store.findUserById(user._id))?.lastLogin).toEqual(at(0));
    expect(await store.findUserByHashedToken('someone-elses')).not.toBeNull();
  });

  /** A presence write as the domain makes one: online until `expiresAt`, stamped `changedAt`. */
  const presenceWrite = (expiresAt: Date, changedAt: Date, fields: Partial<PresenceWrite> = {}): PresenceWrite => ({
    ...online(expiresAt),
    presenceChangedAt: changedAt,
    updatedAt: changedAt,
    ...fields,
  });

  it('writes a presence with its change stamp in one write, moves the revision on and returns the written user', async () => {
    const user = aUser();
    await store.createUser(user);
    const written = await store.writePresence(user._id, 0, presenceWrite(at(900), at(1), { statusText: 'hi', presenceText: ' hi ' }));
    const expected = { _id: user._id, status: 'online', statusText: 'hi', presenceText: ' hi ', presenceExpiresAt: at(900), lastSeenAt: T0, presenceChangedAt: at(1), presenceRevision: 1, _updatedAt: at(1) };
    expect(written).toMatchObject(expected);
    expect(await store.findUserById(user._id)).toMatchObject(expected);
  });

  it('refuses a write made from a stale read, and one for an unknown user, changing nothing', async () => {
    const user = aUser();
    await store.createUser(user);
    await store.writePresence(user._id, 0, presenceWrite(at(900), at(1), { statusText: 'first' }));
    expect(await store.writePresence(user._id, 0, presenceWrite(at(900), at(2), { statusText: 'stale' }))).toBeNull();
    expect(await store.findUserById(user._id)).toMatchObject({ statusText: 'first', presenceRevision: 1, presenceChangedAt: at(1) });
    expect(await store.writePresence(user._id, 1, presenceWrite(at(900), at(3), { statusText: 'second' }))).toMatchObject({ statusText: 'second', presenceRevision: 2 });
    expect(await store.writePresence('nobody', 0, presenceWrite(at(900), at(1)))).toBeNull();
  });

  it('lists the candidates for the present list: every presence that expires after now', async () => {
    const [current, expired, never] = [aUser(), aUser(), aUser()];
    for (const user of [current, expired, never]) await store.createUser(user);
    await store.writePresence(current._id, 0, presenceWrite(at(100), T0));
    await store.writePresence(expired._id, 0, presenceWrite(at(10), T0));
    const ids = (await store.findUsersWithPresenceAfter(at(10))).map((user) => user._id);
    expect(ids).toEqual([current._id]);
  });

  const idsChangedSince = async (since: Date, now: Date) => (await store.findUsersChangedSince(since, now)).map((user) => user._id).sort();

  it('lists the candidates for a delta: change stamps at or after `since`, two in the same millisecond included', async () => {
    const [a, b, c] = [aUser(), aUser(), aUser()];
    for (const user of [a, b, c]) await store.createUser(user);
    await store.writePresence(a._id, 0, presenceWrite(at(900), at(1)));
    await store.writePresence(b._id, 0, presenceWrite(at(900), at(5)));
    await store.writePresence(c._id, 0, presenceWrite(at(900), at(5)));
    expect(await idsChangedSince(at(1), at(6))).toEqual([a._id, b._id, c._id].sort());
    expect(await idsChangedSince(at(2), at(6))).toEqual([b._id, c._id].sort());
    expect(await idsChangedSince(at(6), at(6))).toEqual([]);
  });

  it('finds a user by the latest stamp only, after it moved on', async () => {
    const user = aUser();
    await store.createUser(user);
    await store.writePresence(user._id, 0, presenceWrite(at(900), at(1)));
    await store.writePresence(user._id, 1, presenceWrite(at(900), at(8)));
    expect(await idsChangedSince(at(5), at(9))).toEqual([user._id]);
    expect(await idsChangedSince(at(9), at(9))).toEqual([]);
  });

  it('lists a presence expiring inside [since, now] as a candidate, and not before it expires', async () => {
    const user = aUser();
    await store.createUser(user);
    await store.writePresence(user._id, 0, presenceWrite(at(60), at(0)));
    expect(await idsChangedSince(at(30), at(59))).toEqual([]);
    expect(await idsChangedSince(at(30), at(60))).toEqual([user._id]);
    expect(await idsChangedSince(at(61), at(90))).toEqual([]);
  });

  it('forgets an expiry that a renewal replaced', async () => {
    const user = aUser();
    await store.createUser(user);
    await store.writePresence(user._id, 0, presenceWrite(at(60), at(0)));
    await store.writePresence(user._id, 1, presenceWrite(at(120), at(0)));
    expect(await idsChangedSince(at(30), at(90))).toEqual([]);
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
