import request from 'supertest';
import { ONE_DECLARATION } from '../rocketchat/rocketChatKit';
import { appPerTest, currentApp, describeEachStore, seedUsers, type SeededUser } from '../../support/testApp';
import { listen, openStream } from '../stream/sseClient';
import { expectPnutSuccess } from './pnutHelpers';

type PresenceObject = Record<string, unknown>;

const TOO_LONG = 'x'.repeat(101);
const HUNDRED_EMOJI = '😀'.repeat(100);

describeEachStore('update_presence on any authenticated call', (kind) => {
  const t = currentApp(appPerTest(kind));
  let alice: SeededUser, bob: SeededUser;
  beforeEach(async () => {
    [alice, bob] = await seedUsers(t, {}, {});
  });

  /** Alice's presence as pnut reads it, through Bob, with no update_presence. */
  async function aliceReads(): Promise<string> {
    const res = await request(t.app).get(`/v0/users/${alice.user.id}/presence`).set(bob.bearer);
    return (expectPnutSuccess(res) as PresenceObject).presence as string;
  }

  /**
   * Makes `call` while Bob watches the presence stream, and answers it with the changes of Alice's the stream carried
   * (the stream stops being read at a later change of Bob's, so nothing of Alice's can still be on its way).
   */
  async function watched(call: () => request.Test): Promise<{ res: request.Response; aliceChanges: Record<string, unknown>[] }> {
    const server = await listen(t.app);
    try {
      const stream = await openStream(server.port, '/api/v1/users.presence.stream', bob.headers);
      await stream.event(0);
      const res = await call();
      t.clock.advance(1000);
      await request(t.app).put('/v0/users/me/presence').set(bob.bearer).send({ presence: 'watching' }).expect(200);
      const changes = () => stream.events.slice(1).flatMap((event) => event.data.users);
      await stream.until(() => changes().some((user) => user._id === bob.user.id), 'Bob\'s change');
      stream.close();
      return { res, aliceChanges: changes().filter((user) => user._id === alice.user.id) };
    } finally {
      await server.close();
    }
  }

  async function aliceStatus(): Promise<Record<string, unknown>> {
    const res = await request(t.app).get(`/api/v1/users.getStatus?userId=${alice.user.id}`).set(bob.headers).expect(200);
    return res.body as Record<string, unknown>;
  }

  describe('pnut: meta.updated_presence', () => {
    it('GET /v0/presence: true, and the list already shows the update', async () => {
      const res = await request(t.app).get('/v0/presence?update_presence=busy').set(alice.bearer);
      const data = expectPnutSuccess(res) as PresenceObject[];
      expect(res.body.meta).toEqual({ code: 200, updated_presence: true });
      expect(data).toEqual([expect.objectContaining({ id: alice.user.id, presence: 'busy' })]);
      expect(await aliceReads()).toBe('busy');
    });

    it('GET /v0/users/me/presence: true, and the answer already shows the update', async () => {
      const res = await request(t.app).get('/v0/users/me/presence?update_presence=at%20lunch').set(alice.bearer);
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('at lunch');
      expect(res.body.meta.updated_presence).toBe(true);
    });

    it('GET of another user\'s presence updates the caller, not that user', async () => {
      const res = await request(t.app).get(`/v0/users/${bob.user.id}/presence?update_presence=away`).set(alice.bearer);
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('offline');
      expect(res.body.meta.updated_presence).toBe(true);
      expect(await aliceReads()).toBe('away');
    });

    it('1 means online, 0 and offline delete the presence', async () => {
      let res = await request(t.app).get('/v0/presence?update_presence=1').set(alice.bearer);
      expect(res.body.meta.updated_presence).toBe(true);
      expect(await aliceReads()).toBe('online');
      res = await request(t.app).get('/v0/presence?update_presence=0').set(alice.bearer);
      expect(res.body.meta.updated_presence).toBe(true);
      expect(expectPnutSuccess(res)).toEqual([]);
      await request(t.app).get('/v0/presence?update_presence=online').set(alice.bearer).expect(200);
      res = await request(t.app).get('/v0/presence?update_presence=offline').set(alice.bearer);
      expect(res.body.meta.updated_presence).toBe(true);
      expect(await aliceReads()).toBe('offline');
    });

    it('100 emoji are 100 characters: accepted', async () => {
      const res = await request(t.app).get(`/v0/presence?update_presence=${encodeURIComponent(HUNDRED_EMOJI)}`).set(alice.bearer);
      expect(res.body.meta.updated_presence).toBe(true);
      expect(await aliceReads()).toBe(HUNDRED_EMOJI);
    });

    it('pnut answers tell it in meta, not in the Rocket.Chat header', async () => {
      const res = await request(t.app).get('/v0/presence?update_presence=busy').set(alice.bearer);
      expect(res.body.meta.updated_presence).toBe(true);
      expect(res.headers['x-updated-presence']).toBeUndefined();
    });

    describe('a bad value answers as usual, with false, and changes nothing', () => {
      beforeEach(async () => {
        await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'before' }).expect(200);
      });

      it.each([
        ['too long (101 characters)', `update_presence=${TOO_LONG}`],
        ['101 emoji', `update_presence=${encodeURIComponent('😀'.repeat(101))}`],
        ['repeated', 'update_presence=away&update_presence=busy'],
        ['an array', 'update_presence[]=away'],
        ['an operator object', 'update_presence[$ne]=away'],
      ])('%s on GET /v0/presence', async (_name, queryString) => {
        const res = await request(t.app).get(`/v0/presence?${queryString}`).set(alice.bearer);
        const data = expectPnutSuccess(res);
        expect(res.body.meta).toEqual({ code: 200, updated_presence: false });
        expect(data).toEqual([expect.objectContaining({ id: alice.user.id, presence: 'before' })]);
        expect(await aliceReads()).toBe('before');
      });

      it('too long on GET /v0/users/{id}/presence', async () => {
        const res = await request(t.app).get(`/v0/users/${bob.user.id}/presence?update_presence=${TOO_LONG}`).set(alice.bearer);
        expect((expectPnutSuccess(res) as PresenceObject).id).toBe(bob.user.id);
        expect(res.body.meta.updated_presence).toBe(false);
        expect(await aliceReads()).toBe('before');
      });
    });
  });

  describe('pnut PUT: update_presence overrides the call, and a watcher sees one change, never the call\'s own value', () => {
    const online = (statusText: string) => [expect.objectContaining({ status: 'online', statusText })];

    it('over a JSON body', async () => {
      const { res, aliceChanges } = await watched(() => request(t.app).put('/v0/users/me/presence?update_presence=away').set(alice.bearer).send({ presence: 'from the body' }));
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('away');
      expect(res.body.meta.updated_presence).toBe(true);
      expect(aliceChanges).toEqual([expect.objectContaining({ status: 'away' })]);
      expect(aliceChanges[0]).not.toHaveProperty('statusText');
      expect(await aliceReads()).toBe('away');
    });

    it('over a form body', async () => {
      const { res, aliceChanges } = await watched(() => request(t.app).put('/v0/users/me/presence?update_presence=busy').set(alice.bearer).type('form').send('presence=from the form'));
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('busy');
      expect(aliceChanges).toEqual([expect.objectContaining({ status: 'busy' })]);
      expect(await aliceReads()).toBe('busy');
    });

    it('over a query `presence`', async () => {
      const { res, aliceChanges } = await watched(() => request(t.app).put('/v0/users/me/presence?presence=from%20the%20query&update_presence=override').set(alice.bearer).send({}));
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('override');
      expect(aliceChanges).toEqual(online('override'));
      expect(await aliceReads()).toBe('override');
    });

    it('also when update_presence deletes the presence', async () => {
      await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'here' }).expect(200);
      t.clock.advance(1000);
      const { res, aliceChanges } = await watched(() => request(t.app).put('/v0/users/me/presence?update_presence=0').set(alice.bearer).send({ presence: 'still here' }));
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('offline');
      expect(aliceChanges).toEqual([expect.objectContaining({ status: 'offline' })]);
      expect(await aliceReads()).toBe('offline');
    });

    it('a bad update_presence: false, and the call\'s own presence applies, once', async () => {
      const { res, aliceChanges } = await watched(() => request(t.app).put(`/v0/users/me/presence?update_presence=${TOO_LONG}`).set(alice.bearer).send({ presence: 'own value' }));
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('own value');
      expect(res.body.meta.updated_presence).toBe(false);
      expect(aliceChanges).toEqual(online('own value'));
      expect(await aliceReads()).toBe('own value');
    });

    it('a repeated update_presence: false, and the call\'s own presence applies, once', async () => {
      const { res, aliceChanges } = await watched(() => request(t.app).put('/v0/users/me/presence?update_presence=a&update_presence=b').set(alice.bearer).type('form').send('presence=own value'));
      expect((expectPnutSuccess(res) as PresenceObject).presence).toBe('own value');
      expect(res.body.meta.updated_presence).toBe(false);
      expect(aliceChanges).toEqual(online('own value'));
    });
  });

  describe('Rocket.Chat: X-Updated-Presence header, body unchanged', () => {
    it('no header when update_presence was not asked for', async () => {
      const res = await request(t.app).get('/api/v1/users.getStatus').set(alice.headers).expect(200);
      expect(res.headers['x-updated-presence']).toBeUndefined();
    });

    it('GET users.getStatus: true, and the same body as a plain call', async () => {
      const res = await request(t.app).get('/api/v1/users.getStatus?update_presence=away').set(alice.headers).expect(200);
      expect(res.headers['x-updated-presence']).toBe('true');
      expect(res.headers['content-type']).toBe('application/json');
      const plain = await request(t.app).get('/api/v1/users.getStatus').set(alice.headers).expect(200);
      expect(res.body).toEqual(plain.body);
      expect(res.body).toEqual({ _id: alice.user.id, status: 'away', connectionStatus: 'online', connections: ONE_DECLARATION, success: true });
    });

    it('GET users.presence: true, the update is in the list, and the body is Rocket.Chat\'s', async () => {
      const res = await request(t.app).get('/api/v1/users.presence?update_presence=busy').set(alice.headers).expect(200);
      expect(res.headers['x-updated-presence']).toBe('true');
      expect(res.body).toEqual({
        users: [{ _id: alice.user.id, username: alice.user.username, name: alice.user.name, status: 'busy', utcOffset: 0 }],
        full: true,
        success: true,
      });
      const plain = await request(t.app).get('/api/v1/users.presence').set(alice.headers).expect(200);
      expect(res.body).toEqual(plain.body);
    });

    it('GET /me: true, body unchanged', async () => {
      const res = await request(t.app).get('/api/v1/me?update_presence=online').set(alice.headers).expect(200);
      expect(res.headers['x-updated-presence']).toBe('true');
      expect(res.body).not.toHaveProperty('updated_presence');
      expect(res.body).not.toHaveProperty('meta');
      expect(res.body).toEqual(expect.objectContaining({ _id: alice.user.id, status: 'online', success: true }));
      expect(await aliceReads()).toBe('online');
    });

    it('a free string sets online with that status text', async () => {
      const res = await request(t.app).get('/api/v1/users.getPresence?update_presence=in%20a%20meeting').set(alice.headers).expect(200);
      expect(res.headers['x-updated-presence']).toBe('true');
      expect(await aliceStatus()).toEqual(expect.objectContaining({ status: 'online', message: 'in a meeting' }));
      expect(await aliceReads()).toBe('in a meeting');
    });

    it('POST users.setStatus: true, the update happens first, then the call\'s own work', async () => {
      const res = await request(t.app).post('/api/v1/users.setStatus?update_presence=away').set(alice.headers).send({ message: 'hello' }).expect(200);
      expect(res.headers['x-updated-presence']).toBe('true');
      expect(res.body).toEqual({ success: true });
      expect(await aliceStatus()).toEqual(expect.objectContaining({ status: 'away', message: 'hello' }));
    });

    it('0 deletes the presence', async () => {
      await request(t.app).post('/api/v1/users.setStatus').set(alice.headers).send({ status: 'online' }).expect(200);
      const res = await request(t.app).get('/api/v1/users.getStatus?update_presence=0').set(alice.headers).expect(200);
      expect(res.headers['x-updated-presence']).toBe('true');
      expect(res.body.status).toBe('offline');
    });

    describe('a bad value answers as usual, with false, and changes nothing', () => {
      beforeEach(async () => {
        await request(t.app).post('/api/v1/users.setStatus').set(alice.headers).send({ status: 'busy' }).expect(200);
      });

      it.each([
        ['too long (101 characters)', `update_presence=${TOO_LONG}`],
        ['repeated', 'update_presence=away&update_presence=online'],
        ['an operator object', 'update_presence[$ne]=away'],
      ])('%s on GET users.getStatus', async (_name, queryString) => {
        const res = await request(t.app).get(`/api/v1/users.getStatus?${queryString}`).set(alice.headers).expect(200);
        expect(res.headers['x-updated-presence']).toBe('false');
        expect(res.body).toEqual({ _id: alice.user.id, status: 'busy', connectionStatus: 'online', connections: ONE_DECLARATION, success: true });
      });

      it('too long on POST users.setStatus: the call itself still works', async () => {
        const res = await request(t.app).post(`/api/v1/users.setStatus?update_presence=${TOO_LONG}`).set(alice.headers).send({ status: 'away' }).expect(200);
        expect(res.headers['x-updated-presence']).toBe('false');
        expect(res.body).toEqual({ success: true });
        expect((await aliceStatus()).status).toBe('away');
      });

      it('repeated on GET users.presence', async () => {
        const res = await request(t.app).get('/api/v1/users.presence?update_presence=a&update_presence=b').set(alice.headers).expect(200);
        expect(res.headers['x-updated-presence']).toBe('false');
        expect(res.body).toEqual({ users: [expect.objectContaining({ _id: alice.user.id, status: 'busy' })], full: true, success: true });
      });
    });
  });
});
