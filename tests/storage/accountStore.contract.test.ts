import { PRESENT_STATUSES } from '../../src/domain/rules/status';
import { DuplicateUserError } from '../../src/domain/ports/store';
import { rocketChatPresenceOf } from '../../src/domain/rules/rocketChatPresence';
import type { AccountUpdate, LoginToken, RemovedUser, UserRecord } from '../../src/domain/ports/records';
import type { TestStore } from '../support/stores';
import { describeEachStore, userRecord } from '../support/testApp';
import { at, everyFieldUser, T0, withoutCredentials } from './support/users';

const versionOf = (user: UserRecord) => ({ presenceRevision: user.presenceRevision, rocketChat: rocketChatPresenceOf(user) });

/** Accounts and their credentials (AccountStore): both stores give the same answers. */
describeEachStore('AccountStore contract', (kind) => {
  let store: TestStore;
  beforeEach(async () => {
    store = await kind.create();
  });
  afterEach(() => store.dispose());

  const update = (fields: Partial<AccountUpdate> = {}): AccountUpdate => ({ presenceChangedAt: null, updatedAt: at(1), ...fields });
  const removal = (user: UserRecord, removedAt: Date, forgetAt = at(700)): RemovedUser => ({
    userId: user.id, username: user.username, name: user.name, utcOffset: user.utcOffset, removedAt, forgetAt,
  });
  const tokensOf = async (username: string) => (await store.findUserByLogin(username))?.credentials?.loginTokens?.map((token) => token.hashedToken);
  /** A user holding these login tokens (and no password). */
  const holding = (...loginTokens: LoginToken[]): Partial<UserRecord> => ({ credentials: { loginTokens } });
  /** New users, created in the store. */
  const created = async (...users: UserRecord[]): Promise<UserRecord[]> => {
    for (const user of users) await store.createUser(user);
    return users;
  };

  describe('users and credentials', () => {
    it('finds a created user by id, username, email and token hash', async () => {
      const [user] = await created(userRecord({ emails: [{ address: 'ann@example.com', verified: true }], ...holding({ when: T0, hashedToken: 'hash-1' }) }));
      expect((await store.findUserById(user.id))?.username).toBe(user.username);
      expect((await store.findUserByUsername(user.username))?.id).toBe(user.id);
      expect((await store.findUserByLogin('ann@example.com'))?.id).toBe(user.id);
      expect((await store.findUserByLogin(user.username))?.id).toBe(user.id);
      expect((await store.findUserByHashedToken('hash-1'))?.id).toBe(user.id);
      expect(await store.findUserById('nobody')).toBeNull();
      expect(await store.findUserByHashedToken('hash-2')).toBeNull();
    });

    it('finds users by ids each once, in id order whatever the order asked or written, the unknown ones left out', async () => {
      await created(userRecord({ id: 'c' }), userRecord({ id: 'a' }), userRecord({ id: 'B' }), userRecord({ id: 'b' }));
      expect((await store.findUsersByIds(['b', 'nobody', 'c', 'a', 'b', 'B'])).map((user) => user.id)).toEqual(['B', 'a', 'b', 'c']);
      expect(await store.findUsersByIds([])).toEqual([]);
    });

    it('adds a login token to a user that has none (no credentials at all), and to no one unknown', async () => {
      const [user] = await created(userRecord());
      await store.addLoginToken(user.id, { when: at(0), hashedToken: 'first' }, at(0), ['none-such']);
      expect((await store.findUserByLogin(user.username))?.credentials?.loginTokens).toEqual([{ when: at(0), hashedToken: 'first' }]);
      await store.addLoginToken('nobody', { when: at(0), hashedToken: 'nobodys' }, at(0), []);
      expect(await store.findUserByHashedToken('nobodys')).toBeNull();
      expect(await store.findUserById('nobody')).toBeNull();
    });

    it('finds a username in any letter case, and refuses another that differs only in case', async () => {
      const [user] = await created(userRecord({ username: 'Admin' }));
      expect((await store.findUserByUsername('admin'))?.id).toBe(user.id);
      expect((await store.findUserByUsername('ADMIN'))?.id).toBe(user.id);
      expect((await store.findUserByLogin('aDmIn'))?.id).toBe(user.id);
      await expect(store.createUser(userRecord({ username: 'ADMIN' }))).rejects.toEqual(new DuplicateUserError('username'));
    });

    // The cases both stores fold alike: letters in any case, accented ones included, accents kept. (MongoDB's
    // collation folds some more, ß and SS among them: docs/storage.md, "Letter case".)
    it('finds a username and an address in any letter case, accented letters too, and keeps accents apart', async () => {
      const [rene] = await created(userRecord({ username: 'René.Ünal', emails: [{ address: 'René.Ünal@Exämple.com', verified: true }] }));
      for (const login of ['rené.ünal', 'RENÉ.ÜNAL', 'René.Ünal@Exämple.com', 'rené.ünal@exämple.COM', 'RENÉ.ÜNAL@EXÄMPLE.COM']) {
        expect((await store.findUserByLogin(login))?.id).toBe(rene.id);
      }
      expect((await store.findUserByUsername('RENÉ.üNAL'))?.id).toBe(rene.id);
      for (const other of ['rene.unal', 'René.Unal', 'rene.ünal@exämple.com', 'rené.ünal@example.com']) expect(await store.findUserByLogin(other)).toBeNull();
      expect(await store.findUserByUsername('Rene.Ünal')).toBeNull();
      await expect(store.createUser(userRecord({ username: 'RENÉ.ünal' }))).rejects.toEqual(new DuplicateUserError('username'));
      await expect(store.createUser(userRecord({ emails: [{ address: 'rené.ÜNAL@exämple.com', verified: false }] }))).rejects.toEqual(new DuplicateUserError('email'));
      // Differing in an accent is another name and another address.
      await store.createUser(userRecord({ username: 'Rene.Unal', emails: [{ address: 'Rene.Unal@Example.com', verified: false }] }));
    });

    it('refuses a second user with the same username or email', async () => {
      await store.createUser(userRecord({ username: 'taken', emails: [{ address: 'a@example.com', verified: false }] }));
      await expect(store.createUser(userRecord({ username: 'taken' }))).rejects.toEqual(new DuplicateUserError('username'));
      await expect(store.createUser(userRecord({ emails: [{ address: 'a@example.com', verified: false }] }))).rejects.toEqual(new DuplicateUserError('email'));
    });

    it('adds a login token, sets lastLogin, and removes the tokens a login prunes and a logout revokes', async () => {
      const [user, other] = await created(
        userRecord(holding({ when: at(-300), hashedToken: 'pruned' }, { when: at(-50), hashedToken: 'kept' })),
        userRecord(holding({ when: at(-300), hashedToken: 'someone-elses' })),
      );
      await store.addLoginToken(user.id, { when: at(0), hashedToken: 'new' }, at(0), ['pruned', 'someone-elses']);
      expect((await store.findUserByLogin(user.username))?.credentials?.loginTokens?.map((token) => token.hashedToken)).toEqual(['kept', 'new']);
      expect(await store.findUserByHashedToken('pruned')).toBeNull();
      expect((await store.findUserByHashedToken('new'))?.id).toBe(user.id);
      expect((await store.findUserById(user.id))?.lastLogin).toEqual(at(0));
      expect((await store.findUserByHashedToken('someone-elses'))?.id).toBe(other.id);
      await store.removeLoginToken(user.id, 'kept');
      expect(await store.findUserByHashedToken('kept')).toBeNull();
      expect((await store.findUserByHashedToken('new'))?.id).toBe(user.id);
    });
  });

  describe('listUsers', () => {
    it('pages users in binary username order, without credentials, with the total', async () => {
      const withoutEmails = (username: string): UserRecord => {
        const { emails: _none, ...user } = everyFieldUser(`id-${username}`, { username });
        return user;
      };
      for (const username of ['bob', 'Carol', 'alice', 'dave', 'a_b', 'a-b']) await store.createUser(withoutEmails(username));
      const all = await store.listUsers(0, 100);
      expect(all.users.map((user) => user.username)).toEqual(['Carol', 'a-b', 'a_b', 'alice', 'bob', 'dave']);
      expect(all.total).toBe(6);
      expect(all.users[0]).toStrictEqual(withoutCredentials(withoutEmails('Carol')));
      const page = await store.listUsers(2, 3);
      expect(page).toEqual({ users: all.users.slice(2, 5), total: 6 });
      expect(await store.listUsers(6, 3)).toEqual({ users: [], total: 6 });
    });
  });

  describe('countActiveAdmins', () => {
    it('counts active users holding the admin role, and no other', async () => {
      await store.createUser(userRecord({ roles: ['user', 'admin'] }));
      await store.createUser(userRecord({ roles: ['admin'], active: false }));
      await store.createUser(userRecord({ roles: ['user'] }));
      await store.createUser(userRecord({ roles: ['administrator', 'admins'] }));
      expect(await store.countActiveAdmins()).toBe(1);
    });
  });

  describe('updateAccount', () => {
    it('sets the fields given, keeps the rest, stamps the change and moves the revision on', async () => {
      const user = everyFieldUser('u1');
      await store.createUser(user);
      const written = await store.updateAccount('u1', versionOf(user), update({ name: 'New Name', roles: ['user'], active: false, presenceChangedAt: at(1) }));
      const expected = { ...withoutCredentials(user), name: 'New Name', roles: ['user'], active: false, presenceChangedAt: at(1), presenceRevision: 8, updatedAt: at(1) };
      expect(written).toStrictEqual(expected);
      expect(await store.findUserById('u1')).toStrictEqual(expected);
      // The password hash and the tokens are untouched.
      expect(await store.findUserByLogin('User.u1')).toStrictEqual({ ...expected, credentials: user.credentials });
    });

    it('changes the password hash, the username (found in any case) and the emails (kept as written, found by login in any case; the old ones free)', async () => {
      const user = everyFieldUser('u1');
      await store.createUser(user);
      await store.updateAccount('u1', versionOf(user), update({ passwordHash: '$2b$10$other', username: 'Renamed', emails: [{ address: 'New@Example.com', verified: false }] }));
      const login = await store.findUserByLogin('new@EXAMPLE.com');
      expect(login?.credentials?.passwordHash).toBe('$2b$10$other');
      expect(login).toMatchObject({ id: 'u1', username: 'Renamed', emails: [{ address: 'New@Example.com', verified: false }] });
      expect((await store.findUserByUsername('renamed'))?.id).toBe('u1');
      expect(await store.findUserByUsername('User.u1')).toBeNull();
      expect(await store.findUserByLogin('u1@example.com')).toBeNull();
      await store.createUser(userRecord({ username: 'User.u1', emails: [{ address: 'u1@example.com', verified: false }] }));
    });

    it('removes every email with an empty list: no field, as a user created without one', async () => {
      const user = everyFieldUser('u1');
      await store.createUser(user);
      const written = await store.updateAccount('u1', versionOf(user), update({ emails: [] }));
      expect(written).not.toHaveProperty('emails');
      expect(await store.findUserByLogin('u1@example.com')).toBeNull();
    });

    it('refuses a username or email another user holds, and writes nothing', async () => {
      const user = everyFieldUser('u1');
      await store.createUser(user);
      await store.createUser(userRecord({ username: 'taken', emails: [{ address: 'taken@example.com', verified: false }] }));
      await expect(store.updateAccount('u1', versionOf(user), update({ username: 'TAKEN', name: 'x' }))).rejects.toEqual(new DuplicateUserError('username'));
      await expect(store.updateAccount('u1', versionOf(user), update({ emails: [{ address: 'taken@example.com', verified: false }], name: 'x' }))).rejects.toEqual(new DuplicateUserError('email'));
      await expect(store.updateAccount('u1', versionOf(user), update({ emails: [{ address: 'Taken@Example.COM', verified: false }], name: 'x' }))).rejects.toEqual(new DuplicateUserError('email'));
      expect(await store.findUserById('u1')).toStrictEqual(withoutCredentials(user));
      // Its own username in another case is no conflict.
      expect((await store.updateAccount('u1', versionOf(user), update({ username: 'user.U1' })))?.username).toBe('user.U1');
    });

    it('writes nothing and answers null at a stale version or for an unknown user', async () => {
      const user = everyFieldUser('u1');
      await store.createUser(user);
      expect(await store.updateAccount('u1', { ...versionOf(user), presenceRevision: 3 }, update({ name: 'x' }))).toBeNull();
      expect(await store.updateAccount('nobody', versionOf(user), update({ name: 'x' }))).toBeNull();
      expect((await store.findUserById('u1'))?.name).toBe(user.name);
    });
  });

  describe('removeLoginTokens', () => {
    it('removes all but the kept token and, when asked, the personal access tokens; answers the hashes removed', async () => {
      await store.createUser(everyFieldUser('u1'));
      await store.createUser(everyFieldUser('u2'));
      expect((await store.removeLoginTokens('u1', { keep: 'u1-token-2', keepPersonalAccessTokens: true })).sort()).toEqual(['u1-token-1']);
      expect(await tokensOf('User.u1')).toEqual(['u1-pat', 'u1-token-2']);
      expect((await store.removeLoginTokens('u1', { keepPersonalAccessTokens: false })).sort()).toEqual(['u1-pat', 'u1-token-2']);
      expect(await tokensOf('User.u1')).toEqual([]);
      expect(await tokensOf('User.u2')).toEqual(['u2-token-1', 'u2-pat', 'u2-token-2']);
      expect(await store.removeLoginTokens('nobody', { keepPersonalAccessTokens: false })).toEqual([]);
    });
  });

  describe('removeUser', () => {
    it('removes the user with credentials and connections, frees username and email, and remembers the removal', async () => {
      const user = everyFieldUser('u1');
      await store.createUser(user);
      await store.putConnection({ id: 'c1', userId: 'u1', hashedToken: 'u1-token-1', kind: 'stream', state: 'online', instanceId: 'i1', clientRenewed: false, expiresAt: at(30), createdAt: at(0) });
      expect(await store.removeUser(removal(user, at(5)))).toBe(true);
      expect(await store.findUserById('u1')).toBeNull();
      expect(await store.findUserByHashedToken('u1-token-1')).toBeNull();
      expect(await store.findTokenHolders(['u1-token-1', 'u1-pat'])).toEqual([]);
      expect(await store.countTokensOfActiveUsers(['u1-token-1', 'u1-pat'])).toBe(0);
      expect(await store.connectionsOfUser('u1')).toEqual([]);
      expect(await store.findUsersChangedSince(at(-100), at(10))).toEqual([]);
      expect(await store.findPresentCandidates(at(10), PRESENT_STATUSES)).toEqual([]);
      expect((await store.listUsers(0, 10)).total).toBe(0);
      await store.createUser(userRecord({ username: 'User.u1', emails: [{ address: 'u1@example.com', verified: false }] }));
      expect(await store.findUsersRemovedSince(at(5))).toEqual([removal(user, at(5))]);
      expect(await store.findUsersRemovedSince(at(6))).toEqual([]);
    });

    it('answers false for a user that is not there', async () => {
      expect(await store.removeUser(removal(userRecord({ id: 'nobody' }), at(5)))).toBe(false);
      expect(await store.findUsersRemovedSince(at(0))).toEqual([]);
    });

    it('forgets the removals whose time has come when it remembers another', async () => {
      const [first, second] = [userRecord(), userRecord()];
      await store.createUser(first);
      await store.createUser(second);
      await store.removeUser(removal(first, at(1), at(10)));
      await store.removeUser(removal(second, at(20), at(30)));
      expect(await store.findUsersRemovedSince(at(0))).toEqual([removal(second, at(20), at(30))]);
    });
  });
});
