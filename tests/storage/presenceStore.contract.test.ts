import { DuplicateUserError } from '../../src/storage/presenceStore';
import type { UserRecord } from '../../src/storage/userRecord';
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
    createdAt: T0,
    services: { password: { bcrypt: '$2b$10$hash' }, resume: { loginTokens: [] } },
    ...fields,
  };
}

const always = () => true;
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

  it('writes a presence and returns the updated user', async () => {
    const user = aUser();
    await store.createUser(user);
    const updated = await store.updatePresence(user._id, { ...online(at(900)), statusText: 'hi', presenceText: ' hi ' }, T0, always);
    expect(updated).toMatchObject({ _id: user._id, status: 'online', statusText: 'hi', presenceText: ' hi ', presenceExpiresAt: at(900), lastSeenAt: T0 });
    expect(await store.findUserById(user._id)).toMatchObject({ status: 'online', presenceExpiresAt: at(900) });
    expect(await store.updatePresence('nobody', online(at(900)), T0, always)).toBeNull();
  });

  it('lists present users: a chosen status other than offline and a presence not yet expired', async () => {
    const [current, expired, invisible, never] = [aUser(), aUser(), aUser(), aUser()];
    for (const user of [current, expired, invisible, never]) await store.createUser(user);
    await store.updatePresence(current._id, online(at(100)), T0, always);
    await store.updatePresence(expired._id, online(at(10)), T0, always);
    await store.updatePresence(invisible._id, { ...online(at(100)), status: 'offline' }, T0, always);
    const ids = (await store.findPresentUsers(at(10))).map((user) => user._id);
    expect(ids).toEqual([current._id]);
  });

  it('lists users changed after a time, including two changes in the same millisecond', async () => {
    const [a, b, c] = [aUser(), aUser(), aUser()];
    for (const user of [a, b, c]) await store.createUser(user);
    await store.updatePresence(a._id, online(at(900)), at(1), always);
    await store.updatePresence(b._id, online(at(900)), at(5), always);
    await store.updatePresence(c._id, online(at(900)), at(5), always);
    expect((await store.findUserIdsChangedSince(at(1), at(6))).sort()).toEqual([b._id, c._id].sort());
    expect((await store.findUserIdsChangedSince(at(0), at(6))).sort()).toEqual([a._id, b._id, c._id].sort());
    expect(await store.findUserIdsChangedSince(at(5), at(6))).toEqual([]);
  });

  it('counts an expiry as a change at the moment it happened, and only once it has happened', async () => {
    const user = aUser();
    await store.createUser(user);
    await store.updatePresence(user._id, online(at(60)), at(0), always);
    expect(await store.findUserIdsChangedSince(at(30), at(59))).toEqual([]);
    expect(await store.findUserIdsChangedSince(at(30), at(60))).toEqual([user._id]);
    expect(await store.findUserIdsChangedSince(at(60), at(90))).toEqual([]);
  });

  it('forgets an expiry that a renewal replaced', async () => {
    const user = aUser();
    await store.createUser(user);
    await store.updatePresence(user._id, online(at(60)), at(0), always);
    await store.updatePresence(user._id, online(at(120)), at(10), always);
    expect(await store.findUserIdsChangedSince(at(30), at(90))).toEqual([]);
  });

  it('records a write as a change only when the change test says so, and passes it the record before and after', async () => {
    const user = aUser();
    await store.createUser(user);
    const seen: [string, string][] = [];
    await store.updatePresence(user._id, online(at(60)), at(1), (before, after) => {
      seen.push([before.status, after.status]);
      return false;
    });
    expect(seen).toEqual([['offline', 'online']]);
    expect(await store.findUserIdsChangedSince(at(0), at(2))).toEqual([]);
    expect((await store.findUserById(user._id))?.presenceExpiresAt).toEqual(at(60));
  });

  it('answers ping while it is open', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });
});
