import { connect } from 'node:net';
import request from 'supertest';
import type { AppConfig } from '../../../src/app';
import type { StoreKind } from '../../support/stores';
import { appPerTest, buildSecondInstance, describeEachStore, seedUsers, type SeededUser, type TestApp, type TestAppOptions } from '../../support/testApp';
import type { FakeTimers } from '../../support/fakeTimers';
import { goStatus, ID_FORMS, NOT_LOGGED_IN, plainView, presenceList } from '../rocketchat/rocketChatKit';
import { waitFor } from '../../support/waitFor';
import { listen, openStream, type SseClient } from './sseClient';

const STREAM = '/api/v1/users.presence.stream';
const WATCH_ONLY: Partial<AppConfig> = { streamConnections: false };

describeEachStore('users.presence.stream', (kind: StoreKind) => {
  let t: TestApp;
  let server: Awaited<ReturnType<typeof listen>>;
  let alice: SeededUser, bob: SeededUser, carol: SeededUser;
  const opened: SseClient[] = [];
  const cleanups: (() => Promise<void>)[] = [];

  /**
   * For each test of the enclosing describe: the service with `config`, listening, with Alice, Bob (online since a
   * minute) and Carol; its streams, servers and second instances closed after the test, before the app.
   */
  function serveEachTest(config: Partial<AppConfig> = {}, options: TestAppOptions = {}): void {
    afterEach(async () => {
      for (const client of opened.splice(0)) client.close();
      for (const cleanup of cleanups.splice(0)) await cleanup();
      await server.close();
    });
    // These suites test delivery: snapshots, resumes, limits. A stream here only watches, so the opener's own presence
    // does not enter every event; streams as connections are tests/api/connections/connections.test.ts's.
    const perTest = appPerTest(kind, { ...WATCH_ONLY, ...config }, options);
    beforeEach(async () => {
      t = perTest.t;
      server = await listen(t.app);
      [alice, bob, carol] = await seedUsers(t, { username: 'alice' }, { username: 'bob' }, { username: 'carol' });
      await goStatus(t, bob, 'online');
      t.clock.advanceSeconds(60);
    });
  }

  /** The app's timers, in the describes that serve with `fakeTimers`. */
  function timers(): FakeTimers {
    if (t.timers === undefined) throw new Error('this describe serves without fakeTimers');
    return t.timers;
  }

  async function open(path: string, headers: Record<string, string>, port = server.port) {
    const client = await openStream(port, path, headers);
    opened.push(client);
    return client;
  }

  /** A stream with its first event (the snapshot) already in. */
  async function subscribed(who: SeededUser, path = STREAM, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = await open(path, { ...who.headers, ...headers });
    expect(client.status).toBe(200);
    await client.event(0);
    return client;
  }

  /**
   * Makes a change a second later and expects it as the stream's event #`index`: nothing else (no duplicate, no
   * change the stream should not carry) came before it.
   */
  async function expectNextEvent(client: SseClient, index: number, who: SeededUser, status: string): Promise<void> {
    expect(client.events).toHaveLength(index);
    t.clock.advance(1000);
    await goStatus(t, who, status);
    expect((await client.event(index)).data).toEqual({ users: [plainView(who, status)], full: false });
  }

  describe('with the default limits', () => {
    serveEachTest();

    it('answers text/event-stream, unbuffered and untransformed, with a retry time, then every present user', async () => {
      const client = await open(STREAM, alice.headers);
      expect(client.status).toBe(200);
      expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(client.headers['cache-control']).toBe('no-cache, no-transform');
      expect(client.headers['x-accel-buffering']).toBe('no');
      expect(client.headers['content-encoding']).toBeUndefined();
      const snapshot = await client.event(0);
      expect(client.retry).toBe(3000);
      expect(snapshot.event).toBe('presence');
      expect(snapshot.id).toBe(String(t.clock.now().getTime()));
      expect(snapshot.data).toEqual({ users: (await presenceList(t, alice)).users, full: true });
      expect(snapshot.data.users).toEqual([plainView(bob, 'online')]);
    });

    it('sends each change as a full:false event with users.presence\'s user objects, offline included', async () => {
      const client = await subscribed(alice);
      await goStatus(t, carol, 'away', 'lunch');
      const change = await client.event(1);
      expect(change.event).toBe('presence');
      expect(change.data).toEqual({ users: [{ ...plainView(carol, 'away'), statusText: 'lunch' }], full: false });
      t.clock.advance(1500);
      await goStatus(t, bob, 'offline');
      expect((await client.event(2)).data).toEqual({ users: [plainView(bob, 'offline')], full: false });
      // Each event's id is the server time up to which it holds every change.
      expect(Number(client.events[2].id)).toBe(Number(change.id) + 1500);
    });

    it.each(ID_FORMS)('narrows to the users of `ids` (%s), in the snapshot and in changes', async (_form, query) => {
      await goStatus(t, carol, 'busy');
      const client = await subscribed(alice, `${STREAM}?${query([bob.user.id, alice.user.id])}`);
      expect(client.events[0].data).toEqual({ users: [plainView(bob, 'online')], full: true });
      await goStatus(t, carol, 'away');
      await goStatus(t, bob, 'away');
      const change = await client.event(1);
      expect(change.data).toEqual({ users: [plainView(bob, 'away')], full: false });
      await goStatus(t, carol, 'online');
      await expectNextEvent(client, 2, alice, 'busy');
    });

    it('resumes after Last-Event-ID with the changes since, as full:false, and no snapshot', async () => {
      const first = await subscribed(alice);
      await goStatus(t, carol, 'away');
      const seen = await first.event(1);
      first.close();
      await goStatus(t, bob, 'busy');
      await goStatus(t, carol, 'online');

      const resumed = await open(STREAM, { ...alice.headers, 'Last-Event-ID': seen.id as string });
      const catchUp = await resumed.event(0);
      expect(catchUp.data.full).toBe(false);
      expect(catchUp.data.users).toEqual(expect.arrayContaining([plainView(bob, 'busy'), plainView(carol, 'online')]));
      expect(catchUp.data.users).toHaveLength(2);
      await expectNextEvent(resumed, 1, carol, 'away');
    });

    it('takes the cursor as a `lastEventId` parameter too, and sends nothing when nothing changed since', async () => {
      const first = await subscribed(alice);
      const resumed = await open(`${STREAM}?lastEventId=${first.events[0].id}`, alice.headers);
      expect(resumed.status).toBe(200);
      await expectNextEvent(resumed, 0, carol, 'away');
    });

    it.each([
      ['malformed', () => 'not-a-cursor'],
      ['in the per-instance form of older versions', () => '0000abcd-1'],
      ['older than the delta window', () => String(t.clock.now().getTime() - 600_000)],
    ])('answers a %s cursor with a snapshot, never an error', async (_label, cursor) => {
      const client = await open(STREAM, { ...alice.headers, 'Last-Event-ID': cursor() });
      expect(client.status).toBe(200);
      expect((await client.event(0)).data).toEqual({ users: [plainView(bob, 'online')], full: true });
    });

    it('resumes from a cursor in the server\'s future (a forged or skewed one) as from now, without a snapshot', async () => {
      await goStatus(t, carol, 'busy');
      const client = await open(STREAM, { ...alice.headers, 'Last-Event-ID': String(t.clock.now().getTime() + 3_600_000) });
      expect((await client.event(0)).data).toEqual({ users: [plainView(carol, 'busy')], full: false });
    });

    it('continues from a users.presence answer\'s cursor without a gap', async () => {
      const poll = await request(t.app).get('/api/v1/users.presence').set(alice.headers).expect(200);
      const cursor = poll.headers['x-presence-cursor'];
      expect(cursor).toBe(String(t.clock.now().getTime()));
      t.clock.advanceSeconds(5);
      await goStatus(t, carol, 'busy');
      const client = await open(STREAM, { ...alice.headers, 'Last-Event-ID': cursor });
      expect((await client.event(0)).data).toEqual({ users: [plainView(carol, 'busy')], full: false });
      await expectNextEvent(client, 1, carol, 'away');
    });

    it('pushes an expiry when it happens, with no request from anyone', async () => {
      const client = await subscribed(alice);
      // Bob's presence (900 s) was set 60 s before the stream opened.
      t.clock.advanceSeconds(840);
      const expiry = await client.event(1);
      expect(expiry.data).toEqual({ users: [plainView(bob, 'offline')], full: false });
    });

    it('answers HEAD at once with the stream\'s headers and no body, opening no stream, and refuses it as GET would', async () => {
      const head = await request(t.app).head(STREAM).set(alice.headers);
      expect(head.status).toBe(200);
      expect(head.headers['content-type']).toBe('text/event-stream; charset=utf-8');
      expect(head.headers['cache-control']).toBe('no-cache, no-transform');
      expect(head.text).toBeUndefined();
      expect((await request(t.app).get('/metrics')).text).toContain('presence_open_streams 0');
      expect((await request(t.app).head(STREAM)).status).toBe(401);
      expect((await request(t.app).head(`${STREAM}?ids=not%20an%20id`).set(alice.headers)).status).toBe(400);
      // A ticket is not spent on a HEAD: it still opens its stream.
      const { body } = await request(t.app).post('/api/v1/users.presence.stream.ticket').set(alice.headers).expect(200);
      expect((await request(t.app).head(`${STREAM}?ticket=${body.ticket}`)).status).toBe(401);
      expect((await open(`${STREAM}?ticket=${body.ticket}`, {})).status).toBe(200);
    });

    it('refuses missing credentials and bad parameters with the usual JSON before any stream starts', async () => {
      const anonymous = await open(STREAM, {});
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['content-type']).toBe('application/json');
      expect(anonymous.body).toEqual(NOT_LOGGED_IN);
      const badIds = await open(`${STREAM}?ids=not%20an%20id`, alice.headers);
      expect(badIds.status).toBe(400);
      expect(badIds.body).toMatchObject({ success: false, errorType: 'invalid-params' });
      const noIds = await open(`${STREAM}?ids=`, alice.headers);
      expect(noIds.status).toBe(400);
      expect(noIds.body).toEqual({ success: false, error: 'The parameter "ids" must list at least one user id [invalid-params]', errorType: 'invalid-params' });
      const twoCursors = await open(`${STREAM}?lastEventId=a&lastEventId=b`, alice.headers);
      expect(twoCursors.status).toBe(400);
      expect(String((twoCursors.body as { error: string }).error)).toMatch(/"lastEventId"/);
    });

    it('answers an HTTP/1.0 request without chunk framing (HTTP/1.0 has none) and ends it by closing the connection', async () => {
      const socket = connect(server.port, '127.0.0.1');
      let received = '';
      let closed = false;
      socket.setEncoding('latin1');
      socket.on('data', (chunk: string) => (received += chunk));
      socket.on('close', () => (closed = true));
      socket.write(`GET ${STREAM} HTTP/1.0\r\nHost: localhost\r\nX-User-Id: ${alice.headers['X-User-Id']}\r\nX-Auth-Token: ${alice.headers['X-Auth-Token']}\r\n\r\n`);
      const snapshotEnd = (text: string) => text.indexOf('\n\n', text.indexOf('data: '));
      await waitFor(async () => (snapshotEnd(received) === -1 ? undefined : true), { everyMs: 10 });
      const [head, body] = [received.slice(0, received.indexOf('\r\n\r\n')), received.slice(received.indexOf('\r\n\r\n') + 4)];
      const headers = head.toLowerCase().split('\r\n');
      expect(headers[0]).toBe('http/1.1 200 ok');
      expect(headers).toContain('content-type: text/event-stream; charset=utf-8');
      expect(headers).toContain('connection: close');
      expect(headers.filter((line) => line.startsWith('transfer-encoding') || line.startsWith('content-length'))).toEqual([]);
      // The body is the event stream itself: no chunk size line before it, no CRLF after it.
      const [, data] = new RegExp(`^retry: 3000\\n\\nid: ${t.clock.now().getTime()}\\nevent: presence\\ndata: (.*)\\n\\n$`).exec(body) ?? [];
      expect(JSON.parse(data)).toEqual({ users: [plainView(bob, 'online')], full: true });
      await request(t.app).post('/api/v1/logout').set(alice.headers).expect(200);
      await waitFor(async () => (closed ? true : undefined), { everyMs: 10 });
      // Ended by the close alone: no last chunk (0 CRLF CRLF) was written.
      expect(received.slice(received.indexOf('\r\n\r\n') + 4)).toBe(body);
    });

    it('closes a token\'s streams when it logs out', async () => {
      const client = await subscribed(alice);
      await request(t.app).post('/api/v1/logout').set(alice.headers).expect(200);
      await client.until(() => client.ended, 'the stream to end');
    });

    it('ends every stream at shutdown and refuses new ones with 503; the client resumes from its last id on another instance', async () => {
      const client = await subscribed(alice);
      t.app.closeStreams();
      await client.until(() => client.ended, 'the stream to end');
      await goStatus(t, carol, 'away');
      const refused = await open(STREAM, { ...alice.headers, 'Last-Event-ID': client.events[0].id as string });
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBe('3');
      expect(refused.body).toEqual({ success: false, error: 'This instance is shutting down, try another instance' });
      const second = await buildSecondInstance(t, WATCH_ONLY);
      const secondServer = await listen(second.app);
      cleanups.push(async () => {
        await secondServer.close();
        await second.close();
      });
      const resumed = await open(STREAM, { ...alice.headers, 'Last-Event-ID': client.events[0].id as string }, secondServer.port);
      expect(resumed.status).toBe(200);
      expect((await resumed.event(0)).data.users).toContainEqual(plainView(carol, 'away'));
    });

    describe('stream tickets, for a browser\'s EventSource', () => {
      async function ticketFor(who: SeededUser): Promise<{ ticket: string; expiresAt: string }> {
        const res = await request(t.app).post('/api/v1/users.presence.stream.ticket').set(who.headers).expect(200);
        const expiresAt = new Date(t.clock.now().getTime() + 30_000).toISOString();
        expect(res.body).toEqual({ ticket: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expiresAt, success: true });
        return res.body;
      }

      it('opens a stream with no login header, once', async () => {
        const { ticket } = await ticketFor(alice);
        const client = await open(`${STREAM}?ticket=${ticket}`, {});
        expect(client.status).toBe(200);
        expect((await client.event(0)).data.full).toBe(true);
        const again = await open(`${STREAM}?ticket=${ticket}`, {});
        expect(again.status).toBe(401);
        expect(again.body).toEqual(NOT_LOGGED_IN);
      });

      it('is refused once its login token has expired, though the ticket itself has not', async () => {
        const { ticket } = await ticketFor(alice);
        // alice's token was made when she was seeded, 60 s before; it lives LOGIN_EXPIRATION_DAYS (90).
        t.clock.advance(90 * 86_400_000 - 60_000 - 10_000);
        const { ticket: lastMinute } = await ticketFor(alice);
        t.clock.advance(20_000);
        expect((await open(`${STREAM}?ticket=${lastMinute}`, {})).status).toBe(401);
        expect(ticket).not.toBe(lastMinute);
      });

      it('is not used up by a request refused for its other parameters', async () => {
        const { ticket } = await ticketFor(alice);
        const refused = await open(`${STREAM}?ticket=${ticket}&ids=not%20an%20id`, {});
        expect(refused.status).toBe(400);
        expect(refused.body).toMatchObject({ success: false, errorType: 'invalid-params' });
        const client = await open(`${STREAM}?ticket=${ticket}`, {});
        expect(client.status).toBe(200);
        expect((await client.event(0)).data.full).toBe(true);
      });

      it('is refused once expired, or unknown', async () => {
        const { ticket } = await ticketFor(alice);
        t.clock.advanceSeconds(31);
        expect((await open(`${STREAM}?ticket=${ticket}`, {})).status).toBe(401);
        expect((await open(`${STREAM}?ticket=${'x'.repeat(43)}`, {})).status).toBe(401);
      });

      it('needs the login headers to be issued, and its stream closes when that login token logs out', async () => {
        const refused = await request(t.app).post('/api/v1/users.presence.stream.ticket');
        expect(refused.status).toBe(401);
        const { ticket } = await ticketFor(alice);
        const client = await subscribed(alice, `${STREAM}?ticket=${ticket}`, { 'X-User-Id': '', 'X-Auth-Token': '' });
        await request(t.app).post('/api/v1/logout').set(alice.headers).expect(200);
        await client.until(() => client.ended, 'the stream to end');
      });
    });

    describe('on two instances over the same data', () => {
      let second: Awaited<ReturnType<typeof buildSecondInstance>>;
      let secondServer: Awaited<ReturnType<typeof listen>>;
      beforeEach(async () => {
        second = await buildSecondInstance(t, WATCH_ONLY);
        secondServer = await listen(second.app);
        cleanups.push(async () => {
          await secondServer.close();
          await second.close();
        });
      });

      it('resumes on the other instance with the changes it missed, as full:false, and no snapshot', async () => {
        const first = await subscribed(alice);
        await goStatus(t, carol, 'away');
        const seen = await first.event(1);
        first.close();
        t.clock.advanceSeconds(5);
        await goStatus(t, bob, 'busy');
        const resumed = await open(STREAM, { ...alice.headers, 'Last-Event-ID': seen.id as string }, secondServer.port);
        // Carol's change was made at the cursor's time, within the overlap before it: it may come again, and does.
        const caughtUp = (await resumed.event(0)).data;
        expect(caughtUp.full).toBe(false);
        expect(caughtUp.users).toEqual(expect.arrayContaining([plainView(bob, 'busy'), plainView(carol, 'away')]));
        expect(caughtUp.users).toHaveLength(2);
        t.clock.advanceSeconds(1);
        await goStatus(t, carol, 'online');
        expect((await resumed.event(1)).data).toEqual({ users: [plainView(carol, 'online')], full: false });
      });

      it('resumes from the cursor of a fresh instance\'s ids answer without missing what changed after it', async () => {
        const answer = await request(second.app).get(`/api/v1/users.presence?ids=${carol.user.id}`).set(alice.headers).expect(200);
        expect(answer.body).toEqual({ users: [], full: false, success: true });
        t.clock.advanceSeconds(3);
        await goStatus(t, carol, 'busy');
        const client = await open(`${STREAM}?ids=${carol.user.id}`, { ...alice.headers, 'Last-Event-ID': answer.headers['x-presence-cursor'] }, secondServer.port);
        expect((await client.event(0)).data).toEqual({ users: [plainView(carol, 'busy')], full: false });
      });

      it('an ids stream opened first thing on a fresh instance misses no change made just after its snapshot', async () => {
        const client = await open(`${STREAM}?ids=${carol.user.id}`, alice.headers, secondServer.port);
        expect((await client.event(0)).data).toEqual({ users: [], full: true });
        await goStatus(t, carol, 'away');
        expect((await client.event(1)).data).toEqual({ users: [plainView(carol, 'away')], full: false });
      });
    });

    it('reaches the streams of another instance, exactly once', async () => {
      const second = await buildSecondInstance(t, WATCH_ONLY);
      const secondServer = await listen(second.app);
      cleanups.push(async () => {
        await secondServer.close();
        await second.close();
      });
      const client = await open(STREAM, alice.headers, secondServer.port);
      await client.event(0);
      await goStatus(t, carol, 'busy');
      expect((await client.event(1)).data).toEqual({ users: [plainView(carol, 'busy')], full: false });
      await expectNextEvent(client, 2, carol, 'away');
    });
  });

  describe('limits', () => {
    describe('STREAM_MAX_PER_USER=2', () => {
      serveEachTest({ streamMaxPerUser: 2 });

      it('caps the streams of one user with 429 JSON, others still open', async () => {
        await subscribed(alice);
        await subscribed(alice);
        const third = await open(STREAM, alice.headers);
        expect(third.status).toBe(429);
        expect(third.headers['content-type']).toBe('application/json');
        expect(third.body).toEqual({ success: false, error: 'Too many open presence streams for this user' });
        await subscribed(bob);
      });
    });

    describe('STREAM_MAX_PER_INSTANCE=2', () => {
      serveEachTest({ streamMaxPerInstance: 2 });

      it('refuses a stream past what the instance can hold with 503 JSON and Retry-After, keeps the open ones flowing, and frees a place when one closes', async () => {
        const first = await subscribed(alice);
        const second = await subscribed(bob);
        const third = await open(STREAM, carol.headers);
        expect(third.status).toBe(503);
        expect(third.headers['content-type']).toBe('application/json');
        expect(third.headers['retry-after']).toBe('3');
        expect(third.body).toEqual({ success: false, error: 'Too many open presence streams, try another instance' });
        const head = await request(t.app).head(STREAM).set(carol.headers);
        expect(head.status).toBe(503);
        expect(head.headers['retry-after']).toBe('3');
        await goStatus(t, carol, 'away');
        expect((await first.event(1)).data).toEqual({ users: [plainView(carol, 'away')], full: false });
        expect((await second.event(1)).data).toEqual({ users: [plainView(carol, 'away')], full: false });
        first.close();
        // The server learns of the disconnection when the socket's close reaches it: wait until it counts one stream
        // fewer (each request is a round trip, so the close gets its turn), then retry, as EventSource does.
        while (!(await request(t.app).get('/metrics')).text.includes('\npresence_open_streams 1\n'));
        expect((await open(STREAM, carol.headers)).status).toBe(200);
      });
    });

    describe('STREAM_HEARTBEAT_SECONDS=1', () => {
      serveEachTest({ streamHeartbeatSeconds: 1 }, { fakeTimers: true });

      it('sends keep-alive comments every STREAM_HEARTBEAT_SECONDS', async () => {
        const client = await subscribed(alice);
        timers().advance(1000);
        await client.until(() => client.comments.includes('keep-alive'), 'a keep-alive comment');
      });
    });

    describe('STREAM_REVALIDATE_MS=200', () => {
      serveEachTest({ streamRevalidateMs: 200 }, { fakeTimers: true });

      // Streams revalidate their tokens every 200 ms of the app's timers here; the test moves them.
      it('closes a stream whose login token was revoked on another instance', async () => {
        const client = await subscribed(alice);
        await t.store.removeLoginToken(alice.user.id, alice.user.credentials!.loginTokens![0].hashedToken as string);
        timers().advance(200);
        await timers().runWhile(client.until(() => client.ended, 'the stream to end'));
      });

      // The tokens go to the store a batch at a time (250), one batch per turn of the event loop: a token of the
      // last batch counts as much as one of the first.
      it('closes the streams of revoked tokens however many streams are open, and only those', async () => {
        const others = await Promise.all(Array.from({ length: 260 }, (_, i) => t.seedUser({ username: `watcher${i}` })));
        // A stream's token is checked in the batch of its place among the open streams: Alice's opens first, the
        // last watcher's last.
        const watch = (who: SeededUser) => subscribed(who, `${STREAM}?ids=${bob.user.id}`);
        const last = others[others.length - 1];
        const clients = [await watch(alice)];
        clients.push(...(await Promise.all(others.slice(0, -1).map(watch))));
        clients.push(await watch(last));
        for (const revoked of [alice, last]) {
          await t.store.removeLoginToken(revoked.user.id, revoked.user.credentials!.loginTokens![0].hashedToken as string);
        }
        const [first, lastClient] = [clients[0], clients[clients.length - 1]];
        timers().advance(200);
        await timers().runWhile(first.until(() => first.ended, 'the first stream to end'));
        await timers().runWhile(lastClient.until(() => lastClient.ended, 'the last stream to end'));
        // Every token was checked by now; the others are live and their streams still flow.
        t.clock.advance(1000);
        await goStatus(t, bob, 'away');
        for (const client of clients.slice(1, -1)) expect((await timers().runWhile(client.event(1))).data).toEqual({ users: [plainView(bob, 'away')], full: false });
        expect(clients.slice(1, -1).filter((client) => client.ended)).toEqual([]);
      }, 60_000);
    });
  });
});
