import fs from 'node:fs';
import { request as httpRequest } from 'node:http';
import request from 'supertest';
import pino from 'pino';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config/loadConfig';
import { createMetrics, WALKED_MAX_AGE_MS } from '../../src/metrics/createMetrics';
import { FakeClock } from '../support/fakeClock';
import { TEST_CONFIG } from '../support/testApp';
import { openStream } from '../api/stream/sseClient';
import { waitFor } from '../support/waitFor';
import { buildHarness, embeddedStore, listen, type Harness } from './support/harness';
import { parseRawAnswer, sendRaw } from './support/http';
import { answerClientErrors } from '../../src/http/clientErrors';

/** The value of one sample line of the Prometheus text, by its exact name and labels; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const scrape = async (h: Harness) => (await request(h.app).get('/metrics').expect(200)).text;

describe('GET /metrics', () => {
  let h: Harness;
  beforeEach(() => {
    h = buildHarness();
  });

  it('answers the Prometheus text format, without authentication when no token is configured', async () => {
    const res = await request(h.app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(res.text).toContain('# TYPE presence_open_streams gauge');
  });

  it('counts and times requests by route template and status, never by raw path', async () => {
    const alice = await h.seed();
    const bob = await h.seed();
    const poll = await request(h.app).get('/api/v1/users.presence').set(alice.headers).expect(200);
    await request(h.app).get('/api/v1/users.presence').set(alice.headers).set('If-None-Match', poll.headers.etag as string).expect(304);
    await request(h.app).get('/api/v1/users.presence').set(alice.headers).expect(200);
    await request(h.app).get(`/v0/users/${bob.user.id}/presence`).set(alice.bearer).expect(200);
    await request(h.app).get('/v0/users/nobody-at-all/presence').set(alice.bearer).expect(404);
    await request(h.app).get('/api/v1/users.presence?from=never').set(alice.headers).expect(400);
    await request(h.app).get('/some/random/path-x').expect(404);
    const text = await scrape(h);
    expect(sample(text, 'http_request_duration_seconds_count{route="/api/v1/users.presence",method="GET",status="200"}')).toBe(2);
    expect(sample(text, 'http_request_duration_seconds_count{route="/api/v1/users.presence",method="GET",status="304"}')).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count{route="/api/v1/users.presence",method="GET",status="400"}')).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count{route="/v0/users/:user_id/presence",method="GET",status="200"}')).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count{route="/v0/users/:user_id/presence",method="GET",status="404"}')).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_count{route="unmatched",method="GET",status="404"}')).toBe(1);
    expect(sample(text, 'http_request_duration_seconds_bucket{le="+Inf",route="/api/v1/users.presence",method="GET",status="200"}')).toBe(2);
    expect(text).not.toContain(bob.user.id);
    expect(text).not.toContain('nobody-at-all');
    expect(text).not.toContain('path-x');
  });

  it('labels users.setStatus alike on both lanes: the route once routed, `unmatched` for a body refused before', async () => {
    const alice = await h.seed();
    // The hot lane takes the path so spelled; the router also takes it with a trailing slash.
    for (const path of ['/api/v1/users.setStatus', '/api/v1/users.setStatus/']) {
      await request(h.app).post(path).set(alice.headers).send({ status: 'away' }).expect(200);
      await request(h.app).post(path).set(alice.headers).send({ status: 'sleeping' }).expect(400);
      await request(h.app).post(path).set(alice.headers).set('Content-Type', 'application/json').send('{"status":').expect(400);
      await request(h.app).post(path).set(alice.headers).set('Content-Type', 'application/json').send('["away"]').expect(400);
    }
    const text = await scrape(h);
    expect(sample(text, 'http_request_duration_seconds_count{route="/api/v1/users.setStatus",method="POST",status="200"}')).toBe(2);
    expect(sample(text, 'http_request_duration_seconds_count{route="/api/v1/users.setStatus",method="POST",status="400"}')).toBe(2);
    expect(sample(text, 'http_request_duration_seconds_count{route="unmatched",method="POST",status="400"}')).toBe(4);
  });

  it('times store calls by method and counts their failures', async () => {
    const alice = await h.seed();
    await request(h.app).get('/api/v1/me').set(alice.headers).expect(200);
    h.faulty.reject(() => new Error('store bug'));
    h.clock.advance(5000);
    await request(h.app).get('/api/v1/me').set(alice.headers).expect(500);
    h.faulty.heal();
    const text = await scrape(h);
    expect(sample(text, 'presence_store_call_duration_seconds_count{method="findUserByHashedToken"}')).toBe(2);
    expect(sample(text, 'presence_store_call_duration_seconds_count{method="findUserById"}')).toBe(1);
    expect(sample(text, 'presence_store_call_errors_total{method="findUserByHashedToken"}')).toBe(1);
  });

  it('counts login failures, rate-limited logins and present users', async () => {
    const limited = buildHarness({ config: { loginRateLimit: 2 } });
    const carol = await limited.seed({ username: 'carol' });
    await request(limited.app).post('/api/v1/login').send({ user: 'carol', password: 'wrong' }).expect(401);
    await request(limited.app).post('/api/v1/login').send({ user: 'carol', password: 'wrong' }).expect(401);
    await request(limited.app).post('/api/v1/login').send({ user: 'carol', password: 'wrong' }).expect(401).expect((res) => expect(res.body.error).toBe('error-login-blocked-for-ip'));
    await request(limited.app).put('/v0/users/me/presence').set(carol.bearer).send({ presence: 'online' }).expect(200);
    const text = await scrape(limited);
    expect(sample(text, 'presence_login_failures_total')).toBe(2);
    expect(sample(text, 'presence_rate_limited_requests_total{limit="address"}')).toBe(1);
    expect(sample(text, 'presence_present_users')).toBe(1);
  });

  it('counts present users from the list taken last, reading the store\'s present list at most once in 10 s however often it is scraped', async () => {
    // Every call the app makes to the store, by the store's own record of them.
    const presentListReads = () => h.faulty.calls.filter((name) => name === 'findPresentCandidates').length;
    const [alice, bob, carol] = [await h.seed(), await h.seed(), await h.seed()];
    await request(h.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: 'online' }).expect(200);
    expect(sample(await scrape(h), 'presence_present_users')).toBe(1);
    expect(presentListReads()).toBe(1);

    // Scraped every second: no read of the list, and no store call at all.
    await request(h.app).put('/v0/users/me/presence').set(bob.bearer).send({ presence: 'online' }).expect(200);
    const callsBefore = h.faulty.calls.length;
    let text = '';
    for (let second = 0; second < 9; second += 1) {
      h.clock.advance(999);
      text = await scrape(h);
    }
    expect(h.faulty.calls.slice(callsBefore)).toEqual([]);
    // Within the 10 s, the count is that of the list taken last: Bob's change is not in it yet.
    expect(sample(text, 'presence_present_users')).toBe(1);

    // A full list the service serves anyway takes a new list: the next scrape counts from it, without a read of its own.
    await request(h.app).get('/api/v1/users.presence').set(carol.headers).expect(200);
    expect(presentListReads()).toBe(2);
    expect(sample(await scrape(h), 'presence_present_users')).toBe(2);
    expect(presentListReads()).toBe(2);

    // 10 s after the list taken last, a scrape takes one itself: the change since is in, and counted once.
    await request(h.app).put('/v0/users/me/presence').set(carol.bearer).send({ presence: 'away' }).expect(200);
    h.clock.advance(10_000);
    expect(sample(await scrape(h), 'presence_present_users')).toBe(3);
    expect(presentListReads()).toBe(3);
    expect(sample(await scrape(h), 'presence_present_users')).toBe(3);
    expect(presentListReads()).toBe(3);
  });

  it('shows how long stream deliveries take from the change stamp, the coalescing window and the backlog', async () => {
    const alice = await h.seed();
    const bob = await h.seed();
    const server = await listen(h.app);
    try {
      const stream = await openStream(server.port, '/api/v1/users.presence.stream', alice.headers);
      await stream.event(0);
      await request(h.app).post('/api/v1/users.setStatus').set(bob.headers).send({ status: 'away' }).expect(200);
      expect((await stream.event(1)).data.full).toBe(false);
      const text = await scrape(h);
      expect(text).toContain('# TYPE presence_stream_delivery_seconds histogram');
      expect(sample(text, 'presence_stream_delivery_seconds_count')).toBe(1);
      // The fake clock stands still: the change went out 0 s after its stamp.
      expect(sample(text, 'presence_stream_delivery_seconds_bucket{le="0.005"}')).toBe(1);
      expect(sample(text, 'presence_stream_coalesce_window_seconds')).toBe(0);
      expect(sample(text, 'presence_stream_backlog_events')).toBe(0);
      stream.close();
    } finally {
      await server.close();
    }
  });

  it('counts and times a stream its client closes (status as answered) and a login given up before its answer (499)', async () => {
    const held = buildHarness({ storeTimeoutMs: 60_000 });
    const alice = await held.seed({ username: 'alice' });
    const server = await listen(held.app);
    const streamCount = 'http_request_duration_seconds_count{route="/api/v1/users.presence.stream",method="GET",status="200"}';
    const loginCount = (status: number) => `http_request_duration_seconds_count{route="/api/v1/login",method="POST",status="${status}"}`;
    try {
      const stream = await openStream(server.port, '/api/v1/users.presence.stream', alice.headers);
      await stream.event(0);
      expect(sample(await scrape(held), streamCount)).toBeUndefined();
      stream.close();
      await waitFor(async () => sample(await scrape(held), streamCount));
      expect(sample(await scrape(held), streamCount)).toBe(1);

      held.faulty.hold('findUserByLogin');
      const reached = held.faulty.nextCall('findUserByLogin');
      const body = JSON.stringify({ user: 'alice', password: 'whatever' });
      const login = httpRequest({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/api/v1/login', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } });
      login.on('error', () => undefined);
      login.end(body);
      await reached;
      login.destroy();
      await waitFor(async () => sample(await scrape(held), loginCount(499)));
      held.faulty.heal();
      await held.faulty.idle();
      const text = await scrape(held);
      expect(sample(text, loginCount(499))).toBe(1);
      expect(text).not.toContain('route="/api/v1/login",method="POST",status="401"');
      expect(sample(text, streamCount)).toBe(1);
    } finally {
      await server.close();
    }
  });

  it('with METRICS_TOKEN, answers only a scraper that sends it as a bearer token', async () => {
    const token = 'scrape-token-0123456789';
    const guarded = buildHarness({ config: { metricsToken: token } });
    const refused = await request(guarded.app).get('/metrics').expect(401);
    expect(refused.body).toEqual({ success: false, error: 'You must be logged in to do this.', status: 'error', message: 'You must be logged in to do this.' });
    await request(guarded.app).get('/metrics').set('Authorization', 'Bearer not-the-token-at-all').expect(401);
    await request(guarded.app).get('/metrics').set('Authorization', `Basic ${token}`).expect(401);
    const res = await request(guarded.app).get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);
    expect(res.text).toContain('http_request_duration_seconds');
  });

  it('takes every METRICS_TOKEN start-up accepts, each character of printable ASCII but the comma included', async () => {
    const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, index) => String.fromCharCode(0x21 + index));
    const token = printable.filter((character) => character !== ',').join('');
    expect(loadConfig({ METRICS_TOKEN: token }).metricsToken).toBe(token);
    expect(() => loadConfig({ METRICS_TOKEN: `${token},` })).toThrow('METRICS_TOKEN must be 16 to 256 printable ASCII characters without spaces or commas');
    const guarded = buildHarness({ config: { metricsToken: token } });
    await request(guarded.app).get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);
    await request(guarded.app).get('/metrics').set('Authorization', `Bearer ${token.slice(1)}`).expect(401);
  });

  it("includes Node's process metrics when asked, once per app", async () => {
    const build = () => createApp({
      store: embeddedStore(),
      clock: new FakeClock(),
      config: TEST_CONFIG,
      logger: pino({ level: 'silent' }),
      metrics: createMetrics({ processMetrics: true }),
    });
    const [first, second] = [build(), build()];
    for (const app of [first, second]) {
      const text = (await request(app).get('/metrics').expect(200)).text;
      expect(text).toContain('process_cpu_user_seconds_total');
      expect(text).toContain('nodejs_eventloop_lag_seconds');
      expect(text.match(/^# TYPE process_resident_memory_bytes /gm)).toHaveLength(1);
    }
  });

  it('walks every handle, resource and open descriptor of the process at most once per WALKED_MAX_AGE_MS, answering the last values in between', async () => {
    let nowMs = 0;
    const registry = createMetrics({ processMetrics: true, now: () => nowMs }).registry;
    const walker = process as unknown as { _getActiveHandles: () => unknown[] };
    // The first walk sees seven of each (each is read by two gauges: by type, and the total).
    const seven = (make: (k: number) => unknown) => Array.from({ length: 7 }, (_, k) => make(k));
    const handles = jest.spyOn(walker, '_getActiveHandles').mockReturnValueOnce(seven(() => ({}))).mockReturnValueOnce(seven(() => ({})));
    const resources = jest.spyOn(process, 'getActiveResourcesInfo').mockReturnValueOnce(seven(() => 'TCPWRAP') as string[]).mockReturnValueOnce(seven(() => 'TCPWRAP') as string[]);
    const descriptors = jest.spyOn(fs, 'readdirSync');
    const walks = () => [handles.mock.calls.length, resources.mock.calls.length, descriptors.mock.calls.filter(([dir]) => dir === '/proc/self/fd').length];
    try {
      const first = await registry.metrics();
      // The descriptors are read on Linux only.
      const fdWalks = process.platform === 'linux' ? 1 : 0;
      expect(walks()).toEqual([2, 2, fdWalks]);
      expect([sample(first, 'nodejs_active_handles_total'), sample(first, 'nodejs_active_resources_total')]).toEqual([7, 7]);
      nowMs = WALKED_MAX_AGE_MS - 1;
      const second = await registry.metrics();
      expect(walks()).toEqual([2, 2, fdWalks]);
      expect([sample(second, 'nodejs_active_handles_total'), sample(second, 'nodejs_active_resources_total')]).toEqual([7, 7]);
      nowMs = WALKED_MAX_AGE_MS;
      await registry.metrics();
      expect(walks()).toEqual([4, 4, 2 * fdWalks]);
    } finally {
      handles.mockRestore();
      resources.mockRestore();
      descriptors.mockRestore();
    }
  });
});

describe('requests Node refuses before any route', () => {
  it('are answered in JSON and counted in presence_client_errors_total by status', async () => {
    const metrics = createMetrics();
    const app = createApp({ store: embeddedStore(), clock: new FakeClock(), config: TEST_CONFIG, logger: pino({ level: 'silent' }), metrics });
    const server = await listen(app);
    answerClientErrors(server.server, metrics);
    try {
      const malformed = parseRawAnswer(await sendRaw(server.port, 'GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Auth-Token\r\n\r\n'));
      expect([malformed.status, malformed.text]).toEqual([400, '{"success":false,"error":"Bad request"}']);
      const oversized = parseRawAnswer(await sendRaw(server.port, `GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ${'p'.repeat(20000)}\r\n\r\n`));
      expect([oversized.status, oversized.text]).toEqual([431, '{"success":false,"error":"Request headers too large"}']);
      await sendRaw(server.port, 'GET /api/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n');
      const text = (await request(app).get('/metrics').expect(200)).text;
      expect(sample(text, 'presence_client_errors_total{status="400"}')).toBe(2);
      expect(sample(text, 'presence_client_errors_total{status="431"}')).toBe(1);
      // Never seen by a route, so not among the requests.
      expect(text).not.toMatch(/http_request_duration_seconds_count\{[^}]*status="4(00|31)"/);
    } finally {
      await server.close();
    }
  });
});
