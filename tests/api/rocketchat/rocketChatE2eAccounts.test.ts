import { createHash } from 'node:crypto';
import request from 'supertest';
import { AccountService } from '../../../src/domain/services/accountService';
import { Passwords } from '../../../src/domain/services/passwords';
import { BcryptWorkerPool } from '../../../src/passwords/bcryptWorkerPool';
import { appPerTest, currentApp, describeEachStore, seedInto, type SeededUser, type TestApp } from '../../support/testApp';
import { goStatus, loginBlocked } from './rocketChatKit';

/**
 * Rocket.Chat's own REST expectations for the accounts side, restated against this service on both stores:
 * apps/meteor/tests/end-to-end/api/miscellaneous.ts (`/login` in every form, `/me`), users.ts (`[/users.create]`,
 * `[/users.setStatus]`, `[/users.getStatus]`, `[/users.getPresence]`, as far as this service has what they need)
 * and failed-login-attempts.ts. Each `it` names the Rocket.Chat case it restates; docs/api.md, "Compatibility with
 * Rocket.Chat's API tests", lists the cases left out and why.
 *
 * Rocket.Chat's suite runs against a server installed with its test data: the admin
 * `rocketchat.internal.admin.test` (password the same, address `rocketchat.internal.admin.test@rocket.chat`,
 * which ADMIN_EMAIL gives here) and users made with `password` `rocket.chat`, e-mail addresses
 * `…@rocket.chat-<digits>`.
 */
const adminUsername = 'rocketchat.internal.admin.test';
const adminEmail = `${adminUsername}@rocket.chat`;
const adminPassword = adminUsername;
const password = 'rocket.chat';
const apiUsername = `apiuser.test-${Date.now()}`;
const apiEmail = `apiuser.test@rocket.chat-${Date.now()}`;
const api = (method: string) => `/api/v1/${method}`;

/** The admin as Rocket.Chat's installation makes it (ADMIN_USERNAME, ADMIN_PASS, ADMIN_EMAIL). */
function seedAdmin(t: TestApp): Promise<SeededUser> {
  return seedInto(t.store, t.clock, { username: adminUsername, name: 'Administrator', roles: ['admin', 'user'], emails: [{ address: adminEmail, verified: true }] }, adminPassword);
}

/** Rocket.Chat's tests' createUser: users.create as the admin, with the test password. */
async function createUser(t: TestApp, admin: SeededUser, fields: Record<string, unknown> = {}): Promise<{ _id: string; username: string; emails: { address: string }[] }> {
  const username = `user.test.${Date.now()}.${Math.random().toString(36).slice(2, 8)}`;
  const res = await request(t.app).post(api('users.create')).set(admin.headers).send({ email: `${username}@rocket.chat`, name: username, username, password, ...fields });
  expect(res.status).toBe(200);
  return res.body.user;
}

async function login(t: TestApp, username: string, pass: string): Promise<{ 'X-User-Id': string; 'X-Auth-Token': string }> {
  const res = await request(t.app).post(api('login')).send({ user: username, password: pass });
  expect(res.status).toBe(200);
  return { 'X-User-Id': res.body.data.userId, 'X-Auth-Token': res.body.data.authToken };
}

/** miscellaneous.ts's check of a successful login. */
function expectLoggedIn(res: request.Response): void {
  expect(res.headers['content-type']).toBe('application/json');
  expect(res.status).toBe(200);
  expect(res.body).toHaveProperty('status', 'success');
  expect(typeof res.body.data).toBe('object');
  expect(res.body.data).toHaveProperty('userId');
  expect(res.body.data).toHaveProperty('authToken');
  expect(res.body.data).toHaveProperty('me');
}

