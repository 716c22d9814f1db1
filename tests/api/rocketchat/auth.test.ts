import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import pino from 'pino';
import request from 'supertest';
import { createApp } from '../../../src/app';
import type { UserRecord } from '../../../src/domain/ports/records';
import { TEST_CONFIG, appPerTest, currentApp, describeEachStore } from '../../support/testApp';
import { expectRocketChatJson, NOT_LOGGED_IN } from './rocketChatKit';

/** Authentication of every route but login: X-User-Id + X-Auth-Token, refused with Rocket.Chat's exact 401 body. */
describeEachStore('Rocket.Chat auth', (kind) => {
  const t = currentApp(appPerTest(kind));

  async function expectNotLoggedIn(req: request.Test): Promise<void> {
    const res = await req;
    expect(res.status).toBe(401);
    expectRocketChatJson(res);
    expect(res.body).toEqual(NOT_LOGGED_IN);
  }

  it('accepts a valid X-User-Id + X-Auth-Token pair', async () => {
    const alice = await t.seedUser();
    const res = await request(t.app).get('/api/v1/me').set(alice.headers);
    expect(res.status).toBe(200);
    expect(res.body._id).toBe(alice.user.id);
  });

  it.each([
    ['GET', '/api/v1/me'],
    ['POST', '/api/v1/logout'],
    ['POST', '/api/v1/users.create'],
    ['POST', '/api/v1/users.setStatus'],
    ['GET', '/api/v1/users.getStatus'],
    ['GET', '/api/v1/users.getPresence'],
    ['GET', '/api/v1/users.presence'],
  ])('refuses %s %s without credentials', async (method, path) => {
    await expectNotLoggedIn(method === 'GET' ? request(t.app).get(path) : request(t.app).post(path).send({}));
  });

  it('refuses X-User-Id without X-Auth-Token', async () => {
    const alice = await t.seedUser();
    await expectNotLoggedIn(request(t.app).get('/api/v1/users.presence').set('X-User-Id', alice.user.id));
  });

  it('refuses an unknown token', async () => {
    const alice = await t.seedUser();
    await expectNotLoggedIn(
      request(t.app).get('/api/v1/users.presence').set({ 'X-User-Id': alice.user.id, 'X-Auth-Token': 'not-a-token-anybody-was-given' }),
    );
  });

  it('refuses a token revoked by logout, while the user’s other tokens keep working', async () => {
    const alice = await t.seedUser();
    const login = await request(t.app).post('/api/v1/login').send({ user: alice.user.username, password: 'correct horse battery staple' });
    expect(login.status).toBe(200);
    const second = { 'X-User-Id': alice.user.id, 'X-Auth-Token': login.body.data.authToken as string };

    // Used once before logout, so a cache of verified tokens would hold it.
    expect((await request(t.app).get('/api/v1/me').set(alice.headers)).status).toBe(200);
    expect((await request(t.app).post('/api/v1/logout').set(alice.headers).send({})).status).toBe(200);

    await expectNotLoggedIn(request(t.app).get('/api/v1/me').set(alice.headers));
    await expectNotLoggedIn(request(t.app).get('/api/v1/users.presence').set(alice.headers));
    expect((await request(t.app).get('/api/v1/me').set(second)).status).toBe(200);
  });

  it('refuses a token revoked through another instance once the cache age has passed', async () => {
    const alice = await t.seedUser();
    const other = createApp({ store: t.store, clock: t.clock, config: TEST_CONFIG, logger: pino({ level: 'silent' }) });
    expect((await request(t.app).get('/api/v1/me').set(alice.headers)).status).toBe(200);
    expect((await request(other).post('/api/v1/logout').set(alice.headers).send({})).status).toBe(200);
    t.clock.advance(TEST_CONFIG.cacheMaxAgeMs);
    await expectNotLoggedIn(request(t.app).get('/api/v1/me').set(alice.headers));
  });

  it('refuses an inactive user with a valid token', async () => {
    const ghost = await t.seedUser({ active: false });
    await expectNotLoggedIn(request(t.app).get('/api/v1/me').set(ghost.headers));
    await expectNotLoggedIn(request(t.app).get('/api/v1/users.presence').set(ghost.headers));
  });

  it('refuses a valid token sent with another user’s id', async () => {
    const alice = await t.seedUser();
    const bob = await t.seedUser();
    // Alice's token verified once first, so a cache cannot excuse the mismatch.
    expect((await request(t.app).get('/api/v1/me').set(alice.headers)).status).toBe(200);
    await expectNotLoggedIn(request(t.app).get('/api/v1/me').set({ 'X-User-Id': bob.user.id, 'X-Auth-Token': alice.token }));
    await expectNotLoggedIn(
      request(t.app).post('/api/v1/users.setStatus').set({ 'X-User-Id': bob.user.id, 'X-Auth-Token': alice.token }).send({ status: 'away' }),
    );
    // And Bob's status was not touched.
    const bobStatus = await request(t.app).get('/api/v1/users.getPresence').query({ userId: bob.user.id }).set(alice.headers);
    expect(bobStatus.body).toEqual({ presence: 'offline', success: true });
  });

  it('refuses a valid token with an unknown user id', async () => {
    const alice = await t.seedUser();
    await expectNotLoggedIn(request(t.app).get('/api/v1/me').set({ 'X-User-Id': 'NoSuchUserId12345', 'X-Auth-Token': alice.token }));
  });

  describe('a user document in Rocket.Chat’s own shape', () => {
    const token = 'Zq3vX0rmb1hIouQeOGwF5dPC8lA-KjTtN_2s9yEcWxU';
    const password = 'rocket.chat password';

    /** Built with Rocket.Chat's recipes, independently of the service's own helpers. */
    async function rocketChatUser(): Promise<UserRecord> {
      return {
        id: 'rocketCatLikeId01',
        createdAt: new Date('2024-03-01T10:00:00.000Z'),
        username: 'rc.user',
        name: 'RC User',
        emails: [{ address: 'rc.user@example.com', verified: true }],
        utcOffset: 2,
        active: true,
        roles: ['user'],
        status: 'offline',
        statusText: '',
        credentials: {
          passwordHash: await bcrypt.hash(createHash('sha256').update(password).digest('hex'), 10),
          // Made a few days before the test clock's now: tokens expire after LOGIN_EXPIRATION_DAYS (90).
          // A login of last week, inside LOGIN_EXPIRATION_DAYS (the test clock runs near real time).
          loginTokens: [{ when: new Date(Date.now() - 7 * 86_400_000), hashedToken: createHash('sha256').update(token).digest('base64') }],
        },
        // Fields this service adds; a document copied from Rocket.Chat has none of them yet.
        presenceText: null,
        presenceExpiresAt: null,
        lastSeenAt: null,
        presenceChangedAt: null,
        presenceRevision: 0,
      };
    }

    it('authenticates with its existing login token', async () => {
      await t.store.createUser(await rocketChatUser());
      const res = await request(t.app).get('/api/v1/me').set({ 'X-User-Id': 'rocketCatLikeId01', 'X-Auth-Token': token });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ _id: 'rocketCatLikeId01', username: 'rc.user', name: 'RC User', utcOffset: 2, success: true });
    });

    it('logs in with its existing password, by username and by email', async () => {
      await t.store.createUser(await rocketChatUser());
      for (const body of [{ user: 'rc.user', password }, { username: 'rc.user', password }, { email: 'rc.user@example.com', password }]) {
        const res = await request(t.app).post('/api/v1/login').send(body);
        expect(res.status).toBe(200);
        expect(res.body.data.userId).toBe('rocketCatLikeId01');
      }
    });

    it('resumes its existing token', async () => {
      await t.store.createUser(await rocketChatUser());
      const res = await request(t.app).post('/api/v1/login').send({ resume: token });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ userId: 'rocketCatLikeId01', authToken: token });
    });
  });
});
