import request from 'supertest';
import { appPerTest, currentApp, describeEachStore, type SeededUser } from '../../support/testApp';
import { expectPnutError, expectPnutSuccess } from './pnutHelpers';

describeEachStore('pnut envelope on every /v0 answer', (kind) => {
  const t = currentApp(appPerTest(kind));
  let alice: SeededUser;
  beforeEach(async () => {
    alice = await t.seedUser();
  });

  describe('successes: {meta:{code:200}, data}', () => {
    it('GET /v0/presence wraps the list', async () => {
      const res = await request(t.app).get('/v0/presence').set(alice.bearer);
      expect(Array.isArray(expectPnutSuccess(res))).toBe(true);
      expect(Object.keys(res.body).sort()).toEqual(['data', 'meta']);
    });

    it('GET /v0/users/me/presence wraps the presence object', async () => {
      const res = await request(t.app).get('/v0/users/me/presence').set(alice.bearer);
      expect(expectPnutSuccess(res)).toEqual(expect.objectContaining({ id: alice.user.id }));
      expect(Object.keys(res.body).sort()).toEqual(['data', 'meta']);
    });

    it('PUT /v0/users/me/presence wraps the updated presence object', async () => {
      const res = await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'here' });
      expect(expectPnutSuccess(res)).toEqual(expect.objectContaining({ id: alice.user.id, presence: 'here' }));
      expect(Object.keys(res.body).sort()).toEqual(['data', 'meta']);
    });

    it('meta carries no updated_presence when update_presence was not asked for', async () => {
      const res = await request(t.app).get('/v0/presence').set(alice.bearer);
      expectPnutSuccess(res);
      expect(res.body.meta).toEqual({ code: 200 });
    });
  });

  describe('errors: {meta:{code, error_message}} and no data', () => {
    it('401 without credentials', async () => {
      expectPnutError(await request(t.app).get('/v0/presence'), 401, 'You must be logged in to do this.');
    });

    it('404 on an unknown /v0 route, even without credentials', async () => {
      expectPnutError(await request(t.app).get('/v0/no-such-thing'), 404, 'Not found: GET /v0/no-such-thing');
    });

    it('401 on a known /v0 route without credentials', async () => {
      expectPnutError(await request(t.app).get('/v0/presence'), 401, 'You must be logged in to do this.');
    });

    it('the envelope also for a route spelled in capitals, which Express routes the same', async () => {
      expectPnutError(await request(t.app).get('/V0/presence'), 401, 'You must be logged in to do this.');
    });

    it('404 for an unknown user', async () => {
      expectPnutError(await request(t.app).get('/v0/users/NoSuchUser1234567/presence').set(alice.bearer), 404, 'User not found');
    });

    it('404 for an unknown /v0 route when authenticated', async () => {
      expectPnutError(await request(t.app).get('/v0/no-such-thing').set(alice.bearer), 404, 'Not found: GET /v0/no-such-thing');
      expectPnutError(await request(t.app).delete('/v0/users/me/presence').set(alice.bearer), 404, 'Not found: DELETE /v0/users/me/presence');
    });

    it('403 for PUT on another user\'s presence', async () => {
      const bob = await t.seedUser();
      expectPnutError(await request(t.app).put(`/v0/users/${bob.user.id}/presence`).set(alice.bearer).send({ presence: 'x' }), 403, 'You may only update your own presence');
    });

    it('400 for a bad parameter, naming it', async () => {
      expectPnutError(await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'x'.repeat(101) }), 400, 'The parameter "presence" must be at most 100 characters long');
    });

    it('400 for a body that is not valid JSON', async () => {
      const res = await request(t.app).put('/v0/users/me/presence').set(alice.bearer).set('Content-Type', 'application/json').send('{"presence":');
      expectPnutError(res, 400, 'The request body is not valid JSON');
    });

    it('400 for a JSON body that is not an object', async () => {
      const res = await request(t.app).put('/v0/users/me/presence').set(alice.bearer).set('Content-Type', 'application/json').send('["online"]');
      expectPnutError(res, 400, 'The parameter "body" must be a JSON object');
    });

    it('415 for a body of another media type', async () => {
      const res = await request(t.app).put('/v0/users/me/presence').set(alice.bearer).set('Content-Type', 'text/plain').send('presence=online');
      expectPnutError(res, 415, 'The request body must be application/json or application/x-www-form-urlencoded');
    });

    it('413 for an oversize body', async () => {
      const res = await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'x', padding: 'y'.repeat(32 * 1024) });
      expectPnutError(res, 413, 'The request body is too large');
    });

    it('an error answer still tells updated_presence when update_presence was asked for', async () => {
      const bob = await t.seedUser();
      const res = await request(t.app).put(`/v0/users/${bob.user.id}/presence?update_presence=away`).set(alice.bearer).send({ presence: 'x' });
      expectPnutError(res, 403, 'You may only update your own presence');
      expect(res.body.meta.updated_presence).toBe(true);
    });
  });
});