describeEachStore('Rocket.Chat’s own miscellaneous.ts and users.ts expectations: accounts', (kind) => {
  const t = currentApp(appPerTest(kind));
  let admin: SeededUser;
  beforeEach(async () => {
    admin = await seedAdmin(t);
  });

  describe('[/login] (miscellaneous.ts)', () => {
    it('/login: gives credentials', async () => {
      const credentials = await login(t, adminUsername, adminPassword);
      expect(credentials['X-Auth-Token'].length).toBeGreaterThanOrEqual(1);
      expect(credentials['X-User-Id']).toBe(admin.user.id);
    });

    it('/login (wrapper username)', async () => {
      expectLoggedIn(await request(t.app).post(api('login')).send({ user: { username: adminUsername }, password: adminPassword }));
    });

    it('/login (wrapper email)', async () => {
      expectLoggedIn(await request(t.app).post(api('login')).send({ user: { email: adminEmail }, password: adminPassword }));
    });

    it('/login by user (the admin’s e-mail address in `user`)', async () => {
      expectLoggedIn(await request(t.app).post(api('login')).send({ user: adminEmail, password: adminPassword }));
    });

    it('/login by username', async () => {
      expectLoggedIn(await request(t.app).post(api('login')).send({ username: adminUsername, password: adminPassword }));
    });

    it('logs in with Meteor’s hashed password ({digest, algorithm: "sha-256"}) in every name form, and refuses a wrong digest as a wrong password', async () => {
      const digest = createHash('sha256').update(adminPassword).digest('hex');
      for (const name of [{ user: adminUsername }, { user: adminEmail }, { username: adminUsername }, { email: adminEmail }, { user: { username: adminUsername } }, { user: { email: adminEmail } }, { user: { id: admin.user.id } }]) {
        const res = await request(t.app).post(api('login')).send({ ...name, password: { digest, algorithm: 'sha-256' } });
        expectLoggedIn(res);
        expect(res.body.data.userId).toBe(admin.user.id);
      }
      const wrong = await request(t.app).post(api('login')).send({ user: adminUsername, password: { digest: createHash('sha256').update('wrong').digest('hex'), algorithm: 'sha-256' } });
      expect(wrong.status).toBe(401);
      expect(wrong.body).toEqual({ success: false, status: 'error', error: 'Unauthorized', message: 'Unauthorized' });
    });

    it('names nobody by a username given as an address, nor by an address given as a username', async () => {
      for (const body of [{ user: { username: adminEmail } }, { user: { email: adminUsername } }, { email: adminUsername }, { user: { id: adminUsername } }]) {
        const res = await request(t.app).post(api('login')).send({ ...body, password: adminPassword });
        expect(res.status).toBe(401);
        expect(res.body.message).toBe('Unauthorized');
      }
    });

    it('refuses a Meteor user selector that is not exactly one of username, email, id, and an unknown hash algorithm', async () => {
      for (const body of [
        { user: {}, password: adminPassword },
        { user: { username: adminUsername, email: adminEmail }, password: adminPassword },
        { user: { name: adminUsername }, password: adminPassword },
        { user: adminUsername, password: { digest: createHash('sha1').update(adminPassword).digest('hex'), algorithm: 'sha-1' } },
        { user: adminUsername, password: { digest: 'short', algorithm: 'sha-256' } },
      ]) {
        const res = await request(t.app).post(api('login')).send(body);
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ success: false, error: expect.stringMatching(/^The parameter "(user|password)" .* \[invalid-params\]$/), errorType: 'invalid-params' });
      }
    });
  });

  it('/me (miscellaneous.ts): the user’s fields, every default preference, services without any secret', async () => {
    const user = await createUser(t, admin);
    const userCredentials = await login(t, user.username, password);
    const res = await request(t.app).get(api('me')).set(userCredentials);
    // Rocket.Chat Community Edition's list (no omnichannelTranscriptPDF).
    const allUserPreferencesKeys = [
      'alsoSendThreadToChannel', 'newRoomNotification', 'newMessageNotification', 'showThreadsInMainChannel', 'useEmojis', 'convertAsciiEmoji',
      'saveMobileBandwidth', 'collapseMediaByDefault', 'autoImageLoad', 'emailNotificationMode', 'unreadAlert', 'notificationsSoundVolume',
      'omnichannelTranscriptEmail', 'desktopNotifications', 'pushNotifications', 'enableAutoAway', 'desktopNotificationRequireInteraction',
      'hideUsernames', 'hideRoles', 'displayAvatars', 'hideFlexTab', 'sendOnEnter', 'idleTimeLimit', 'sidebarShowFavorites', 'sidebarShowUnread',
      'themeAppearence', 'sidebarSortby', 'sidebarViewMode', 'sidebarDisplayAvatar', 'sidebarGroupByType', 'sidebarSectionsOrder',
      'muteFocusedConversations', 'notifyCalendarEvents', 'enableMobileRinging', 'featuresPreview',
    ];
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.status).toBe(200);
    expect(res.body).toHaveProperty('success', true);
    expect(res.body).toHaveProperty('_id', user._id);
    expect(res.body).toHaveProperty('username', user.username);
    expect(res.body).toHaveProperty('active');
    expect(res.body).toHaveProperty('name');
    expect(Array.isArray(res.body.roles)).toBe(true);
    expect(res.body.emails[0].address).toBe(user.emails[0].address);
    expect(typeof res.body.settings.preferences).toBe('object');
    expect(Object.keys(res.body.settings.preferences).sort()).toEqual([...allUserPreferencesKeys].sort());
    expect(res.body.services).toBeDefined();
    expect(res.body.services).not.toHaveProperty('password.bcrypt');
    // Rocket.Chat's defaults, a few of them by value.
    expect(res.body.settings.preferences).toMatchObject({ newRoomNotification: 'door', newMessageNotification: 'chime', idleTimeLimit: 300, enableAutoAway: true, sidebarViewMode: 'medium' });
  });

  describe('[/users.create] (users.ts)', () => {
    const create = (body: object) => request(t.app).post(api('users.create')).set(admin.headers).send(body);
    /** What Rocket.Chat's cases check of a user they create: named `username` (the display name too), with `email`, active. */
    const expectCreated = (res: request.Response, username: string, email: string) => {
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.status).toBe(200);
      expect(res.body).toHaveProperty('success', true);
      expect(res.body.user.username).toBe(username);
      expect(res.body.user.emails[0].address).toBe(email);
      expect(res.body.user.active).toBe(true);
      expect(res.body.user.name).toBe(username);
    };

    it('should create a new user with custom fields', async () => {
      const username = `customField_${apiUsername}`;
      const email = `customField_${apiEmail}`;
      const customFields = { customFieldText: 'success' };
      const res = await create({ email, name: username, username, password, active: true, roles: ['user'], joinDefaultChannels: true, verified: true, customFields });
      expectCreated(res, username, email);
      expect(res.body.user.customFields.customFieldText).toBe('success');
      expect(res.body.user).not.toHaveProperty('e2e');
      // verified: true was kept, and the user can log in with the password, by the address in any case too.
      expect(res.body.user.emails[0].verified).toBe(true);
      await login(t, username, password);
      await login(t, email.toLowerCase(), password);
    });

    it.each(['admin', 'administrator', 'system', 'user'])('should not create a new user if username is the reserved word %s', async (name) => {
      const res = await create({ email: `create_user_fail_${apiEmail}`, name: `create_user_fail_${apiUsername}`, username: name, password, active: true, roles: ['user'], joinDefaultChannels: true, verified: true });
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.status).toBe(400);
      expect(res.body).toHaveProperty('success', false);
      expect(res.body).toHaveProperty('error', `${name} is blocked and can't be used! [error-blocked-username]`);
      expect(res.body).toHaveProperty('errorType', 'error-blocked-username');
    });

    it('refuses the reserved words in any letter case, as Rocket.Chat compares them lower-cased', async () => {
      const res = await create({ email: `x_${apiEmail}`, name: 'X', username: 'System', password });
      expect(res.body).toEqual({ success: false, error: "System is blocked and can't be used! [error-blocked-username]", errorType: 'error-blocked-username' });
    });

    it('should create a new user with only the role provided', async () => {
      const username = `defaultUserRole_${apiUsername}${Date.now()}`;
      const email = `defaultUserRole_${apiEmail}${Date.now()}`;
      const res = await create({ email, name: username, username, password, roles: ['guest'] });
      expectCreated(res, username, email);
      expect(res.body.user.roles).toEqual(['guest']);
    });

    it('gives a user created without roles Rocket.Chat’s default role, user', async () => {
      const res = await create({ email: `default_${apiEmail}`, name: 'D', username: `default_${apiUsername}`, password });
      expect(res.body.user.roles).toEqual(['user']);
    });

    it('refuses a role no Rocket.Chat server has, as Rocket.Chat does, and creates nobody', async () => {
      const res = await create({ email: `role_${apiEmail}`, name: 'R', username: `role_${apiUsername}`, password, roles: ['user', 'superuser'] });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ success: false, error: 'The field Roles consist invalid role id [error-action-not-allowed]', errorType: 'error-action-not-allowed' });
      expect((await request(t.app).post(api('login')).send({ user: `role_${apiUsername}`, password })).status).toBe(401);
    });

    it('creates an inactive user with active: false (users.ts, [/users.list]’s deactivated user), who cannot log in', async () => {
      const username = `deactivated_${Date.now()}${apiUsername}`;
      const email = `deactivated_+${Date.now()}${apiEmail}`;
      const res = await create({ email, name: username, username, password, active: false });
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({ username, active: false, name: username });
      expect(res.body.user.emails[0].address).toBe(email);
      expect(res.body.user).not.toHaveProperty('e2e');
      const refused = await request(t.app).post(api('login')).send({ user: username, password });
      expect(refused.status).toBe(401);
    });

    it('keeps requirePasswordChange and shows it to the user', async () => {
      const user = await createUser(t, admin, { requirePasswordChange: true });
      const me = await request(t.app).get(api('me')).set(await login(t, user.username, password));
      expect(me.body.requirePasswordChange).toBe(true);
      const plain = await createUser(t, admin, { requirePasswordChange: false });
      const plainMe = await request(t.app).get(api('me')).set(await login(t, plain.username, password));
      expect(plainMe.body).not.toHaveProperty('requirePasswordChange');
    });

    it('refuses the fields it cannot keep rather than dropping them, naming each', async () => {
      for (const [field, value] of [['bio', 'hello'], ['nickname', 'nick'], ['settings', { preferences: {} }], ['phones', [{ number: '+1 555' }]], ['fields', '{"username":1}'], ['setRandomPassword', true], ['sendWelcomeEmail', true]] as const) {
        const res = await create({ email: `f_${apiEmail}`, name: 'F', username: `f_${apiUsername}`, password, [field]: value });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ success: false, error: expect.stringMatching(new RegExp(`^The parameter "${field}" .* \\[invalid-params\\]$`)), errorType: 'invalid-params' });
      }
      // What changes nothing is accepted.
      const fine = await create({ email: `f_${apiEmail}`, name: 'F', username: `f_${apiUsername}`, password, bio: null, setRandomPassword: false, sendWelcomeEmail: false, joinDefaultChannels: false });
      expect(fine.status).toBe(200);
    });

    it('validates addresses as Rocket.Chat: its test addresses pass, one without "@" is refused with error-invalid-email', async () => {
      expect((await create({ email: `plain_${apiEmail}`, name: 'P', username: `plain_${apiUsername}`, password })).status).toBe(200);
      const res = await create({ email: 'no-at-sign', name: 'P', username: `plain2_${apiUsername}`, password });
      expect(res.body).toEqual({ success: false, error: 'Invalid email no-at-sign [error-invalid-email]', errorType: 'error-invalid-email' });
    });
  });

  describe('[/users.setStatus] (users.ts)', () => {
    let user: { _id: string; username: string };
    let plainCredentials: { 'X-User-Id': string; 'X-Auth-Token': string };
    beforeEach(async () => {
      user = await createUser(t, admin);
      plainCredentials = await login(t, user.username, password);
    });
    const setStatus = (who: Record<string, string>, body: object) => request(t.app).post(api('users.setStatus')).set(who).send(body);
    const getUserStatus = async (userId: string) => (await request(t.app).get(api('users.getStatus')).query({ userId }).set(admin.headers).expect(200)).body;

    it('should update my own status', async () => {
      const res = await setStatus(admin.headers, { status: 'busy', message: 'test' });
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.status).toBe(200);
      expect(res.body).toHaveProperty('success', true);
      expect((await getUserStatus(admin.user.id)).status).toBe('busy');
    });

    it('should return an error when trying to update other user status without the required permission', async () => {
      // Without a permissions API, "without the permission" is a user who is not an admin.
      const res = await setStatus(plainCredentials, { status: 'busy', message: 'test', userId: admin.user.id });
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.status).toBe(403);
      expect(res.body).toHaveProperty('success', false);
      expect(res.body.error).toBe('unauthorized');
      expect(res.body).toEqual({ success: false, error: 'unauthorized' });
    });

    it('should update another user status succesfully', async () => {
      await setStatus(admin.headers, { status: 'busy', message: 'test' }).expect(200);
      const res = await setStatus(admin.headers, { status: 'busy', message: 'test', userId: user._id });
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.status).toBe(200);
      expect(res.body).toHaveProperty('success', true);
      // Rocket.Chat's test reads the caller's status here.
      const status = await getUserStatus(admin.user.id);
      expect(status.status).toBe('busy');
      expect(status.message).toBe('test');
      // And the other user's status text is the one set for him.
      expect((await getUserStatus(user._id)).message).toBe('test');
    });

    it('names the other user by username or user, as Rocket.Chat’s validator allows, for an admin and for nobody else', async () => {
      await setStatus(admin.headers, { message: 'by username', username: user.username }).expect(200);
      expect((await getUserStatus(user._id)).message).toBe('by username');
      await setStatus(admin.headers, { message: 'by user', user: user.username }).expect(200);
      expect((await getUserStatus(user._id)).message).toBe('by user');
      for (const naming of [{ username: adminUsername }, { user: adminUsername }]) {
        const res = await setStatus(plainCredentials, { message: 'mine now', ...naming });
        expect(res.status).toBe(403);
        expect(res.body).toEqual({ success: false, error: 'unauthorized' });
      }
      expect((await getUserStatus(admin.user.id))).not.toHaveProperty('message', 'mine now');
    });

    it('lets anyone name themself by id, username or user, and refuses an admin naming nobody known with error-invalid-user', async () => {
      for (const naming of [{ userId: user._id }, { username: user.username }, { user: user.username }]) {
        await setStatus(plainCredentials, { status: 'away', message: JSON.stringify(naming), ...naming }).expect(200);
        expect((await getUserStatus(user._id)).message).toBe(JSON.stringify(naming));
      }
      const unknown = await setStatus(admin.headers, { status: 'away', username: 'nobody.at.all' });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toEqual({ success: false, error: 'The required "userId" or "username" param provided does not match any users [error-invalid-user]', errorType: 'error-invalid-user' });
    });

    it('should return an error when the user try to update user status with an invalid status', async () => {
      const res = await setStatus(admin.headers, { status: 'invalid' });
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.status).toBe(400);
      expect(res.body).toHaveProperty('success', false);
      expect(res.body.errorType).toBe('error-invalid-status');
      expect(res.body.error).toBe('Valid status types include online, away, offline, and busy. [error-invalid-status]');
    });

    it('should return an error when the payload is missing all supported fields', async () => {
      const res = await setStatus(admin.headers, {});
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.status).toBe(400);
      expect(res.body).toHaveProperty('success', false);
      expect(res.body.error).toBe('Match error: Failed Match.OneOf, Match.Maybe or Match.Optional validation');
    });
  });

  describe('[/users.getStatus] and [/users.getPresence] (users.ts, naming as Rocket.Chat’s validators allow)', () => {
    let user: { _id: string; username: string };
    beforeEach(async () => {
      user = await createUser(t, admin);
      await goStatus(t, admin, 'away', 'reading');
    });

    it.each(['userId', 'username', 'user'] as const)('reads another user named by %s', async (param) => {
      const value = param === 'userId' ? user._id : user.username;
      const status = await request(t.app).get(api('users.getStatus')).query({ [param]: value }).set(admin.headers);
      expect(status.status).toBe(200);
      expect(status.body).toEqual({ _id: user._id, status: 'offline', success: true });
      const presence = await request(t.app).get(api('users.getPresence')).query({ [param]: value }).set(admin.headers);
      expect(presence.status).toBe(200);
      expect(presence.body).toEqual({ presence: 'offline', success: true });
    });

    it.each(['userId', 'username', 'user'] as const)('reads the caller, with his own fields, when %s names him', async (param) => {
      const value = param === 'userId' ? admin.user.id : adminUsername;
      const status = await request(t.app).get(api('users.getStatus')).query({ [param]: value }).set(admin.headers);
      // His connection (the declaration setStatus made) is online; the status he chose is away.
      expect(status.body).toMatchObject({ _id: admin.user.id, status: 'away', message: 'reading', connectionStatus: 'online', success: true });
      const presence = await request(t.app).get(api('users.getPresence')).query({ [param]: value }).set(admin.headers);
      expect(presence.body).toMatchObject({ presence: 'away', connectionStatus: 'online', success: true });
    });

    it('finds a username in any letter case, as Rocket.Chat’s findOneByUsernameIgnoringCase', async () => {
      const res = await request(t.app).get(api('users.getPresence')).query({ user: user.username.toUpperCase() }).set(admin.headers);
      expect(res.body).toEqual({ presence: 'offline', success: true });
    });

    it('answers an unknown user named by user with Rocket.Chat’s 400 error-invalid-user', async () => {
      const res = await request(t.app).get(api('users.getStatus')).query({ user: 'nobody.at.all' }).set(admin.headers);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ success: false, error: 'The required "userId" or "username" param provided does not match any users [error-invalid-user]', errorType: 'error-invalid-user' });
    });
  });

  it('ADMIN_EMAIL gives the admin Rocket.Chat’s test address, verified, so a login by it works', async () => {
    const hasher = new BcryptWorkerPool({ workers: 1, maxWaiting: 1 });
    const accounts = new AccountService(t.store, t.clock, { authCacheTtlMs: 0, authCacheMaxEntries: 0, loginExpirationDays: 90, loginAttemptLimit: 10, loginAttemptWindowMs: 60_000 }, new Passwords(hasher));
    expect(await accounts.ensureAdmin('installer', 'installer-pass', 'installer@rocket.chat').finally(() => hasher.close())).toEqual({ created: true });
    const res = await request(t.app).post(api('login')).send({ user: { email: 'installer@rocket.chat' }, password: 'installer-pass' });
    expectLoggedIn(res);
    expect(res.body.data.me).toMatchObject({ username: 'installer', roles: ['admin', 'user'], emails: [{ address: 'installer@rocket.chat', verified: true }] });
  });
});

