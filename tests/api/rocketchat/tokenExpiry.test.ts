import request from 'supertest';
import { hashLoginToken } from '../../../src/domain/services/credentials';
import { TEST_PASSWORD, appPerTest, currentApp, describeEachStore, type SeededUser } from '../../support/testApp';

const DAY_MS = 86_400_000;
const UNAUTHORIZED = { success: false, error: 'You must be logged in to do this.', status: 'error', message: 'You must be logged in to do this.' };

/** Login tokens stop working LOGIN_EXPIRATION_DAYS after they were made, as Rocket.Chat's do. */
describeEachStore('login token expiry', (kind) => {
  const t = currentApp(appPerTest(kind, { loginExpirationDays: 90 }));
  let alice: SeededUser;
  beforeEach(async () => {
    alice = await t.seedUser({ username: 'alice' });
  });

  /** One call of each kind a client makes with a token. */
  const everyUse = (user: SeededUser): [api: 'rocketchat' | 'pnut', call: () => request.Test][] => [
    ['rocketchat', () => request(t.app).get('/api/v1/me').set(user.headers)],
    ['rocketchat', () => request(t.app).get('/api/v1/users.presence').set(user.headers)],
    ['rocketchat', () => request(t.app).post('/api/v1/users.setStatus').set(user.headers).send({ status: 'away' })],
    ['pnut', () => request(t.app).get('/v0/presence').set(user.bearer)],
    ['pnut', () => request(t.app).get('/v0/users/me/presence?update_presence=1').set(user.bearer)],
  ];

  it('a token works until its 90th day is over', async () => {
    t.clock.advance(90 * DAY_MS);
    for (const [, call] of everyUse(alice)) expect((await call()).status).toBe(200);
  });

  it('an expired token is 401 everywhere, in each API’s shape, and cannot be resumed', async () => {
    t.clock.advance(90 * DAY_MS + 1);
    for (const [api, call] of everyUse(alice)) {
      const res = await call();
      expect(res.status).toBe(401);
      if (api === 'pnut') expect(res.body).toEqual({ meta: { code: 401, error_message: 'You must be logged in to do this.' } });
      else expect(res.body).toEqual(UNAUTHORIZED);
    }
    const resumed = await request(t.app).post('/api/v1/login').send({ resume: alice.token });
    expect(resumed.status).toBe(401);
    expect(resumed.body).toEqual({ success: false, status: 'error', error: 'Unauthorized', message: 'Unauthorized' });
  });

  it('a token verified just before it expires is not trusted from the cache afterwards', async () => {
    t.clock.advance(90 * DAY_MS - 500);
    await request(t.app).get('/api/v1/me').set(alice.headers).expect(200);
    t.clock.advance(501);
    await request(t.app).get('/api/v1/me').set(alice.headers).expect(401);
  });

  describe('with LOGIN_EXPIRATION_DAYS=1', () => {
    const short = currentApp(appPerTest(kind, { loginExpirationDays: 1 }));

    it('follows LOGIN_EXPIRATION_DAYS', async () => {
      const bob = await short.seedUser();
      short.clock.advance(DAY_MS + 1);
      await request(short.app).get('/api/v1/me').set(bob.headers).expect(401);
    });
  });

  it('a new login gives a token that works, and prunes the user’s expired tokens', async () => {
    t.clock.advance(90 * DAY_MS + 1);
    const res = await request(t.app).post('/api/v1/login').send({ user: 'alice', password: TEST_PASSWORD }).expect(200);
    const token = res.body.data.authToken as string;
    await request(t.app).get('/api/v1/me').set({ 'X-User-Id': alice.user.id, 'X-Auth-Token': token }).expect(200);
    const stored = (await t.store.findUserByLogin('alice'))?.credentials?.loginTokens?.map((loginToken) => loginToken.hashedToken);
    expect(stored).toEqual([hashLoginToken(token)]);
  });

  it('pruning keeps the tokens that are still valid', async () => {
    t.clock.advance(45 * DAY_MS);
    const second = (await request(t.app).post('/api/v1/login').send({ user: 'alice', password: TEST_PASSWORD }).expect(200)).body.data.authToken as string;
    t.clock.advance(45 * DAY_MS + 1);
    const third = (await request(t.app).post('/api/v1/login').send({ user: 'alice', password: TEST_PASSWORD }).expect(200)).body.data.authToken as string;
    const stored = (await t.store.findUserByLogin('alice'))?.credentials?.loginTokens?.map((loginToken) => loginToken.hashedToken);
    expect(stored).toEqual([hashLoginToken(second), hashLoginToken(third)]);
    await request(t.app).get('/api/v1/me').set({ 'X-User-Id': alice.user.id, 'X-Auth-Token': second }).expect(200);
    await request(t.app).get('/api/v1/me').set(alice.headers).expect(401);
  });
});
