import request from 'supertest';
import { appPerTest, currentApp, describeEachStore, type SeededUser } from '../../support/testApp';
import { expectCleanJsonError, getPresenceList, goStatus, setStatus } from './rocketChatKit';

/** Bad input: 400 in Rocket.Chat's failure shape naming the parameter; 404 / 400 JSON; never HTML, never a stack trace. */
describeEachStore('Rocket.Chat bad input', (kind) => {
  const t = currentApp(appPerTest(kind));
  let alice: SeededUser;
  beforeEach(async () => {
    alice = await t.seedUser({ username: 'alice' });
  });

  const invalidParam = (param: string) => ({ success: false, error: expect.stringContaining(`"${param}"`), errorType: 'invalid-params' });

  describe('users.presence `from`', () => {
    it.each(['yesterday', 'now', '12345', '2026-13-45T99:00:00Z', '2026-01-15T25:00:00Z', 'T12:00:00Z', 'null', '2026-01-15T12:00:00Zjunk'])(
      'refuses %j, which is not a date, with 400 naming from',
      async (from) => {
        const res = await getPresenceList(t, alice, { from });
        expect(res.status).toBe(400);
        expectCleanJsonError(res);
        expect(res.body).toEqual(invalidParam('from'));
      },
    );

    it.each(['from[$gt]=x', 'from[$gt]=2026-01-15T12:00:00Z', 'from[]=2026-01-15T12:00:00Z', 'from[a][b]=c'])(
      'refuses the object or array %s with 400 naming from',
      async (query) => {
        const res = await getPresenceList(t, alice, query);
        expect(res.status).toBe(400);
        expectCleanJsonError(res);
        expect(res.body).toEqual(invalidParam('from'));
      },
    );

    it('refuses from given twice with 400 naming from', async () => {
      const res = await getPresenceList(t, alice, 'from=2026-01-15T12:00:00Z&from=2026-01-15T11:59:00Z');
      expect(res.status).toBe(400);
      expectCleanJsonError(res);
      expect(res.body).toEqual(invalidParam('from'));
    });

    it('refuses an oversize from with 400 naming from', async () => {
      const res = await getPresenceList(t, alice, { from: `2026-01-15T12:00:00.${'0'.repeat(5000)}Z` });
      expect(res.status).toBe(400);
      expectCleanJsonError(res);
      expect(res.body).toEqual(invalidParam('from'));
    });

    it('does not treat a refused from as a full-list request (no users leak through)', async () => {
      const bob = await t.seedUser();
      await goStatus(t, bob, 'online');
      const res = await getPresenceList(t, alice, 'from[$gt]=');
      expect(res.status).toBe(400);
      expect(res.body).not.toHaveProperty('users');
    });
  });

  describe('bodies', () => {
    it('refuses an unknown status with 400 error-invalid-status', async () => {
      const res = await setStatus(t, alice, { status: 'snoozing' });
      expect(res.status).toBe(400);
      expectCleanJsonError(res);
      expect(res.body.errorType).toBe('error-invalid-status');
    });

    it.each([
      ['status', { status: 'x'.repeat(10_000) }],
      ['message', { status: 'online', message: 'x'.repeat(10_000) }],
      ['userId', { status: 'online', userId: 'x'.repeat(10_000) }],
    ])('refuses an oversize %s with 400 naming it', async (param, body) => {
      const res = await setStatus(t, alice, body);
      expect(res.status).toBe(400);
      expectCleanJsonError(res);
      expect(res.body).toEqual(invalidParam(param));
    });

    it.each([
      ['user', { user: { $ne: null }, password: 'x' }],
      ['user', { user: ['alice'], password: 'x' }],
      ['password', { user: 'alice', password: { $gt: '' } }],
      ['password', { user: 'alice', password: 12345 }],
      ['user', { user: 'a'.repeat(5000), password: 'x' }],
      ['resume', { resume: { $exists: true } }],
    ])('refuses a login whose %s is not a plain string of sane length with 400 naming it', async (param, body) => {
      const res = await request(t.app).post('/api/v1/login').send(body);
      expect(res.status).toBe(400);
      expectCleanJsonError(res);
      expect(res.body).toEqual(invalidParam(param));
    });

    it('refuses a login naming nobody with 400', async () => {
      const res = await request(t.app).post('/api/v1/login').send({ password: 'x' });
      expect(res.status).toBe(400);
      expectCleanJsonError(res);
      expect(res.body).toEqual(invalidParam('user'));
    });

    it.each(['/api/v1/users.setStatus', '/api/v1/login'])('answers a malformed JSON body on %s with 400 JSON', async (path) => {
      const res = await request(t.app).post(path).set(alice.headers).set('Content-Type', 'application/json').send('{"status": "away",');
      expect(res.status).toBe(400);
      expectCleanJsonError(res);
      expect(res.body).toEqual({ success: false, error: 'The request body is not valid JSON [invalid-params]', errorType: 'invalid-params' });
    });

    it('refuses a JSON array body with 400 JSON', async () => {
      const res = await request(t.app).post('/api/v1/users.setStatus').set(alice.headers).send([{ status: 'away' }]);
      expect(res.status).toBe(400);
      expectCleanJsonError(res);
      expect(res.body).toEqual({ success: false, error: 'The parameter "body" must be a JSON object [invalid-params]', errorType: 'invalid-params' });
    });

    it('refuses a body of another media type with a JSON error', async () => {
      const res = await request(t.app).post('/api/v1/users.setStatus').set(alice.headers).set('Content-Type', 'text/plain').send('status=away');
      expect(res.status).toBe(415);
      expectCleanJsonError(res);
      expect(res.body).toEqual({ success: false, error: 'The request body must be application/json or application/x-www-form-urlencoded' });
    });

    it('refuses an oversize body with a JSON error', async () => {
      const res = await setStatus(t, alice, { status: 'online', padding: 'p'.repeat(100_000) });
      expect(res.status).toBe(413);
      expectCleanJsonError(res);
      expect(res.body).toEqual({ success: false, error: 'The request body is too large' });
    });
  });

  describe('routes', () => {
    it.each([
      ['GET', '/api/v1/no.such.method'],
      ['POST', '/api/v1/users.presence'],
      ['GET', '/api/v1/users.setStatus'],
      ['DELETE', '/api/v1/me'],
    ])('answers %s %s with 404 JSON for an authenticated caller', async (method, path) => {
      const req = request(t.app)[method.toLowerCase() as 'get' | 'post' | 'delete'](path).set(alice.headers);
      const res = method === 'POST' ? await req.send({}) : await req;
      expect(res.status).toBe(404);
      expectCleanJsonError(res);
      expect(Object.keys(res.body).sort()).toEqual(['error', 'success']);
    });

    it('answers an unknown /api/v1 route with 404 without credentials too, and never updates presence there', async () => {
      const anonymous = await request(t.app).get('/api/v1/no.such.method');
      expect(anonymous.status).toBe(404);
      expectCleanJsonError(anonymous);
      const withHeartbeat = await request(t.app).get('/api/v1/no.such.method?update_presence=away').set(alice.headers);
      expect(withHeartbeat.status).toBe(404);
      expect(withHeartbeat.headers['x-updated-presence']).toBeUndefined();
      const status = await request(t.app).get('/api/v1/users.getStatus').set(alice.headers).expect(200);
      expect(status.body.status).toBe('offline');
    });

    it.each(['/index.html', '/nope', '/api/v2/users.presence', '/api/v1.1/users.presence'])('answers GET %s with 404 JSON, never Express’s HTML page', async (path) => {
      const res = await request(t.app).get(path);
      expect(res.status).toBe(404);
      expectCleanJsonError(res);
    });
  });
});
