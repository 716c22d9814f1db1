import request from 'supertest';
import { appPerTest, currentApp, describeEachStore, type SeededUser } from '../../support/testApp';
import { expectCleanJsonError, expectRocketChatJson, NOT_LOGGED_IN, USER_ID_FORMAT } from './rocketChatKit';

/** POST /api/v1/users.create: admin only, Rocket.Chat's answers, no secrets in the user shown. */
describeEachStore('Rocket.Chat users.create', (kind) => {
  const t = currentApp(appPerTest(kind));
  let admin: SeededUser;
  beforeEach(async () => {
    admin = await t.seedUser({ username: 'boss', roles: ['admin', 'user'] });
  });

  const create = (who: SeededUser, body: object) => request(t.app).post('/api/v1/users.create').set(who.headers).send(body);

  it('lets an admin create a user and answers {user, success:true} without secrets', async () => {
    const res = await create(admin, { username: 'carol', name: 'Carol', password: 's3cret pass', email: 'carol@example.com' });
    expect(res.status).toBe(200);
    expectRocketChatJson(res);
    expect(res.body).toEqual({
      user: expect.objectContaining({
        _id: expect.stringMatching(USER_ID_FORMAT),
        username: 'carol',
        name: 'Carol',
        emails: [{ address: 'carol@example.com', verified: false }],
        status: 'offline',
        active: true,
        roles: ['user'],
      }),
      success: true,
    });
    expect(res.body.user).not.toHaveProperty('services');
    expect(res.text).not.toContain('s3cret pass');
    expect(res.text).not.toMatch(/bcrypt|hashedToken|loginTokens|password/i);
  });

  it('creates a user who can then log in with that password, by username and by email', async () => {
    const created = await create(admin, { username: 'carol', name: 'Carol', password: 's3cret pass', email: 'carol@example.com' });
    for (const body of [{ user: 'carol', password: 's3cret pass' }, { user: 'carol@example.com', password: 's3cret pass' }]) {
      const login = await request(t.app).post('/api/v1/login').send(body);
      expect(login.status).toBe(200);
      expect(login.body.data.userId).toBe(created.body.user._id);
    }
  });

  it('creates a user without an email', async () => {
    const res = await create(admin, { username: 'dave', name: 'Dave', password: 'pw' });
    expect(res.status).toBe(200);
    expect(res.body.user).toMatchObject({ username: 'dave', name: 'Dave' });
    expect(res.body.user).not.toHaveProperty('emails');
  });

  it('refuses a non-admin with Rocket.Chat’s exact 400 body, and creates nothing', async () => {
    const plain = await t.seedUser();
    const res = await create(plain, { username: 'mallory', name: 'Mallory', password: 'pw' });
    expect(res.status).toBe(400);
    expectRocketChatJson(res);
    expect(res.body).toEqual({
      success: false,
      error: 'Adding user is not allowed [error-action-not-allowed]',
      errorType: 'error-action-not-allowed',
    });
    const login = await request(t.app).post('/api/v1/login').send({ user: 'mallory', password: 'pw' });
    expect(login.status).toBe(401);
  });

  it('refuses an anonymous caller with 401', async () => {
    const res = await request(t.app).post('/api/v1/users.create').send({ username: 'x', name: 'X', password: 'pw' });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(NOT_LOGGED_IN);
  });

  it('refuses a duplicate username with 400', async () => {
    expect((await create(admin, { username: 'carol', name: 'Carol', password: 'pw' })).status).toBe(200);
    const res = await create(admin, { username: 'carol', name: 'Another Carol', password: 'pw2' });
    expect(res.status).toBe(400);
    expectCleanJsonError(res);
    expect(res.body).toEqual({ success: false, error: 'carol is already in use :( [error-field-unavailable]', errorType: 'error-field-unavailable' });
  });

  it('refuses a username that differs from another only in letter case, as Rocket.Chat', async () => {
    expect((await create(admin, { username: 'carol', name: 'Carol', password: 'pw' })).status).toBe(200);
    const res = await create(admin, { username: 'CAROL', name: 'Shouting Carol', password: 'pw2' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ success: false, error: 'CAROL is already in use :( [error-field-unavailable]', errorType: 'error-field-unavailable' });
  });

  it('refuses the username of a seeded user too', async () => {
    const res = await create(admin, { username: 'boss', name: 'Impostor', password: 'pw' });
    expect(res.status).toBe(400);
    expect(res.body.errorType).toBe('error-field-unavailable');
  });

  it('refuses a duplicate email with 400', async () => {
    expect((await create(admin, { username: 'carol', name: 'Carol', password: 'pw', email: 'c@example.com' })).status).toBe(200);
    const res = await create(admin, { username: 'carol2', name: 'Carol', password: 'pw', email: 'C@example.com' });
    expect(res.status).toBe(400);
    expect(res.body.errorType).toBe('error-field-unavailable');
  });

  it.each([
    ['username', { name: 'N', password: 'pw' }],
    ['name', { username: 'nn', password: 'pw' }],
    ['password', { username: 'nn', name: 'N' }],
  ])('refuses a missing %s with a 400 naming it', async (param, body) => {
    const res = await create(admin, body);
    expect(res.status).toBe(400);
    expectCleanJsonError(res);
    expect(res.body).toEqual({ success: false, error: expect.stringContaining(`"${param}"`), errorType: 'invalid-params' });
  });

  it('refuses an address Rocket.Chat refuses with its 400 (error-invalid-email), its text quoting the address', async () => {
    for (const email of ['not an email', 'two@at@signs', '@nobody', 'nobody@']) {
      const res = await create(admin, { username: 'nn', name: 'N', password: 'pw', email });
      expect(res.status).toBe(400);
      expectCleanJsonError(res);
      expect(res.body).toEqual({ success: false, error: `Invalid email ${email} [error-invalid-email]`, errorType: 'error-invalid-email' });
    }
    const quoted = await create(admin, { username: 'nn', name: 'N', password: 'pw', email: '<b>' });
    expect(quoted.body.error).toBe('Invalid email &lt;b&gt; [error-invalid-email]');
  });

  it.each([
    ['username', { username: 'has space', name: 'N', password: 'pw' }],
    ['username', { username: 'x'.repeat(65), name: 'N', password: 'pw' }],
    ['username', { username: { $ne: null }, name: 'N', password: 'pw' }],
    ['name', { username: 'nn', name: 'N'.repeat(10000), password: 'pw' }],
  ])('refuses a bad %s with a 400 naming it', async (param, body) => {
    const res = await create(admin, body);
    expect(res.status).toBe(400);
    expectCleanJsonError(res);
    expect(res.body).toEqual({ success: false, error: expect.stringContaining(`"${param}"`), errorType: 'invalid-params' });
  });
});
