import request from 'supertest';
import { hashLoginToken } from '../../../src/domain/services/credentials';
import { TEST_PASSWORD, appPerTest, buildSecondInstance, currentApp, describeEachStore, usersPerTest, type SeededUser } from '../../support/testApp';
import { listen, openStream, type SseClient } from '../stream/sseClient';
import { expectRocketChatError, goStatus, idsOf, INVALID_USER, NOT_LOGGED_IN, plainView, presenceList } from './rocketChatKit';

const STREAM = '/api/v1/users.presence.stream';

/**
 * What deactivating and deleting a user does to everything else: his tokens and streams end at once (on this
 * instance, and on another within STREAM_REVALIDATE_MS), he reads offline, a deleted user is in no answer and reaches
 * deltas and streams as one last change to offline. And ending one's other sessions.
 */
describeEachStore('Rocket.Chat account management: sessions and presence', (kind) => {
  const t = currentApp(appPerTest(kind, { streamRevalidateMs: 200 }));
  const { boss, alice, watcher } = usersPerTest(t, {
    boss: { username: 'boss', roles: ['admin', 'user'] },
    alice: { username: 'alice' },
    watcher: { username: 'watcher' },
  });
  const opened: SseClient[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  let server: Awaited<ReturnType<typeof listen>>;
  beforeEach(async () => {
    server = await listen(t.app);
    await goStatus(t, alice, 'away', 'on a call');
    t.clock.advanceSeconds(5);
  });
  afterEach(async () => {
    for (const client of opened.splice(0)) client.close();
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await server.close();
  });
  const post = (who: SeededUser, path: string, body: object = {}) => request(t.app).post(`/api/v1/${path}`).set(who.headers).send(body);
  const stream = async (who: SeededUser, path = STREAM, port = server.port): Promise<SseClient> => {
    const client = await openStream(port, path, who.headers);
    opened.push(client);
    expect(client.status).toBe(200);
    await client.event(0);
    return client;
  };
  /** A second login of Alice's, as another device would make. */
  const secondLogin = async (): Promise<SeededUser> => {
    const res = await request(t.app).post('/api/v1/login').send({ user: 'alice', password: TEST_PASSWORD }).expect(200);
    const token = res.body.data.authToken as string;
    return { user: alice.user, token, headers: { 'X-User-Id': alice.user.id, 'X-Auth-Token': token }, bearer: { Authorization: `Bearer ${token}` } };
  };

  describe('deactivation', () => {
    it('ends the user\'s tokens (a cached one too) and streams at once, and he reads offline everywhere', async () => {
      // Verified once: the token is in the auth cache from here on.
      expect((await request(t.app).get('/api/v1/me').set(alice.headers)).status).toBe(200);
      const own = await stream(alice);
      const watching = await stream(watcher);
      const from = new Date(t.clock.now().getTime() - 1000).toISOString();
      t.clock.advanceSeconds(1);
      await post(boss, 'users.setActiveStatus', { userId: alice.user.id, activeStatus: false }).expect(200);
      expectRocketChatError(await request(t.app).get('/api/v1/me').set(alice.headers), 401, NOT_LOGGED_IN);
      await own.until(() => own.ended, 'the deactivated user\'s stream to end');
      // The watcher sees him go offline.
      await watching.until(() => watching.events.some((event) => event.data.users.some((user) => user._id === alice.user.id && user.status === 'offline')), 'Alice offline');
      expect(idsOf(await presenceList(t, watcher))).not.toContain(alice.user.id);
      expect((await presenceList(t, watcher, { ids: alice.user.id })).users).toEqual([]);
      expect((await presenceList(t, watcher, { from })).users).toContainEqual({ ...plainView(alice, 'offline'), statusText: 'on a call' });
      const status = await request(t.app).get('/api/v1/users.getStatus').set(watcher.headers).query({ userId: alice.user.id });
      expect(status.body).toMatchObject({ _id: alice.user.id, status: 'offline' });
      expect((await request(t.app).get('/v0/presence').set(watcher.bearer)).body.data.map((user: { id: string }) => user.id)).not.toContain(alice.user.id);
    });

    it('ends the user\'s streams on another instance within STREAM_REVALIDATE_MS', async () => {
      const second = await buildSecondInstance(t, { streamRevalidateMs: 200 });
      const secondServer = await listen(second.app);
      cleanups.push(async () => {
        await secondServer.close();
        await second.close();
      });
      const elsewhere = await stream(alice, STREAM, secondServer.port);
      await post(boss, 'users.setActiveStatus', { userId: alice.user.id, activeStatus: false }).expect(200);
      await elsewhere.until(() => elsewhere.ended, 'the stream on the other instance to end');
    });
  });

  describe('deletion', () => {
    it('ends the user\'s tokens and streams at once; he is in no presence answer after', async () => {
      expect((await request(t.app).get('/api/v1/users.presence').set(alice.headers)).status).toBe(200);
      const own = await stream(alice);
      expect(idsOf(await presenceList(t, watcher))).toContain(alice.user.id);
      await post(boss, 'users.delete', { userId: alice.user.id }).expect(200);
      // A call that needs nothing of the caller's user but his token: the cached token no longer passes.
      expectRocketChatError(await request(t.app).get('/api/v1/users.presence').set(alice.headers), 401, NOT_LOGGED_IN);
      expect((await request(t.app).post('/api/v1/login').send({ user: 'alice', password: TEST_PASSWORD })).status).toBe(401);
      await own.until(() => own.ended, 'the deleted user\'s stream to end');
      expect(idsOf(await presenceList(t, watcher))).toEqual([]);
      expect((await presenceList(t, watcher, { ids: alice.user.id })).users).toEqual([]);
      expectRocketChatError(await request(t.app).get('/api/v1/users.getStatus').set(watcher.headers).query({ userId: alice.user.id }), 400, INVALID_USER);
      expectRocketChatError(await request(t.app).get('/api/v1/users.getPresence').set(watcher.headers).query({ username: 'alice' }), 400, INVALID_USER);
      expect((await request(t.app).get('/v0/presence').set(watcher.bearer)).body.data).toEqual([]);
      expect((await request(t.app).get(`/v0/users/${alice.user.id}/presence`).set(watcher.bearer)).status).toBe(404);
    });

    it('reaches deltas and streams (live and resumed) as one last change to offline', async () => {
      const from = new Date(t.clock.now().getTime() - 1000).toISOString();
      const watching = await stream(watcher);
      const cursor = watching.events[0].id as string;
      t.clock.advanceSeconds(1);
      await post(boss, 'users.delete', { username: 'alice' }).expect(200);
      const gone = plainView(alice, 'offline');
      expect((await presenceList(t, watcher, { from })).users).toEqual([gone]);
      expect((await watching.event(1)).data).toEqual({ users: [gone], full: false });
      const resumed = await openStream(server.port, STREAM, { ...watcher.headers, 'Last-Event-ID': cursor });
      opened.push(resumed);
      // The watcher's own streams made him online meanwhile: that change comes too.
      const caughtUp = (await resumed.event(0)).data;
      expect(caughtUp.full).toBe(false);
      expect(caughtUp.users.filter((user) => user._id === alice.user.id)).toEqual([gone]);
      // Once; later deltas and the full list do not hold him.
      t.clock.advanceSeconds(5);
      const later = new Date(t.clock.now().getTime() - 1000).toISOString();
      expect((await presenceList(t, watcher, { from: later })).users).toEqual([]);
      expect(idsOf(await presenceList(t, watcher))).toEqual([watcher.user.id]);
    });

    it('reaches a delta read on another instance as the same last change', async () => {
      const from = new Date(t.clock.now().getTime() - 1000).toISOString();
      const second = await buildSecondInstance(t);
      cleanups.push(() => second.close());
      t.clock.advanceSeconds(1);
      await post(boss, 'users.delete', { userId: alice.user.id }).expect(200);
      const res = await request(second.app).get('/api/v1/users.presence').set(watcher.headers).query({ from }).expect(200);
      expect(res.body.users).toEqual([plainView(alice, 'offline')]);
    });
  });

  describe('users.removeOtherTokens and users.logoutOtherClients', () => {
    it('removeOtherTokens ends every other login of the caller and its streams, and answers {success: true}', async () => {
      const other = await secondLogin();
      const otherStream = await stream(other);
      const res = await post(alice, 'users.removeOtherTokens');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ success: true });
      expectRocketChatError(await request(t.app).get('/api/v1/me').set(other.headers), 401, NOT_LOGGED_IN);
      await otherStream.until(() => otherStream.ended, 'the other login\'s stream to end');
      expect((await request(t.app).get('/api/v1/me').set(alice.headers)).status).toBe(200);
      // Other users keep theirs.
      expect((await request(t.app).get('/api/v1/me').set(watcher.headers)).status).toBe(200);
    });

    it('logoutOtherClients answers the token used and when it stops working', async () => {
      const other = await secondLogin();
      const res = await post(other, 'users.logoutOtherClients');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ token: other.token, tokenExpires: new Date(t.clock.now().getTime() + 90 * 86_400_000).toISOString(), success: true });
      expectRocketChatError(await request(t.app).get('/api/v1/me').set(alice.headers), 401, NOT_LOGGED_IN);
      expect((await request(t.app).get('/api/v1/me').set(other.headers)).status).toBe(200);
      expect(await t.store.findUserByHashedToken(hashLoginToken(alice.token))).toBeNull();
    });

    it('need a login', async () => {
      expectRocketChatError(await request(t.app).post('/api/v1/users.removeOtherTokens'), 401, NOT_LOGGED_IN);
      expectRocketChatError(await request(t.app).post('/api/v1/users.logoutOtherClients'), 401, NOT_LOGGED_IN);
    });
  });
});
