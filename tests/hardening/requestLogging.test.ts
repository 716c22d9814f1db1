import { request as httpRequest } from 'node:http';
import request from 'supertest';
import { ConfigError, loadConfig } from '../../src/config/loadConfig';
import { LOGGED_PATH_MAX, REFUSED_LINES_PER_SECOND } from '../../src/http/middleware/observeRequests';
import { createLogger } from '../../src/logger';
import { openStream } from '../api/stream/sseClient';
import type { SeededUser } from '../support/testApp';
import { waitFor } from '../support/waitFor';
import { buildHarness, captureLogs, gateLoginChecks, listen, type CapturedLogs, type Harness, type HarnessOptions } from './support/harness';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface Logged {
  h: Harness;
  logs: CapturedLogs;
  alice: SeededUser;
}

/** A harness whose logs are captured at `level`, and a user on it. */
async function loggedHarness(level: 'debug' | 'info', options: Omit<HarnessOptions, 'logger'> = {}, alice: Parameters<Harness['seed']>[0] = {}): Promise<Logged> {
  const logs = captureLogs(level);
  const h = buildHarness({ ...options, logger: logs.logger });
  return { h, logs, alice: await h.seed(alice) };
}

describe('request ids', () => {
  let { h, logs, alice } = {} as Logged;
  // At debug every request has its line, successes included.
  beforeEach(async () => ({ h, logs, alice } = await loggedHarness('debug')));

  const lineFor = (id: string) => logs.records().find((record) => (record.req as { id?: string } | undefined)?.id === id);

  it.each([
    ['Rocket.Chat success', 'GET', '/api/v1/me', () => request(h.app).get('/api/v1/me').set(alice.headers)],
    ['Rocket.Chat 401', 'GET', '/api/v1/me', () => request(h.app).get('/api/v1/me')],
    ['pnut success', 'GET', '/v0/presence', () => request(h.app).get('/v0/presence').set(alice.bearer)],
    ['pnut 400', 'PUT', '/v0/users/me/presence', () => request(h.app).put('/v0/users/me/presence').set(alice.bearer).send({ presence: ['a'] })],
    ['413', 'PUT', '/v0/users/me/presence', () => request(h.app).put('/v0/users/me/presence').set(alice.bearer).send({ pad: 'x'.repeat(20000) })],
    ['healthz', 'GET', '/healthz', () => request(h.app).get('/healthz')],
    ['unknown route', 'GET', '/no/such/thing', () => request(h.app).get('/no/such/thing')],
  ])('echoes a sane X-Request-Id and logs the request under it: %s', async (_name, method, path, call) => {
    const id = `req-${Math.random().toString(36).slice(2)}.A_1`;
    const res = await call().set('X-Request-Id', id);
    expect(res.headers['x-request-id']).toBe(id);
    const line = lineFor(id);
    expect(line).toEqual(expect.objectContaining({
      msg: 'request completed',
      req: { id, method, path },
      res: { statusCode: res.status },
      responseTime: expect.any(Number),
    }));
  });

  it('makes up an id when none is sent, and logs under that one', async () => {
    const res = await request(h.app).get('/api/v1/me').set(alice.headers);
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(lineFor(res.headers['x-request-id'] as string)).toEqual(expect.objectContaining({
      msg: 'request completed',
      req: { id: res.headers['x-request-id'], method: 'GET', path: '/api/v1/me' },
      res: { statusCode: 200 },
    }));
  });

  it.each([
    ['too long', 'a'.repeat(65)],
    ['spaces', 'two words'],
    ['log injection', 'abc\\n{"level":60}'],
    ['JSON', '{"$gt":""}'],
    ['non-ASCII', 'caf\u00e9'],
    ['empty', ''],
  ])('replaces an unusable X-Request-Id (%s) with its own', async (_name, id) => {
    const res = await request(h.app).get('/api/v1/me').set(alice.headers).set('X-Request-Id', id);
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  it('a repeated X-Request-Id is not echoed as one joined value', async () => {
    const res = await request(h.app).get('/api/v1/me').set(alice.headers).set('X-Request-Id', ['first-id', 'second-id'] as unknown as string);
    expect(res.status).toBe(200);
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  it('logs the path without its query string', async () => {
    await request(h.app).get('/api/v1/users.presence?from=2026-01-15T11:59:00Z&secret=abc').set(alice.headers).set('X-Request-Id', 'query-test').expect(200);
    expect((lineFor('query-test')?.req as { path: string }).path).toBe('/api/v1/users.presence');
    expect(logs.text()).not.toContain('secret=abc');
  });
});

describe('at info (production): polls are counted, not logged', () => {
  let { h, logs, alice } = {} as Logged;
  beforeEach(async () => ({ h, logs, alice } = await loggedHarness('info')));
  afterEach(() => jest.restoreAllMocks());

  const idsLogged = () => logs.records().map((record) => (record.req as { id?: string } | undefined)?.id);

  it('leaves out successful and 304 answers', async () => {
    const first = await request(h.app).get('/api/v1/users.presence').set(alice.headers).set('X-Request-Id', 'poll-200').expect(200);
    await request(h.app).get('/api/v1/users.presence').set(alice.headers).set('If-None-Match', first.headers.etag as string).set('X-Request-Id', 'poll-304').expect(304);
    await request(h.app).get('/v0/users/me/presence?update_presence=1').set(alice.bearer).set('X-Request-Id', 'heartbeat').expect(200);
    await request(h.app).get('/healthz').set('X-Request-Id', 'health').expect(200);
    expect(idsLogged()).toEqual([]);
  });

  it('holds every 4xx at warn and every 5xx at error, each with its request id, method, path and status', async () => {
    await request(h.app).get('/api/v1/users.presence').set('X-Request-Id', 'no-auth').expect(401);
    await request(h.app).get('/api/v1/users.presence?from=yesterday').set(alice.headers).set('X-Request-Id', 'bad-from').expect(400);
    await request(h.app).get('/v0/nothing/here').set('X-Request-Id', 'unknown').expect(404);
    h.faulty.reject(() => new Error('store bug'));
    h.clock.advance(5000);
    await request(h.app).get('/v0/presence').set(alice.bearer).set('X-Request-Id', 'server-fault').expect(500);
    const lineFor = (id: string) => logs.records().filter((record) => (record.req as { id?: string } | undefined)?.id === id && record.msg === 'request completed');
    expect(lineFor('no-auth')).toEqual([expect.objectContaining({ level: 40, req: { id: 'no-auth', method: 'GET', path: '/api/v1/users.presence' }, res: { statusCode: 401 } })]);
    expect(lineFor('bad-from')).toEqual([expect.objectContaining({ level: 40, res: { statusCode: 400 } })]);
    expect(lineFor('unknown')).toEqual([expect.objectContaining({ level: 40, res: { statusCode: 404 }, route: 'unmatched' })]);
    expect(lineFor('server-fault')).toEqual([expect.objectContaining({ level: 50, res: { statusCode: 500 }, route: '/v0/presence' })]);
  });

  it('logs an error with its stack under the request id of the request that met it', async () => {
    h.faulty.reject(() => new Error('store bug'));
    h.clock.advance(5000);
    await request(h.app).get('/api/v1/me').set(alice.headers).set('X-Request-Id', 'meets-a-bug').expect(500);
    const errorLine = logs.records().find((record) => record.msg === 'unhandled error');
    expect(errorLine).toEqual(expect.objectContaining({
      level: 50,
      req: { id: 'meets-a-bug', method: 'GET', path: '/api/v1/me' },
      err: expect.objectContaining({ message: 'store bug', stack: expect.stringContaining('store bug') }),
    }));
  });

  it('holds a successful request slower than SLOW_REQUEST_MS', async () => {
    const logsAt = captureLogs('info');
    const slow = buildHarness({ logger: logsAt.logger, config: { slowRequestMs: 1000 } });
    const bob = await slow.seed();
    // Every reading of the monotonic clock 600 ms after the previous one: the request takes at least 1.2 s.
    let nowMs = 0;
    jest.spyOn(performance, 'now').mockImplementation(() => (nowMs += 600));
    await request(slow.app).get('/api/v1/users.presence').set(bob.headers).set('X-Request-Id', 'slow-poll').expect(200);
    jest.restoreAllMocks();
    await request(slow.app).get('/api/v1/users.presence').set(bob.headers).set('X-Request-Id', 'fast-poll').expect(200);
    const lines = logsAt.records().filter((record) => record.msg === 'request completed');
    expect(lines).toEqual([expect.objectContaining({ level: 30, req: expect.objectContaining({ id: 'slow-poll' }), res: { statusCode: 200 } })]);
    expect(lines[0].responseTime).toBeGreaterThanOrEqual(1000);
  });

  it('at debug, successful and 304 answers have their line too', async () => {
    const debugLogs = captureLogs('debug');
    const d = buildHarness({ logger: debugLogs.logger });
    const carol = await d.seed();
    const first = await request(d.app).get('/api/v1/users.presence').set(carol.headers).set('X-Request-Id', 'poll-200').expect(200);
    await request(d.app).get('/api/v1/users.presence').set(carol.headers).set('If-None-Match', first.headers.etag as string).set('X-Request-Id', 'poll-304').expect(304);
    const lines = debugLogs.records().filter((record) => record.msg === 'request completed');
    expect(lines).toEqual([
      expect.objectContaining({ level: 20, req: expect.objectContaining({ id: 'poll-200' }), res: { statusCode: 200 }, route: '/api/v1/users.presence' }),
      expect.objectContaining({ level: 20, req: expect.objectContaining({ id: 'poll-304' }), res: { statusCode: 304 }, route: '/api/v1/users.presence' }),
    ]);
  });
});

describe('every request is logged once, however it ends', () => {
  let { h, logs, alice } = {} as Logged;
  // No store timeout within the test: a held call waits for the test.
  beforeEach(async () => ({ h, logs, alice } = await loggedHarness('debug', { storeTimeoutMs: 60_000 }, { username: 'alice' })));

  const linesFor = (id: string) => logs.records().filter((record) => (record.req as { id?: string } | undefined)?.id === id);
  const linesOnceWritten = (id: string) => waitFor(async () => (linesFor(id).length > 0 ? linesFor(id) : undefined));
  /** The line of a request whose connection closed before its answer ended. */
  const closedBeforeAnswer = (id: string, level: number, method: string, route: string, statusCode: number) =>
    ({ level, msg: 'request closed before its answer ended', req: { id, method, path: route }, res: { statusCode }, route });

  it('a stream its client closes: one line at debug, with the status it was answered and its whole time, however long it lasted', async () => {
    // Every stream outlives SLOW_REQUEST_MS (here any request does): its end is still no slow answer.
    h = buildHarness({ logger: logs.logger, storeTimeoutMs: 60_000, config: { slowRequestMs: 0 } });
    alice = await h.seed({ username: 'alice' });
    const server = await listen(h.app);
    try {
      const stream = await openStream(server.port, '/api/v1/users.presence.stream', { ...alice.headers, 'X-Request-Id': 'closed-stream' });
      await stream.event(0);
      expect(linesFor('closed-stream')).toEqual([]);
      stream.close();
      const lines = await linesOnceWritten('closed-stream');
      expect(lines).toEqual([expect.objectContaining({
        ...closedBeforeAnswer('closed-stream', 20, 'GET', '/api/v1/users.presence.stream', 200),
        responseTime: expect.any(Number),
      })]);
    } finally {
      await server.close();
    }
  });

  it('a login its client gives up on before the answer: one line at warn with 499, none when the answer comes later', async () => {
    const server = await listen(h.app);
    try {
      h.faulty.hold('findUserByLogin');
      const reached = h.faulty.nextCall('findUserByLogin');
      const body = JSON.stringify({ user: 'alice', password: 'whatever' });
      const login = httpRequest({ host: '127.0.0.1', port: server.port, method: 'POST', path: '/api/v1/login', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'X-Request-Id': 'given-up' } });
      login.on('error', () => undefined);
      login.end(body);
      await reached;
      login.destroy();
      const lines = await linesOnceWritten('given-up');
      h.faulty.heal();
      await h.faulty.idle();
      expect(lines).toEqual([expect.objectContaining(closedBeforeAnswer('given-up', 40, 'POST', '/api/v1/login', 499))]);
      expect(linesFor('given-up')).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describe('refused requests under a flood', () => {
  let h: Harness;
  let logs: CapturedLogs;
  beforeEach(() => {
    logs = captureLogs('info');
    h = buildHarness({ logger: logs.logger });
  });

  const requestLines = () => logs.records().filter((record) => record.msg === 'request completed');

  it(`log their path cut at ${LOGGED_PATH_MAX} characters`, async () => {
    const long = `/v0/${'x'.repeat(2000)}`;
    await request(h.app).get(long).set('X-Request-Id', 'long-path').expect(404);
    expect(requestLines()).toEqual([expect.objectContaining({ level: 40, req: { id: 'long-path', method: 'GET', path: `${long.slice(0, LOGGED_PATH_MAX)}…` } })]);
  });

  it(`are logged ${REFUSED_LINES_PER_SECOND} a second at most; the rest are counted, and said with their time once the second is over`, async () => {
    const start = h.clock.now();
    const flood = REFUSED_LINES_PER_SECOND + 7;
    for (let n = 0; n < flood; n += 1) await request(h.app).get('/api/v1/me').set('X-Request-Id', `refused-${n}`).expect(401);
    expect(requestLines().map((line) => (line.req as { id: string }).id)).toEqual(Array.from({ length: REFUSED_LINES_PER_SECOND }, (_, n) => `refused-${n}`));
    const scrape = async () => (await request(h.app).get('/metrics').expect(200)).text;
    expect(await scrape()).toContain('\npresence_request_log_lines_dropped_total 7\n');
    // Within the same second, still nothing.
    h.clock.advance(999);
    await request(h.app).get('/api/v1/me').set('X-Request-Id', 'still-dropped').expect(401);
    expect(logs.records().filter((record) => record.msg !== 'request completed')).toEqual([]);
    // Long after, and the next request is a success (not logged at info): the summary does not wait for a refusal.
    h.clock.advance(60_000);
    await request(h.app).get('/healthz').expect(200);
    await request(h.app).get('/api/v1/me').set('X-Request-Id', 'next-second').expect(401);
    const [from, to] = [start.toISOString(), new Date(start.getTime() + 999).toISOString()];
    const after = logs.records().slice(REFUSED_LINES_PER_SECOND);
    expect(after).toEqual([
      expect.objectContaining({ level: 40, dropped: 8, from, to, msg: `8 refused requests were not logged from ${from} to ${to} (more than ${REFUSED_LINES_PER_SECOND} a second)` }),
      expect.objectContaining({ level: 40, msg: 'request completed', req: expect.objectContaining({ id: 'next-second' }) }),
    ]);
    expect(await scrape()).toContain('\npresence_request_log_lines_dropped_total 8\n');
  });

  it('never hold back an error (5xx), nor count it as dropped', async () => {
    const alice = await h.seed();
    for (let n = 0; n < REFUSED_LINES_PER_SECOND; n += 1) await request(h.app).get('/api/v1/me').expect(401);
    h.faulty.reject(() => new Error('store bug'));
    await request(h.app).get('/api/v1/me').set(alice.headers).set('X-Request-Id', 'server-fault').expect(500);
    expect(requestLines().filter((line) => (line.req as { id: string }).id === 'server-fault')).toEqual([expect.objectContaining({ level: 50 })]);
  });
});

describe('logins past the password queue (503 shedding load)', () => {
  it('are logged at warn with the refused requests, paced as they are, and counted as shed, never at error', async () => {
    const logs = captureLogs('info');
    // One worker, one waiting check: of all the logins released at once, two are checked and the rest shed.
    const h = buildHarness({ logger: logs.logger, storeTimeoutMs: 60_000, config: { loginRateLimit: 1000, passwordWorkers: 1, passwordQueueLimit: 1 } });
    const gate = gateLoginChecks(h);
    const sent = REFUSED_LINES_PER_SECOND + 9;
    const answers = Array.from({ length: sent }, (_, n) => request(h.app).post('/api/v1/login').set('X-Request-Id', `flood-${n}`).send({ user: `nobody${n}`, password: 'guess' }).then((res) => res));
    await waitFor(async () => (gate.arrived() === sent ? true : undefined));
    gate.release();
    const statuses = (await Promise.all(answers)).map((res) => res.status);
    expect(statuses.filter((status) => status === 503)).toHaveLength(sent - 2);
    expect(statuses.filter((status) => status === 401)).toHaveLength(2);
    const records = logs.records();
    expect(records.filter((record) => (record.level as number) >= 50)).toEqual([]);
    expect(records.filter((record) => record.msg === 'store unavailable')).toEqual([]);
    const lines = records.filter((record) => record.msg === 'request completed');
    expect(lines).toHaveLength(REFUSED_LINES_PER_SECOND);
    expect(new Set(lines.map((line) => line.level))).toEqual(new Set([40]));
    const metrics = (await request(h.app).get('/metrics').expect(200)).text;
    expect(metrics).toContain(`\npresence_requests_shed_total ${sent - 2}\n`);
    expect(metrics).toContain(`\npresence_request_log_lines_dropped_total ${sent - REFUSED_LINES_PER_SECOND}\n`);
  });

  it('a store that fails a login still answers 503 logged as a store failure, and is not counted as shed', async () => {
    const logs = captureLogs('info');
    const h = buildHarness({ logger: logs.logger, storeTimeoutMs: 50 });
    h.faulty.hang();
    await request(h.app).post('/api/v1/login').set('X-Request-Id', 'store-down').send({ user: 'alice', password: 'guess' }).expect(503);
    h.faulty.heal();
    expect(logs.records().filter((record) => record.msg === 'store unavailable')).toHaveLength(1);
    expect((await request(h.app).get('/metrics').expect(200)).text).toContain('\npresence_requests_shed_total 0\n');
  });
});

describe('LOG_LEVEL', () => {
  it('defaults to info and refuses unknown levels', () => {
    expect(loadConfig({}).logLevel).toBe('info');
    expect(loadConfig({ LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
    expect(() => loadConfig({ LOG_LEVEL: 'verbose' })).toThrow(ConfigError);
  });

  it.each(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const)('createLogger(%s) logs at that level', (level) => {
    const logger = createLogger(level);
    expect(logger.level).toBe(level);
    if (level !== 'silent') expect(logger.isLevelEnabled(level)).toBe(true);
    const lower = { fatal: 'error', error: 'warn', warn: 'info', info: 'debug', debug: 'trace' } as Record<string, string>;
    if (lower[level] !== undefined) expect(logger.isLevelEnabled(lower[level])).toBe(false);
  });

  it('at warn, successful requests are not logged and failed ones are', async () => {
    const logs = captureLogs('warn');
    const h = buildHarness({ logger: logs.logger });
    const alice = await h.seed();
    await request(h.app).get('/api/v1/me').set(alice.headers).set('X-Request-Id', 'ok-call').expect(200);
    await request(h.app).get('/api/v1/me').set('X-Request-Id', 'unauthorised-call').expect(401);
    h.faulty.reject(() => new Error('store bug'));
    h.clock.advance(5000);
    await request(h.app).get('/api/v1/me').set(alice.headers).set('X-Request-Id', 'failing-call').expect(500);
    const ids = logs.records().map((record) => (record.req as { id?: string } | undefined)?.id);
    expect(ids).not.toContain('ok-call');
    expect(ids).toContain('unauthorised-call');
    expect(ids).toContain('failing-call');
    const levels = logs.records().filter((record) => (record.req as { id?: string } | undefined)?.id === 'failing-call').map((record) => record.level);
    expect(levels).toContain(50);
  });

  it('at silent, nothing is logged', async () => {
    const logs = captureLogs('silent');
    const h = buildHarness({ logger: logs.logger });
    await request(h.app).get('/api/v1/me').expect(401);
    expect(logs.text()).toBe('');
  });
});
