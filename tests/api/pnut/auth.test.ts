import request from 'supertest';
import { TEST_PASSWORD, appPerTest, currentApp, describeEachStore } from '../../support/testApp';
import { expectPnutError, expectPnutSuccess } from './pnutHelpers';

const RC_UNAUTHORIZED = {
  success: false,
  error: 'You must be logged in to do this.',
  status: 'error',
  message: 'You must be logged in to do this.',
};

describeEachStore('Bearer tokens on both APIs', (kind) => {
  const t = currentApp(appPerTest(kind));

  describe('pnut (/v0)', () => {
    it('accepts Authorization: Bearer with a login token', async () => {
      const alice = await t.seedUser();
      const res = await request(t.app).get('/v0/users/me/presence').set(alice.bearer);
      const data = expectPnutSuccess(res) as Record<string, unknown>;
      expect(data.id).toBe(alice.user.id);
    });

    it('accepts the scheme name in any case', async () => {
      const alice = await t.seedUser();
      const res = await request(t.app).get('/v0/users/me/presence').set('Authorization', `bearer ${alice.token}`);
      expect((expectPnutSuccess(res) as Record<string, unknown>).id).toBe(alice.user.id);
    });

    it('accepts a token obtained from Rocket.Chat login', async () => {
      const alice = await t.seedUser({ username: 'alice' });
      const login = await request(t.app).post('/api/v1/login').send({ user: 'alice', password: TEST_PASSWORD }).expect(200);
      const token = login.body.data.authToken as string;
      const res = await request(t.app).get('/v0/users/me/presence').set('Authorization', `Bearer ${token}`);
      expect((expectPnutSuccess(res) as Record<string, unknown>).id).toBe(alice.user.id);
    });

    it('answers 401 in the envelope without credentials', async () => {
      await t.seedUser();
      expectPnutError(await request(t.app).get('/v0/presence'), 401, 'You must be logged in to do this.');
      expectPnutError(await request(t.app).get('/v0/users/me/presence'), 401, 'You must be logged in to do this.');
      expectPnutError(await request(t.app).put('/v0/users/me/presence').send({ presence: 'x' }), 401, 'You must be logged in to do this.');
    });

    it('answers 401 for an unknown token', async () => {
      await t.seedUser();
      expectPnutError(await request(t.app).get('/v0/presence').set('Authorization', 'Bearer not-a-real-token'), 401, 'You must be logged in to do this.');
    });

    it('answers 401 for a non-Bearer Authorization header', async () => {
      const alice = await t.seedUser();
      const basic = `Basic ${Buffer.from(`alice:${alice.token}`).toString('base64')}`;
      expectPnutError(await request(t.app).get('/v0/presence').set('Authorization', basic), 401, 'You must be logged in to do this.');
      expectPnutError(await request(t.app).get('/v0/presence').set('Authorization', 'Bearer'), 401, 'You must be logged in to do this.');
      expectPnutError(await request(t.app).get('/v0/presence').set('Authorization', `Bearer ${alice.token} extra`), 401, 'You must be logged in to do this.');
    });

    it('answers 401 for a deactivated user', async () => {
      const inactive = await t.seedUser({ active: false });
      expectPnutError(await request(t.app).get('/v0/presence').set(inactive.bearer), 401, 'You must be logged in to do this.');
    });

    it('refuses a token after Rocket.Chat logout done with that Bearer token', async () => {
      const alice = await t.seedUser();
      await request(t.app).get('/v0/presence').set(alice.bearer).expect(200);
      await request(t.app).post('/api/v1/logout').set(alice.bearer).send({}).expect(200);
      expectPnutError(await request(t.app).get('/v0/presence').set(alice.bearer), 401, 'You must be logged in to do this.');
    });

    it('does not update presence when the call is not authenticated', async () => {
      const alice = await t.seedUser();
      expectPnutError(await request(t.app).get('/v0/presence?update_presence=online').set('Authorization', 'Bearer nope'), 401, 'You must be logged in to do this.');
      const res = await request(t.app).get('/v0/users/me/presence').set(alice.bearer);
      expect((expectPnutSuccess(res) as Record<string, unknown>).presence).toBe('offline');
    });
  });

  describe('Rocket.Chat (/api/v1)', () => {
    it('GET /me accepts a Bearer token', async () => {
      const alice = await t.seedUser();
      const res = await request(t.app).get('/api/v1/me').set(alice.bearer).expect(200);
      expect(res.body).toEqual(expect.objectContaining({ _id: alice.user.id, username: alice.user.username, success: true }));
    });

    it('users.setStatus, users.getStatus, users.getPresence and users.presence accept a Bearer token', async () => {
      const alice = await t.seedUser();
      await request(t.app).post('/api/v1/users.setStatus').set(alice.bearer).send({ status: 'busy' }).expect(200, { success: true });
      const status = await request(t.app).get('/api/v1/users.getStatus').set(alice.bearer).expect(200);
      expect(status.body).toEqual(expect.objectContaining({ _id: alice.user.id, status: 'busy', success: true }));
      const presence = await request(t.app).get('/api/v1/users.getPresence').set(alice.bearer).expect(200);
      expect(presence.body).toEqual(expect.objectContaining({ presence: 'busy', success: true }));
      const list = await request(t.app).get('/api/v1/users.presence').set(alice.bearer).expect(200);
      expect(list.body.users).toEqual([expect.objectContaining({ _id: alice.user.id, status: 'busy' })]);
    });

    it('a Bearer token with a matching X-User-Id is accepted', async () => {
      const alice = await t.seedUser();
      await request(t.app).get('/api/v1/me').set(alice.bearer).set('X-User-Id', alice.user.id).expect(200);
    });

    it('a Bearer token with another user\'s X-User-Id is refused', async () => {
      const alice = await t.seedUser();
      const bob = await t.seedUser();
      const res = await request(t.app).get('/api/v1/me').set(alice.bearer).set('X-User-Id', bob.user.id).expect(401);
      expect(res.body).toEqual(RC_UNAUTHORIZED);
    });

    it('an unknown Bearer token gets Rocket.Chat\'s 401 body, not the pnut envelope', async () => {
      await t.seedUser();
      const res = await request(t.app).get('/api/v1/me').set('Authorization', 'Bearer not-a-real-token').expect(401);
      expect(res.body).toEqual(RC_UNAUTHORIZED);
    });
  });
});
