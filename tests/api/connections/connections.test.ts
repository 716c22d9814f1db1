import request from 'supertest';
import type { StoreKind } from '../../support/stores';
import { TEST_PASSWORD, appPerTest, buildSecondInstance, currentApp, describeEachStore, usersPerTest, type SeededUser, type TestApp } from '../../support/testApp';
import { waitFor } from '../../support/waitFor';
import { expectRocketChatError, goStatus, NOT_LOGGED_IN } from '../rocketchat/rocketChatKit';
import { listen, openStream, type SseClient } from '../stream/sseClient';

const STREAM = '/api/v1/users.presence.stream';
const HEARTBEAT = '/api/v1/users.presence.heartbeat';
/** The defaults (CONNECTION_LEASE_SECONDS, CONNECTION_RENEW_SECONDS): what the time-to-truth cases count in. */
const LEASE_MS = 30_000;
const ROUND_MS = 5_000;

type App = TestApp['app'];

/** Issue 20: presence follows devices. Streams and heartbeating clients are connections, kept in the store. */
describeEachStore('connections', (kind: StoreKind) => {
  const t = currentApp(appPerTest(kind));
  const { alice, bob, carol } = usersPerTest(t, { alice: { username: 'alice' }, bob: { username: 'bob' }, carol: { username: 'carol' } });
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function serve(app: App): Promise<number> {
    const server = await listen(app);
    cleanups.push(() => server.close());
    return server.port;
  }

  async function secondInstance(): Promise<App> {
    const second = await buildSecondInstance(t);
    cleanups.push(() => second.close());
    return second.app;
  }

  /** A stream opened by `who` (any headers: a device's login) on `port`, its first event in. */
  async function streamOf(port: number, headers: Record<string, string>): Promise<SseClient> {
    const client = await openStream(port, STREAM, headers);
    cleanups.push(async () => client.close());
    expect(client.status).toBe(200);
    await client.event(0);
    return client;
  }

  /** What `viewer` is told of `who` on `app`: users.getStatus by id. */
  async function statusOf(who: SeededUser, app: App = t.app, viewer: SeededUser = carol): Promise<string> {
    const res = await request(app).get('/api/v1/users.getStatus').query({ userId: who.user.id }).set(viewer.headers).expect(200);
    return res.body.status as string;
  }

  async function ownConnections(who: { headers: Record<string, string> }, app: App = t.app): Promise<{ connectionStatus: string; connections: Record<string, number> }> {
    const res = await request(app).get('/api/v1/users.getStatus').set(who.headers).expect(200);
    return { connectionStatus: res.body.connectionStatus, connections: res.body.connections };
  }

  function heartbeat(headers: Record<string, string>, body: object = {}, app: App = t.app): request.Test {
    return request(app).post(HEARTBEAT).set(headers).send(body);
  }

  /** A second device of `who`: a login of its own, as a phone beside a laptop. */
  async function secondDevice(who: SeededUser): Promise<Record<string, string>> {
    const res = await request(t.app).post('/api/v1/login').send({ user: who.user.username, password: TEST_PASSWORD }).expect(200);
    return { 'X-User-Id': res.body.data.userId, 'X-Auth-Token': res.body.data.authToken };
  }

  /** Moves the clock on a round at a time, each instance running its round, as their timers would. */
  async function runRounds(ms: number, apps: App[] = [t.app]): Promise<void> {
    for (let passed = 0; passed < ms; passed += ROUND_MS) {
      t.clock.advance(ROUND_MS);
      for (const app of apps) await app.connectionRound();
    }
  }

  describe('a stream is its device\'s connection', () => {
    it('makes its user online for every watcher on every instance, and offline at once when it closes', async () => {
      const second = await secondInstance();
      const [portA, portB] = [await serve(t.app), await serve(second)];
      const watcher = await streamOf(portB, carol.headers);
      expect(await statusOf(alice, second)).toBe('offline');

      const stream = await streamOf(portA, alice.headers);
      // Her own snapshot shows her: the connection is recorded before it is read.
      expect(stream.events[0].data.users.map((user) => user._id)).toContain(alice.user.id);
      await watcher.until(() => watcher.events.some((event) => event.data.users.some((user) => user._id === alice.user.id && user.status === 'online')), 'Alice online');
      expect(await statusOf(alice, second)).toBe('online');
      expect(await ownConnections(alice)).toEqual({ connectionStatus: 'online', connections: { stream: 1, heartbeat: 0, declaration: 0 } });

      stream.close();
      await watcher.until(() => watcher.events.some((event) => event.data.users.some((user) => user._id === alice.user.id && user.status === 'offline')), 'Alice offline');
      expect(await statusOf(alice, second)).toBe('offline');
      expect(await ownConnections(alice, second)).toEqual({ connectionStatus: 'offline', connections: { stream: 0, heartbeat: 0, declaration: 0 } });
    });

    it('shows the chosen status while connected: busy with a stream open, offline once it closes (not 15 minutes later)', async () => {
      const port = await serve(t.app);
      const stream = await streamOf(port, alice.headers);
      await goStatus(t, alice, 'busy');
      expect(await statusOf(alice)).toBe('busy');
      // The device holds a stream: its status set adds no lease.
      expect((await ownConnections(alice)).connections).toEqual({ stream: 1, heartbeat: 0, declaration: 0 });
      stream.close();
      await waitFor(async () => ((await statusOf(alice)) === 'offline' ? true : undefined));
    });

    it('with STREAM_CONNECTIONS=false a stream only watches', async () => {
      const watching = await buildSecondInstance(t, { streamConnections: false });
      cleanups.push(() => watching.close());
      await streamOf(await serve(watching.app), alice.headers);
      expect(await statusOf(alice)).toBe('offline');
    });
  });

  describe('two devices', () => {
    it('one in use and one idle: online; the idle one alone: away; none: offline', async () => {
      const phone = await secondDevice(alice);
      const laptop = await streamOf(await serve(t.app), alice.headers);
      expect((await heartbeat(phone, { status: 'away' }).expect(200)).body).toEqual({ status: 'away', expiresAt: new Date(t.clock.now().getTime() + LEASE_MS).toISOString(), heartbeatSeconds: 12, success: true });
      expect(await statusOf(alice)).toBe('online');
      expect(await ownConnections(alice)).toEqual({ connectionStatus: 'online', connections: { stream: 1, heartbeat: 1, declaration: 0 } });

      laptop.close();
      await waitFor(async () => ((await statusOf(alice)) === 'away' ? true : undefined));
      await heartbeat(phone, { status: 'online' }).expect(200);
      expect(await statusOf(alice)).toBe('online');
      await request(t.app).post('/api/v1/logout').set(phone).expect(200);
      expect(await statusOf(alice)).toBe('offline');
    });

    it('a status set from a second login is that device\'s declaration, although another device of the user holds a stream', async () => {
      const laptop = await streamOf(await serve(t.app), alice.headers);
      const phone = await secondDevice(alice);
      await request(t.app).post('/api/v1/users.setStatus').set(phone).send({ status: 'busy' }).expect(200);
      expect(await ownConnections(alice)).toEqual({ connectionStatus: 'online', connections: { stream: 1, heartbeat: 0, declaration: 1 } });

      laptop.close();
      await waitFor(async () => ((await ownConnections(alice)).connections.stream === 0 ? true : undefined));
      expect(await statusOf(alice)).toBe('busy');
    });

    it('a device going idle and active again on its stream changes only that device: the stream\'s state follows its heartbeats', async () => {
      await streamOf(await serve(t.app), alice.headers);
      await heartbeat(alice.headers, { status: 'away' }).expect(200);
      expect(await statusOf(alice)).toBe('away');
      expect((await ownConnections(alice)).connections).toEqual({ stream: 1, heartbeat: 0, declaration: 0 });
      await heartbeat(alice.headers, {}).expect(200);
      expect(await statusOf(alice)).toBe('online');
    });
  });

  describe('time to truth (on the test clock)', () => {
    it('a heartbeating client that stops (frozen, network gone) reads offline once its lease runs out, within a minute', async () => {
      await heartbeat(bob.headers).expect(200);
      // Alive: heartbeats every 12 s keep it online through many rounds.
      for (let beat = 0; beat < 10; beat += 1) {
        await runRounds(12_000);
        expect(await statusOf(bob)).toBe('online');
        await heartbeat(bob.headers).expect(200);
      }
      // Then nothing more: offline after the last heartbeat's lease plus at most a round to write it.
      await runRounds(LEASE_MS - ROUND_MS);
      expect(await statusOf(bob)).toBe('online');
      await runRounds(2 * ROUND_MS);
      expect(await statusOf(bob)).toBe('offline');
      expect(await ownConnections(bob)).toEqual({ connectionStatus: 'offline', connections: { stream: 0, heartbeat: 0, declaration: 0 } });
    });

    it('a frozen page (its stream open, its heartbeats stopped) reads offline within a minute, although its socket stays open', async () => {
      const stream = await streamOf(await serve(t.app), bob.headers);
      await heartbeat(bob.headers).expect(200);
      await runRounds(10_000);
      expect(await statusOf(bob)).toBe('online');
      await runRounds(LEASE_MS + 2 * ROUND_MS);
      expect(stream.ended).toBe(false);
      expect(await statusOf(bob)).toBe('offline');
    });

    it('a stream whose client never heartbeats stays online while its instance renews it', async () => {
      await streamOf(await serve(t.app), bob.headers);
      await runRounds(10 * LEASE_MS);
      expect(await statusOf(bob)).toBe('online');
    });

    it('an instance that stops renewing (killed): its streams\' connections end, seen from the other instance, within a minute', async () => {
      const doomed = await buildSecondInstance(t);
      await streamOf(await serve(doomed.app), bob.headers);
      await runRounds(3 * ROUND_MS, [t.app, doomed.app]);
      expect(await statusOf(bob)).toBe('online');
      // It stops as a killed process would: no more rounds, nothing cleaned up.
      doomed.app.closeStreams();
      cleanups.push(() => doomed.close());
      await runRounds(LEASE_MS + 2 * ROUND_MS);
      expect(await statusOf(bob)).toBe('offline');
      expect((await ownConnections(bob)).connections).toEqual({ stream: 0, heartbeat: 0, declaration: 0 });
    });

    it('logout ends the token\'s connections at once', async () => {
      await heartbeat(bob.headers).expect(200);
      expect(await statusOf(bob)).toBe('online');
      await request(t.app).post('/api/v1/logout').set(bob.headers).expect(200);
      expect(await statusOf(bob)).toBe('offline');
    });
  });

  describe('timed statuses (users.setStatus expiresAt, pnut expiration)', () => {
    function setStatus(who: SeededUser, body: object, app: App = t.app): request.Test {
      return request(app).post('/api/v1/users.setStatus').set(who.headers).send(body);
    }
    const inSeconds = (seconds: number) => new Date(t.clock.now().getTime() + seconds * 1000).toISOString();

    it('goes back to online when it ends, pushed to streams and deltas on every instance', async () => {
      const second = await secondInstance();
      await streamOf(await serve(t.app), alice.headers);
      await setStatus(alice, { status: 'busy', message: 'call', expiresAt: inSeconds(60) }).expect(200);
      const watcher = await streamOf(await serve(second), carol.headers);
      expect(watcher.events[0].data.users.find((user) => user._id === alice.user.id)?.status).toBe('busy');
      const before = t.clock.now().toISOString();
      await runRounds(55_000, [t.app, second]);
      expect(await statusOf(alice, second)).toBe('busy');
      await runRounds(ROUND_MS, [t.app, second]);
      await watcher.until(() => watcher.events.some((event) => event.data.users.some((user) => user._id === alice.user.id && user.status === 'online')), 'Alice back online');
      expect(await statusOf(alice, second)).toBe('online');
      const delta = await request(second).get('/api/v1/users.presence').query({ from: before }).set(carol.headers).expect(200);
      expect(delta.body.users.find((user: { _id: string }) => user._id === alice.user.id)).toMatchObject({ status: 'online', statusText: 'call' });
    });

    it('set by a client without a stream: busy until it ends, online while the declaration lasts, then offline', async () => {
      await setStatus(alice, { status: 'busy', expiresAt: inSeconds(600) }).expect(200);
      await runRounds(595_000);
      expect(await statusOf(alice)).toBe('busy');
      await runRounds(10_000);
      expect(await statusOf(alice)).toBe('online');
      await runRounds(300_000);
      expect(await statusOf(alice)).toBe('offline');
    });

    it('a later status without expiresAt has no end', async () => {
      await streamOf(await serve(t.app), alice.headers);
      await setStatus(alice, { status: 'away', expiresAt: inSeconds(30) }).expect(200);
      await setStatus(alice, { status: 'busy' }).expect(200);
      await runRounds(60_000);
      expect(await statusOf(alice)).toBe('busy');
    });

    it('pnut\'s expiration ends a status chosen by a device holding a stream', async () => {
      await streamOf(await serve(t.app), alice.headers);
      const expiration = Math.floor(t.clock.now().getTime() / 1000) + 120;
      await request(t.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'away', expiration: String(expiration) }).expect(200);
      expect(await statusOf(alice)).toBe('away');
      await runRounds(125_000);
      expect(await statusOf(alice)).toBe('online');
    });

    it.each([
      ['in the past', () => ({ status: 'busy', expiresAt: inSeconds(-1) }), 'The parameter "expiresAt" must be in the future [invalid-params]'],
      ['now', () => ({ status: 'busy', expiresAt: inSeconds(0) }), 'The parameter "expiresAt" must be in the future [invalid-params]'],
      ['not a date', () => ({ status: 'busy', expiresAt: 'tomorrow' }), 'The parameter "expiresAt" must be an ISO 8601 date-time, such as 2019-05-22T12:11:45.392Z [invalid-params]'],
      ['without a status', () => ({ message: 'x', expiresAt: inSeconds(60) }), 'The parameter "expiresAt" needs a status to end [invalid-params]'],
    ])('refuses an expiresAt %s with 400 naming it, and changes nothing', async (_what, body, error) => {
      const res = await setStatus(alice, body());
      expectRocketChatError(res, 400, { success: false, error, errorType: 'invalid-params' });
      expect(await statusOf(alice)).toBe('offline');
    });
  });

  describe('POST users.presence.heartbeat', () => {
    it('makes a heartbeat connection for a device without a stream, online unless told away', async () => {
      const res = await heartbeat(bob.headers).expect(200);
      expect(res.body).toEqual({ status: 'online', expiresAt: new Date(t.clock.now().getTime() + LEASE_MS).toISOString(), heartbeatSeconds: 12, success: true });
      expect(await ownConnections(bob)).toEqual({ connectionStatus: 'online', connections: { stream: 0, heartbeat: 1, declaration: 0 } });
      // Another heartbeat renews the same connection.
      await heartbeat(bob.headers, { status: 'away' }).expect(200);
      expect(await ownConnections(bob)).toEqual({ connectionStatus: 'away', connections: { stream: 0, heartbeat: 1, declaration: 0 } });
      expect(await statusOf(bob)).toBe('away');
    });

    it.each([
      ['an unknown status', { status: 'busy' }, 'The parameter "status" must be one of online, away [invalid-params]'],
      ['a status that is not a string', { status: ['away'] }, 'The parameter "status" must be a single string [invalid-params]'],
    ])('refuses %s with 400 naming it, and connects nothing', async (_what, body, error) => {
      const res = await heartbeat(bob.headers, body);
      expectRocketChatError(res, 400, { success: false, error, errorType: 'invalid-params' });
      expect((await ownConnections(bob)).connections).toEqual({ stream: 0, heartbeat: 0, declaration: 0 });
    });

    it('needs a login', async () => {
      expectRocketChatError(await request(t.app).post(HEARTBEAT).send({}), 401, NOT_LOGGED_IN);
    });
  });
});
