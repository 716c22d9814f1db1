import request from 'supertest';
import { appPerTest, currentApp, describeEachStore, usersPerTest, type SeededUser, type TestApp } from '../../support/testApp';
import { expectPnutError, expectPnutSuccess, expectPresenceObject, presenceObject, unixSeconds } from './pnutHelpers';

type PresenceObject = Record<string, unknown>;

describeEachStore('PUT /v0/users/{user_id}/presence', (kind) => {
  const t = currentApp(appPerTest(kind));
  const { alice } = usersPerTest(t, { alice: {} });

  async function readPresence(user: SeededUser, caller: SeededUser = alice): Promise<string> {
    const res = await request(t.app).get(`/v0/users/${user.user.id}/presence`).set(caller.bearer);
    return (expectPnutSuccess(res) as PresenceObject).presence as string;
  }

  describe('the three ways `presence` arrives', () => {
    it('as a query parameter, with no body at all', async () => {
      const res = await request(t.app).put('/v0/users/me/presence?presence=from%20the%20query').set(alice.bearer);
      const data = expectPnutSuccess(res) as PresenceObject;
      expect(data.presence).toBe('from the query');
      expect(await readPresence(alice)).toBe('from the query');
    });

    it('as a query parameter, next to an empty JSON body', async () => {
      const res = await request(t.app).put('/v0/users/me/presence?presence=query%20with%20body').set(alice.bearer).send({});
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('query with body');
      expect(await readPresence(alice)).toBe('query with body');
    });

    it('as a form-encoded body, exactly as the seed\'s curl example sends it', async () => {
      const res = await request(t.app)
        .put('/v0/users/me/presence')
        .set(alice.bearer)
        .set('X-Pretty-Json', '1')
        .type('form')
        .send('presence=keeping my stick on the ice');
      const data = expectPnutSuccess(res) as PresenceObject;
      expect(data.presence).toBe('keeping my stick on the ice');
      expect(await readPresence(alice)).toBe('keeping my stick on the ice');
    });

    it('as a form-encoded body with percent-encoding', async () => {
      const res = await request(t.app).put('/v0/users/me/presence').set(alice.bearer).type('form').send('presence=caf%C3%A9%20%E2%98%95');
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('café ☕');
    });

    it('as JSON', async () => {
      const res = await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'from JSON' });
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('from JSON');
      expect(await readPresence(alice)).toBe('from JSON');
    });
  });

  describe('values', () => {
    it('missing means online', async () => {
      const res = await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({});
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('online');
      expect(await readPresence(alice)).toBe('online');
    });

    it('missing with no body at all means online', async () => {
      const res = await request(t.app).put('/v0/users/me/presence').set(alice.bearer);
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('online');
    });

    it('1 means online (query, form and JSON string)', async () => {
      expect((expectPnutSuccess(await request(t.app).put('/v0/users/me/presence?presence=1').set(alice.bearer).send({})) as PresenceObject).presence).toBe('online');
      await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: '0' }).expect(200);
      expect((expectPnutSuccess(await request(t.app).put('/v0/users/me/presence').set(alice.bearer).type('form').send('presence=1')) as PresenceObject).presence).toBe('online');
      await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: '0' }).expect(200);
      expect((expectPnutSuccess(await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: '1' })) as PresenceObject).presence).toBe('online');
      expect(await readPresence(alice)).toBe('online');
    });

    it.each(['0', 'offline'])('%s deletes the presence: the answer shows offline and the user leaves the list', async (value) => {
      await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'here' }).expect(200);
      const res = await request(t.app).put('/v0/users/me/presence').set(alice.bearer).type('form').send(`presence=${value}`);
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('offline');
      expect(await readPresence(alice)).toBe('offline');
      expect(expectPnutSuccess(await request(t.app).get('/v0/presence').set(alice.bearer))).toEqual([]);
    });

    it.each(['online', 'away', 'busy'])('the status word %s is kept as it is', async (value) => {
      const res = await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: value });
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe(value);
      expect(await readPresence(alice)).toBe(value);
    });

    it('the answer is the caller\'s presence object, with last_seen_at now', async () => {
      t.clock.advanceSeconds(42);
      const res = await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'here' });
      const data = expectPnutSuccess(res);
      expectPresenceObject(data);
      expect(data).toEqual(presenceObject(alice, 'here', t.clock.now()));
    });

    it('a later PUT replaces the earlier presence', async () => {
      await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'first' }).expect(200);
      await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'second' }).expect(200);
      expect(await readPresence(alice)).toBe('second');
    });
  });

  describe('expiration', () => {
    const cases: [string, (t: TestApp, user: SeededUser, at: number) => request.Test][] = [
      ['query', (t, user, at) => request(t.app).put(`/v0/users/me/presence?presence=timed&expiration=${at}`).set(user.bearer).send({})],
      ['form', (t, user, at) => request(t.app).put('/v0/users/me/presence').set(user.bearer).type('form').send(`presence=timed&expiration=${at}`)],
      ['JSON number', (t, user, at) => request(t.app).put('/v0/users/me/presence').set(user.bearer).send({ presence: 'timed', expiration: at })],
      ['JSON string', (t, user, at) => request(t.app).put('/v0/users/me/presence').set(user.bearer).send({ presence: 'timed', expiration: String(at) })],
    ];

    it.each(cases)('is taken from the %s and ends the presence then', async (_where, send) => {
      const at = unixSeconds(t.clock.now()) + 120;
      expect((expectPnutSuccess(await send(t, alice, at)) as PresenceObject).presence).toBe('timed');
      t.clock.advanceSeconds(119);
      expect(await readPresence(alice)).toBe('timed');
      t.clock.advanceSeconds(1);
      expect(await readPresence(alice)).toBe('offline');
    });

    it('without it the presence lasts PRESENCE_TTL (900 s)', async () => {
      await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'default' }).expect(200);
      t.clock.advanceSeconds(899);
      expect(await readPresence(alice)).toBe('default');
      t.clock.advanceSeconds(1);
      expect(await readPresence(alice)).toBe('offline');
    });

    it('may be exactly 7 days ahead', async () => {
      const at = unixSeconds(t.clock.now()) + 7 * 86400;
      const res = await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'week', expiration: at });
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('week');
      t.clock.advanceSeconds(7 * 86400 - 1);
      expect(await readPresence(alice)).toBe('week');
    });
  });

  describe('whose presence', () => {
    it('`me` and the caller\'s own id both work', async () => {
      await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'via me' }).expect(200);
      expect(await readPresence(alice)).toBe('via me');
      const res = await request(t.app).put(`/v0/users/${alice.user.id}/presence`).set(alice.bearer).send({ presence: 'via id' });
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('via id');
      expect(await readPresence(alice)).toBe('via id');
    });

    it('another user\'s id is 403 and leaves that user\'s presence alone', async () => {
      const bob = await t.seedUser();
      await request(t.app).put('/v0/users/me/presence').set(bob.bearer).send({ presence: 'bob here' }).expect(200);
      const res = await request(t.app).put(`/v0/users/${bob.user.id}/presence`).set(alice.bearer).send({ presence: 'hijacked' });
      expectPnutError(res, 403, 'You may only update your own presence');
      expect(await readPresence(bob)).toBe('bob here');
      expect(await readPresence(alice)).toBe('offline');
    });

    it('an admin may not set another user\'s pnut presence either', async () => {
      const admin = await t.seedUser({ roles: ['admin', 'user'] });
      expectPnutError(await request(t.app).put(`/v0/users/${alice.user.id}/presence`).set(admin.bearer).send({ presence: 'x' }), 403, 'You may only update your own presence');
      expect(await readPresence(alice)).toBe('offline');
    });

    it('a well-formed id of nobody is refused, never creates anything', async () => {
      const res = await request(t.app).put('/v0/users/NoSuchUser1234567/presence').set(alice.bearer).send({ presence: 'x' });
      expectPnutError(res, 403, 'You may only update your own presence');
      expect(await readPresence(alice)).toBe('offline');
    });
  });
});