/** failed-login-attempts.ts, with the limit at its per-user 2 (this service has one limit for addresses and accounts). */
describeEachStore('Rocket.Chat’s own failed-login-attempts.ts expectations', (kind) => {
  const maxAttempts = 2;
  const windowSeconds = 60;
  const t = currentApp(appPerTest(kind, { loginRateLimit: maxAttempts, loginRateWindowSeconds: windowSeconds, trustProxy: true }));
  let user: SeededUser;
  beforeEach(async () => {
    user = await seedInto(t.store, t.clock, { username: `blocked.${Date.now()}` }, password);
  });
  /** Each attempt from an address of its own unless `from` is given: the account's limit is then the one met. */
  let nextAddress = 1;
  const attempt = (username: string, pass: string, from = `198.51.100.${nextAddress++ % 250}`) =>
    request(t.app).post(api('login')).set('X-Forwarded-For', from).send({ user: username, password: pass });

  async function shouldFailLoginWithUser(username: string, pass: string, from?: string): Promise<void> {
    const res = await attempt(username, pass, from);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.status).toBe(401);
    expect(res.body).toHaveProperty('status', 'error');
    expect(res.body).toHaveProperty('message', 'Unauthorized');
  }

  async function shouldSuccesfullyLoginWithUser(username: string, pass: string, from?: string): Promise<void> {
    const res = await attempt(username, pass, from);
    expect(res.status).toBe(200);
    expect(res.body).toHaveProperty('status', 'success');
  }

  async function shouldBlockLogin(username: string, pass: string, reason: 'user' | 'ip', from?: string): Promise<void> {
    const res = await attempt(username, pass, from);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.status).toBe(401);
    expect(res.body).toHaveProperty('status', 'error');
    expect(res.body).toHaveProperty('error', `error-login-blocked-for-${reason}`);
    expect(res.body).toEqual(loginBlocked(reason));
  }

  it('[Block by User] should block by User when the limit amount of failed attempts is reached', async () => {
    for (let i = 0; i < maxAttempts; i += 1) await shouldFailLoginWithUser(user.user.username, `${password}-incorrect`);
    await shouldBlockLogin(user.user.username, password, 'user');
  });

  it('[Block by User] should unblock user after block time', async () => {
    for (let i = 0; i < maxAttempts; i += 1) await shouldFailLoginWithUser(user.user.username, `${password}-incorrect`);
    await shouldBlockLogin(user.user.username, password, 'user');
    t.clock.advanceSeconds(windowSeconds);
    await shouldSuccesfullyLoginWithUser(user.user.username, password);
  });

  it('[Block by User] should count failed attempts by user', async () => {
    const newUser = await seedInto(t.store, t.clock, { username: `other.${Date.now()}` }, password);
    for (let i = 0; i < maxAttempts; i += 1) await shouldFailLoginWithUser(user.user.username, `${password}-incorrect`);
    await shouldFailLoginWithUser(newUser.user.username, `${password}-incorrect`);
    await shouldSuccesfullyLoginWithUser(newUser.user.username, password);
  });

  it('[Block by IP] should block by IP when trying to login with multiple users and the limit amount of failed attempts is reached', async () => {
    const userLogin = await seedInto(t.store, t.clock, { username: `login.${Date.now()}` }, password);
    await shouldFailLoginWithUser(user.user.username, `${password}-incorrect`, '203.0.113.9');
    await shouldFailLoginWithUser(`nobody.${Date.now()}`, `${password}-incorrect`, '203.0.113.9');
    await shouldBlockLogin(userLogin.user.username, password, 'ip', '203.0.113.9');
  });

  it('[Block by IP] should unblock IP after block time', async () => {
    const userLogin = await seedInto(t.store, t.clock, { username: `login.${Date.now()}` }, password);
    for (let i = 0; i < maxAttempts; i += 1) await shouldFailLoginWithUser(`nobody${i}.${Date.now()}`, `${password}-incorrect`, '203.0.113.10');
    await shouldBlockLogin(userLogin.user.username, password, 'ip', '203.0.113.10');
    t.clock.advanceSeconds(windowSeconds);
    await shouldSuccesfullyLoginWithUser(userLogin.user.username, password, '203.0.113.10');
  });
});
