import request from 'supertest';
import { TEST_PASSWORD, appPerTest, currentApp, describeEachStore, usersPerTest, type SeededUser } from '../../support/testApp';
import { expectRocketChatError, expectRocketChatJson, NOT_LOGGED_IN } from './rocketChatKit';

const NOT_PERMITTED = { success: false, error: 'unauthorized' };
const LAST_ADMIN = { success: false, error: 'Leaving the app without admins is not allowed [error-action-not-allowed]', errorType: 'error-action-not-allowed' };
const invalid = (param: string, reason: string) => ({ success: false, error: `The parameter "${param}" ${reason} [invalid-params]`, errorType: 'invalid-params' });

/** users.list, users.info, users.update, users.setActiveStatus, users.delete: Rocket.Chat's bodies and answers. */
describeEachStore('Rocket.Chat account management', (kind) => {
  const t = currentApp(appPerTest(kind));
  const { boss, alice, bob } = usersPerTest(t, {
    boss: { username: 'boss', name: 'Boss', roles: ['admin', 'user'], emails: [{ address: 'boss@example.com', verified: true }] },
    alice: { username: 'alice', name: 'Alice', emails: [{ address: 'alice@example.com', verified: false }] },
    bob: { username: 'Bob', name: 'Bob' },
  });
  const get = (who: SeededUser, path: string, query: Record<string, string> = {}) => request(t.app).get(`/api/v1/${path}`).set(who.headers).query(query);
  const post = (who: SeededUser, path: string, body: object) => request(t.app).post(`/api/v1/${path}`).set(who.headers).send(body);

  describe('users.list', () => {
    it('lists every user in username order with the page, its size and the total; admins also see emails', async () => {
      const res = await get(boss, 'users.list');
      expect(res.status).toBe(200);
      expectRocketChatJson(res);
      expect(res.body).toEqual({
        users: [
          { _id: bob.user.id, username: 'Bob', name: 'Bob', status: 'offline', active: true, roles: ['user'] },
          { _id: alice.user.id, username: 'alice', name: 'Alice', status: 'offline', active: true, roles: ['user'], emails: [{ address: 'alice@example.com', verified: false }] },
          { _id: boss.user.id, username: 'boss', name: 'Boss', status: 'offline', active: true, roles: ['admin', 'user'], emails: [{ address: 'boss@example.com', verified: true }] },
        ],
        count: 3,
        offset: 0,
        total: 3,
        success: true,
      });
    });

    it('pages with count and offset, and shows others no emails', async () => {
      const res = await get(alice, 'users.list', { count: '1', offset: '1' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ users: [{ _id: alice.user.id, username: 'alice', name: 'Alice', status: 'offline', active: true, roles: ['user'] }], count: 1, offset: 1, total: 3, success: true });
    });

    it('refuses a count that is no integer and the query forms it does not serve', async () => {
      expectRocketChatError(await get(boss, 'users.list', { count: 'ten' }), 400, invalid('count', 'must be an integer from 0 to 1000000'));
      expectRocketChatError(await get(boss, 'users.list', { query: '{"active":true}' }), 400, invalid('query', 'is not supported by this service'));
    });

    it('needs a login', async () => {
      expectRocketChatError(await request(t.app).get('/api/v1/users.list'), 401, NOT_LOGGED_IN);
    });
  });

  describe('users.info', () => {
    it('gives oneself and admins the own fields, others the public ones, by id or username in any case', async () => {
      const own = await get(alice, 'users.info', { userId: alice.user.id });
      expect(own.status).toBe(200);
      expect(own.body).toEqual({ user: expect.objectContaining({ _id: alice.user.id, username: 'alice', emails: [{ address: 'alice@example.com', verified: false }], roles: ['user'] }), success: true });
      const byAdmin = await get(boss, 'users.info', { username: 'ALICE' });
      expect(byAdmin.body.user).toEqual(own.body.user);
      const byOther = await get(bob, 'users.info', { username: 'alice' });
      expect(byOther.body).toEqual({ user: { _id: alice.user.id, username: 'alice', name: 'Alice', status: 'offline', utcOffset: 0, active: true }, success: true });
    });

    it('answers Rocket.Chat\'s failures: no parameter, an empty one, an unknown user', async () => {
      expectRocketChatError(await get(alice, 'users.info'), 400, invalid('userId', 'or "username" is required'));
      expectRocketChatError(await get(alice, 'users.info', { userId: '' }), 400, { success: false, error: 'Invalid search query.' });
      expectRocketChatError(await get(alice, 'users.info', { username: 'nobody' }), 400, { success: false, error: 'User not found.' });
    });
  });

  describe('users.update', () => {
    it('lets an admin change name, username, email and roles, and answers the user', async () => {
      const res = await post(boss, 'users.update', { userId: alice.user.id, data: { name: 'Alice A.', username: 'alice.a', email: 'New@Example.com', roles: ['user', 'moderator'] } });
      expect(res.status).toBe(200);
      expectRocketChatJson(res);
      expect(res.body).toEqual({
        user: expect.objectContaining({ _id: alice.user.id, name: 'Alice A.', username: 'alice.a', emails: [{ address: 'New@Example.com', verified: false }], roles: ['user', 'moderator'] }),
        success: true,
      });
      expect(res.text).not.toMatch(/bcrypt|hashedToken|loginTokens/);
      const login = await request(t.app).post('/api/v1/login').send({ user: 'new@example.com', password: TEST_PASSWORD });
      expect(login.body.data.userId).toBe(alice.user.id);
    });

    it('sets a new password: the old one and every login token of the user stop working at once', async () => {
      const res = await post(boss, 'users.update', { userId: alice.user.id, data: { password: 'a new one' } });
      expect(res.status).toBe(200);
      expectRocketChatError(await get(alice, 'me'), 401, NOT_LOGGED_IN);
      expect((await request(t.app).post('/api/v1/login').send({ user: 'alice', password: TEST_PASSWORD })).status).toBe(401);
      expect((await request(t.app).post('/api/v1/login').send({ user: 'alice', password: 'a new one' })).status).toBe(200);
    });

    it('lets a user change his own name and username, keeping the login he used', async () => {
      const res = await post(alice, 'users.update', { userId: alice.user.id, data: { name: 'Just Alice', username: 'just.alice' } });
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({ name: 'Just Alice', username: 'just.alice' });
      expect((await get(alice, 'me')).status).toBe(200);
    });

    it('refuses others\' accounts, one\'s own roles, active flag, password, address or its verification to a non-admin', async () => {
      const refused = { success: false, error: 'Editing user is not allowed [error-action-not-allowed]', errorType: 'error-action-not-allowed' };
      expectRocketChatError(await post(alice, 'users.update', { userId: bob.user.id, data: { name: 'x' } }), 400, refused);
      expectRocketChatError(await post(alice, 'users.update', { userId: alice.user.id, data: { roles: ['admin'] } }), 400, refused);
      expectRocketChatError(await post(alice, 'users.update', { userId: alice.user.id, data: { active: false } }), 400, refused);
      // A stolen token must not take the account for good: no new password or address without an admin.
      expectRocketChatError(await post(alice, 'users.update', { userId: alice.user.id, data: { password: 'mine now' } }), 400, refused);
      expectRocketChatError(await post(alice, 'users.update', { userId: alice.user.id, data: { email: 'thief@example.com' } }), 400, refused);
      expectRocketChatError(await post(alice, 'users.update', { userId: alice.user.id, data: { email: 'ceo@example.com', verified: true } }), 400, refused);
      expect((await request(t.app).post('/api/v1/login').send({ user: 'alice', password: TEST_PASSWORD })).status).toBe(200);
      expect((await get(boss, 'users.info', { userId: bob.user.id })).body.user.name).toBe('Bob');
    });

    it('refuses an unknown role, a taken username or email, a username Rocket.Chat would not take', async () => {
      expectRocketChatError(await post(boss, 'users.update', { userId: alice.user.id, data: { roles: ['wizard'] } }), 400, {
        success: false, error: 'The field Roles consist invalid role id [error-action-not-allowed]', errorType: 'error-action-not-allowed',
      });
      expectRocketChatError(await post(boss, 'users.update', { userId: alice.user.id, data: { username: 'BOB' } }), 400, {
        success: false, error: 'BOB is already in use :( [error-field-unavailable]', errorType: 'error-field-unavailable',
      });
      expectRocketChatError(await post(boss, 'users.update', { userId: alice.user.id, data: { email: 'boss@example.com' } }), 400, {
        success: false, error: 'boss@example.com is already in use :( [error-field-unavailable]', errorType: 'error-field-unavailable',
      });
      expectRocketChatError(await post(boss, 'users.update', { userId: alice.user.id, data: { username: 'no spaces' } }), 400, {
        success: false, error: 'no spaces is not a valid username [error-input-is-not-a-valid-field]', errorType: 'error-input-is-not-a-valid-field',
      });
    });

    it('answers an unknown user as Rocket.Chat\'s other calls do', async () => {
      expectRocketChatError(await post(boss, 'users.update', { userId: 'nobody', data: { name: 'x' } }), 400, {
        success: false, error: 'The required "userId" or "username" param provided does not match any users [error-invalid-user]', errorType: 'error-invalid-user',
      });
    });

    it('validates the body as Rocket.Chat\'s validator does', async () => {
      expectRocketChatError(await post(boss, 'users.update', { data: { name: 'x' } }), 400, invalid('userId', 'is required'));
      expectRocketChatError(await post(boss, 'users.update', { userId: alice.user.id }), 400, invalid('data', 'is required'));
      expectRocketChatError(await post(boss, 'users.update', { userId: alice.user.id, data: { name: 5 } }), 400, invalid('data.name', 'must be a string'));
      expectRocketChatError(await post(boss, 'users.update', { userId: alice.user.id, data: { shoeSize: 5 } }), 400, invalid('data.shoeSize', 'is not allowed'));
      expectRocketChatError(await post(boss, 'users.update', { userId: alice.user.id, data: { statusText: 'hi' } }), 400, invalid('data.statusText', 'is not supported by this service'));
      expectRocketChatError(await post(boss, 'users.update', { userId: alice.user.id, data: {}, extra: 1 }), 400, invalid('extra', 'is not allowed'));
      expectRocketChatError(await post(boss, 'users.update', { userId: alice.user.id, data: { active: 'no' } }), 400, invalid('data.active', 'must be a boolean'));
    });

    it('never leaves the app without an active admin', async () => {
      expectRocketChatError(await post(boss, 'users.update', { userId: boss.user.id, data: { roles: ['user'] } }), 400, LAST_ADMIN);
      expectRocketChatError(await post(boss, 'users.update', { userId: boss.user.id, data: { active: false } }), 400, LAST_ADMIN);
      // With a second admin, the first may step down.
      expect((await post(boss, 'users.update', { userId: alice.user.id, data: { roles: ['admin'] } })).status).toBe(200);
      expect((await post(boss, 'users.update', { userId: boss.user.id, data: { roles: ['user'] } })).status).toBe(200);
    });
  });

  describe('users.setActiveStatus', () => {
    it('deactivates and reactivates, answering {user: {_id, active}}', async () => {
      const off = await post(boss, 'users.setActiveStatus', { userId: alice.user.id, activeStatus: false });
      expect(off.status).toBe(200);
      expectRocketChatJson(off);
      expect(off.body).toEqual({ user: { _id: alice.user.id, active: false }, success: true });
      expect((await request(t.app).post('/api/v1/login').send({ user: 'alice', password: TEST_PASSWORD })).status).toBe(401);
      const on = await post(boss, 'users.setActiveStatus', { userId: alice.user.id, activeStatus: true });
      expect(on.body).toEqual({ user: { _id: alice.user.id, active: true }, success: true });
      expect((await request(t.app).post('/api/v1/login').send({ user: 'alice', password: TEST_PASSWORD })).status).toBe(200);
    });

    it('refuses a non-admin with 403 unauthorized, and bodies Rocket.Chat\'s validator refuses', async () => {
      expectRocketChatError(await post(alice, 'users.setActiveStatus', { userId: bob.user.id, activeStatus: false }), 403, NOT_PERMITTED);
      expect((await get(bob, 'me')).status).toBe(200);
      expectRocketChatError(await post(boss, 'users.setActiveStatus', { userId: bob.user.id }), 400, invalid('activeStatus', 'is required'));
      expectRocketChatError(await post(boss, 'users.setActiveStatus', { userId: bob.user.id, activeStatus: 'false' }), 400, invalid('activeStatus', 'must be a boolean'));
      expectRocketChatError(await post(boss, 'users.setActiveStatus', { activeStatus: false }), 400, invalid('userId', 'is required'));
      expectRocketChatError(await post(boss, 'users.setActiveStatus', { userId: 'nobody', activeStatus: false }), 400, { success: false, error: 'User not found' });
      expectRocketChatError(await post(boss, 'users.setActiveStatus', { userId: boss.user.id, activeStatus: false }), 400, LAST_ADMIN);
    });
  });

  describe('users.delete', () => {
    it('deletes by id or by username, answering {success: true}; the username is free again', async () => {
      const res = await post(boss, 'users.delete', { userId: alice.user.id });
      expect(res.status).toBe(200);
      expectRocketChatJson(res);
      expect(res.body).toEqual({ success: true });
      expect((await post(boss, 'users.delete', { username: 'bob' })).body).toEqual({ success: true });
      expect((await get(boss, 'users.list')).body.total).toBe(1);
      expect((await post(boss, 'users.create', { username: 'alice', name: 'Alice 2', password: 'pw', email: 'alice@example.com' })).status).toBe(200);
    });

    it('refuses a non-admin (403), a missing or unknown user, and the last admin', async () => {
      expectRocketChatError(await post(alice, 'users.delete', { userId: bob.user.id }), 403, NOT_PERMITTED);
      expectRocketChatError(await post(boss, 'users.delete', {}), 400, {
        success: false, error: 'The required "userId" or "username" param was not provided [error-user-param-not-provided]', errorType: 'error-user-param-not-provided',
      });
      expectRocketChatError(await post(boss, 'users.delete', { username: 'nobody' }), 400, {
        success: false, error: 'The required "userId" or "username" param provided does not match any users [error-invalid-user]', errorType: 'error-invalid-user',
      });
      expectRocketChatError(await post(boss, 'users.delete', { userId: boss.user.id }), 400, LAST_ADMIN);
      expect((await get(boss, 'users.list')).body.total).toBe(3);
    });
  });
});
