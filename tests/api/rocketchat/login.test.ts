import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import request from 'supertest';
import { hashLoginToken } from '../../../src/domain/services/credentials';
import { TEST_PASSWORD, appPerTest, currentApp, describeEachStore, type SeededUser } from '../../support/testApp';
import { expectRocketChatJson, LOGIN_REFUSED, LOGIN_TOKEN_FORMAT } from './rocketChatKit';

/** POST /api/v1/login and /api/v1/logout, with Rocket.Chat's answers. */
describeEachStore('Rocket.Chat login and logout', (kind) => {
  const t = currentApp(appPerTest(kind));
  let alice: SeededUser;
  beforeEach(async () => {
    alice = await t.seedUser({ username: 'alice', name: 'Alice', emails: [{ address: 'alice@example.com', verified: true }] });
  });

  const login = (body: object) => request(t.app).post('/api/v1/login').send(body);

  async function expectRefused(body: object): Promise<void> {
    const res = await login(body);
    expect(res.status).toBe(401);
    expectRocketChatJson(res);
    expect(res.body).toEqual(LOGIN_REFUSED);
  }

  it.each([
    ['user = username', { user: 'alice' }],
    ['username', { username: 'alice' }],
    ['email', { email: 'alice@example.com' }],
    ['user = email', { user: 'alice@example.com' }],
    ['user = email in another case', { user: 'Alice@Example.COM' }],
  ])('logs in with %s and password', async (_label, who) => {
    const res = await login({ ...who, password: TEST_PASSWORD });
    expect(res.status).toBe(200);
    expectRocketChatJson(res);
    expect(res.body).toEqual({
      status: 'success',
      data: { userId: alice.user.id, authToken: expect.stringMatching(LOGIN_TOKEN_FORMAT), me: expect.objectContaining({ _id: alice.user.id, username: 'alice' }) },
      success: true,
    });
  });

  it('gives a new token that authenticates', async () => {
    const res = await login({ user: 'alice', password: TEST_PASSWORD });
    const token = res.body.data.authToken as string;
    expect(token).not.toBe(alice.token);
    const me = await request(t.app).get('/api/v1/me').set({ 'X-User-Id': alice.user.id, 'X-Auth-Token': token });
    expect(me.status).toBe(200);
    expect(me.body._id).toBe(alice.user.id);
  });

  it('answers the login’s `me` with the user’s own fields and no secrets', async () => {
    const res = await login({ user: 'alice', password: TEST_PASSWORD });
    const me = res.body.data.me as Record<string, unknown>;
    expect(me).toMatchObject({ _id: alice.user.id, username: 'alice', name: 'Alice', status: 'offline', utcOffset: 0, active: true, roles: ['user'] });
    // As Rocket.Chat's getUserInfo: which login services the user has, never their secrets.
    expect(me.services).toEqual({ password: { exists: true } });
    const meJson = JSON.stringify(me);
    expect(meJson).not.toContain(res.body.data.authToken);
    expect(meJson).not.toContain(alice.token);
    expect(meJson).not.toMatch(/hashedToken|bcrypt|loginTokens|resume/i);
    expect(meJson).not.toContain(alice.user.credentials!.passwordHash as string);
  });

  it('resumes a valid token: same user, same token', async () => {
    const res = await login({ resume: alice.token });
    expect(res.status).toBe(200);
    expectRocketChatJson(res);
    expect(res.body).toEqual({
      status: 'success',
      data: { userId: alice.user.id, authToken: alice.token, me: expect.objectContaining({ _id: alice.user.id }) },
      success: true,
    });
    expect(res.body.data.me.services).toEqual({ password: { exists: true } });
    expect(JSON.stringify(res.body.data.me)).not.toMatch(/hashedToken|bcrypt|loginTokens/);
  });

  it('gives the same 401 for an unknown user and for a wrong password', async () => {
    await expectRefused({ user: 'nobody', password: TEST_PASSWORD });
    await expectRefused({ user: 'alice', password: 'wrong password' });
    await expectRefused({ email: 'nobody@example.com', password: TEST_PASSWORD });
  });

  it('refuses an inactive user with the right password', async () => {
    await t.seedUser({ username: 'sleeper', active: false });
    await expectRefused({ user: 'sleeper', password: TEST_PASSWORD });
  });

  it('refuses to resume an unknown token and a revoked one', async () => {
    await expectRefused({ resume: 'never-issued-token' });
    expect((await request(t.app).post('/api/v1/logout').set(alice.headers).send({})).status).toBe(200);
    await expectRefused({ resume: alice.token });
  });

  it('does not make the user online (as Rocket.Chat: a REST login is not a connection)', async () => {
    const viewer = await t.seedUser();
    expect((await login({ user: 'alice', password: TEST_PASSWORD })).status).toBe(200);
    expect((await login({ resume: alice.token })).status).toBe(200);
    const presence = await request(t.app).get('/api/v1/users.getPresence').query({ userId: alice.user.id }).set(viewer.headers);
    expect(presence.body).toEqual({ presence: 'offline', success: true });
    const list = await request(t.app).get('/api/v1/users.presence').set(viewer.headers);
    expect(list.body).toEqual({ users: [], full: true, success: true });
  });

  it('logs out with Rocket.Chat’s body and revokes only the token used', async () => {
    const second = await login({ user: 'alice', password: TEST_PASSWORD });
    const res = await request(t.app).post('/api/v1/logout').set(alice.headers).send({});
    expect(res.status).toBe(200);
    expectRocketChatJson(res);
    expect(res.body).toEqual({ status: 'success', data: { message: "You've been logged out!" } });
    expect((await request(t.app).get('/api/v1/me').set(alice.headers)).status).toBe(401);
    const stillIn = await request(t.app).get('/api/v1/me').set({ 'X-User-Id': alice.user.id, 'X-Auth-Token': second.body.data.authToken as string });
    expect(stillIn.status).toBe(200);
  });

  it.each([
    // supertest, like fetch(), sends `Content-Length: 0` and no Content-Type for a POST without a body.
    ['a POST with no body at all, as Rocket.Chat’s own tests and fetch() send it', 'post'],
    ['a GET too, as Rocket.Chat still accepts and its Node SDK sends', 'get'],
  ] as const)('logs out on %s, and refuses a logout without credentials', async (_name, method) => {
    const res = await request(t.app)[method]('/api/v1/logout').set(alice.headers);
    expect(res.status).toBe(200);
    expectRocketChatJson(res);
    expect(res.body).toEqual({ status: 'success', data: { message: "You've been logged out!" } });
    expect((await request(t.app).get('/api/v1/me').set(alice.headers)).status).toBe(401);
    expect((await request(t.app)[method]('/api/v1/logout')).status).toBe(401);
  });

  it('logs in with the username in any letter case, as Rocket.Chat', async () => {
    const res = await login({ user: 'ALICE', password: TEST_PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.data.userId).toBe(alice.user.id);
    expect(res.body.data.me.username).toBe('alice');
  });

  it('keeps at most 50 login tokens: the oldest goes, the newest and personal access tokens stay', async () => {
    // 49 logins of the last days, and a personal access token, stored as Rocket.Chat would have them.
    const now = t.clock.now().getTime();
    const old = Array.from({ length: 49 }, (_, i) => ({ token: `old-token-${i}`, when: new Date(now - (49 - i) * 60_000) }));
    await t.store.createUser({
      id: 'tokenKeeper00001', username: 'keeper', name: 'Keeper', utcOffset: 0, active: true, roles: ['user'], status: 'offline', statusText: '',
      presenceText: null, presenceExpiresAt: null, lastSeenAt: null, presenceChangedAt: null, presenceRevision: 0, createdAt: t.clock.now(),
      credentials: {
        passwordHash: bcrypt.hashSync(createHash('sha256').update('keeper password').digest('hex'), 4),
        loginTokens: [...old.map(({ token, when }) => ({ when, hashedToken: hashLoginToken(token) })), { hashedToken: hashLoginToken('pat'), type: 'personalAccessToken' } as never],
      },
    });
    const fresh: string[] = [];
    for (let i = 0; i < 2; i += 1) fresh.push((await login({ user: 'keeper', password: 'keeper password' })).body.data.authToken as string);
    expect((await t.store.findUserByLogin('keeper'))?.credentials?.loginTokens).toHaveLength(51);
    const me = (token: string) => request(t.app).get('/api/v1/me').set({ 'X-User-Id': 'tokenKeeper00001', 'X-Auth-Token': token });
    // The first login filled the 50 places; the second made room by removing the oldest.
    expect((await me(old[0].token)).status).toBe(401);
    expect((await me(old[1].token)).status).toBe(200);
    for (const token of [...fresh, 'pat']) expect((await me(token)).status).toBe(200);
  });
});
