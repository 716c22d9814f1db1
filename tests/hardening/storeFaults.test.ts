import request from 'supertest';
import type { SeededUser } from '../support/testApp';
import { TEST_PASSWORD } from '../support/testApp';
import { CONNECTIVITY_ERRORS } from './support/faultyStore';
import { buildHarness, type Harness } from './support/harness';
import { expectApiError, expectApiSuccess, type Api } from './support/shapes';

const STORE_TIMEOUT_MS = 200;

interface Users {
  alice: SeededUser;
  admin: SeededUser;
  /** Logged out by the logout call, so that the others keep their tokens. */
  leaving: SeededUser;
}

interface ApiCall {
  name: string;
  api: Api;
  call(h: Harness, u: Users): request.Test;
}

/** One valid call of every endpoint; each needs the store. */
const CALLS: ApiCall[] = [
  { name: 'POST /api/v1/login', api: 'rocketchat', call: (h, u) => request(h.app).post('/api/v1/login').send({ user: u.alice.user.username, password: TEST_PASSWORD }) },
  { name: 'POST /api/v1/login (resume)', api: 'rocketchat', call: (h, u) => request(h.app).post('/api/v1/login').send({ resume: u.alice.token }) },
  { name: 'GET /api/v1/me', api: 'rocketchat', call: (h, u) => request(h.app).get('/api/v1/me').set(u.alice.headers) },
  {
    name: 'POST /api/v1/users.create',
    api: 'rocketchat',
    call: (h, u) => request(h.app).post('/api/v1/users.create').set(u.admin.headers).send({ username: `new${Math.random().toString(36).slice(2, 10)}`, name: 'New', password: 'pw' }),
  },
  { name: 'POST /api/v1/users.setStatus', api: 'rocketchat', call: (h, u) => request(h.app).post('/api/v1/users.setStatus').set(u.alice.headers).send({ status: 'away', message: 'out' }) },
  { name: 'GET /api/v1/users.getStatus', api: 'rocketchat', call: (h, u) => request(h.app).get(`/api/v1/users.getStatus?userId=${u.admin.user.id}`).set(u.alice.headers) },
  { name: 'GET /api/v1/users.getPresence', api: 'rocketchat', call: (h, u) => request(h.app).get(`/api/v1/users.getPresence?username=${u.admin.user.username}`).set(u.alice.headers) },
  { name: 'GET /api/v1/users.presence (full)', api: 'rocketchat', call: (h, u) => request(h.app).get('/api/v1/users.presence').set(u.alice.headers) },
  {
    name: 'GET /api/v1/users.presence (delta)',
    api: 'rocketchat',
    call: (h, u) => request(h.app).get(`/api/v1/users.presence?from=${new Date(h.clock.now().getTime() - 30000).toISOString()}`).set(u.alice.headers),
  },
  { name: 'GET /api/v1/users.presence (ids)', api: 'rocketchat', call: (h, u) => request(h.app).get(`/api/v1/users.presence?ids[]=${u.admin.user.id}`).set(u.alice.headers) },
  { name: 'GET /v0/presence', api: 'pnut', call: (h, u) => request(h.app).get('/v0/presence').set(u.alice.bearer) },
  { name: 'GET /v0/users/me/presence', api: 'pnut', call: (h, u) => request(h.app).get('/v0/users/me/presence').set(u.alice.bearer) },
  { name: 'GET /v0/users/{id}/presence', api: 'pnut', call: (h, u) => request(h.app).get(`/v0/users/${u.admin.user.id}/presence`).set(u.alice.bearer) },
  { name: 'PUT /v0/users/me/presence', api: 'pnut', call: (h, u) => request(h.app).put('/v0/users/me/presence').set(u.alice.bearer).send({ presence: 'busy' }) },
  { name: 'GET /v0/presence?update_presence=', api: 'pnut', call: (h, u) => request(h.app).get('/v0/presence?update_presence=online').set(u.alice.bearer) },
  { name: 'POST /api/v1/logout', api: 'rocketchat', call: (h, u) => request(h.app).post('/api/v1/logout').set(u.leaving.headers).send({}) },
];

/**
 * A store that does not answer, on a fake clock for timers: every call that starts while it hangs moves the timers
 * on by the store timeout, so the production timeout guard (withTimeout) gives up on that call at once, as it
 * would after STORE_TIMEOUT_MS. A request that hung for good would fail on Jest's timeout.
 */
function hangOnFakeTimers(h: Harness): void {
  jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'hrtime', 'performance', 'Date'] });
  const timeOut = () => jest.advanceTimersByTime(STORE_TIMEOUT_MS);
  h.faulty.events.on('call', timeOut);
  undo.push(() => {
    h.faulty.events.off('call', timeOut);
    jest.useRealTimers();
  });
  h.faulty.hang();
}

const undo: (() => void)[] = [];

/** The store back to normal (and real timers); resolves once the calls that were hanging have finished late. */
async function heal(h: Harness): Promise<void> {
  for (const step of undo.splice(0)) step();
  h.faulty.heal();
  await h.faulty.idle();
}

/** Ways the store can be down: not answering at all, or failing at once the way the MongoDB driver does. */
const FAULTS: { name: string; apply(h: Harness): void }[] = [
  { name: 'hanging', apply: hangOnFakeTimers },
  ...CONNECTIVITY_ERRORS.map((error) => ({ name: `rejecting with ${error.name}`, apply: (h: Harness) => h.faulty.reject(error.make) })),
];

describe('health endpoints', () => {
  let h: Harness;
  beforeEach(() => {
    h = buildHarness({ storeTimeoutMs: STORE_TIMEOUT_MS });
  });
  afterEach(() => heal(h));

  it('/healthz answers 200 without auth, and ignores credentials, good or bad', async () => {
    for (const res of [
      await request(h.app).get('/healthz'),
      await request(h.app).get('/healthz').set('Authorization', 'Bearer nonsense'),
      await request(h.app).get('/healthz').set({ 'X-User-Id': 'x', 'X-Auth-Token': 'y' }),
    ]) {
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    }
  });

  it('/readyz answers 200 without auth while the store answers', async () => {
    const res = await request(h.app).get('/readyz').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it.each(FAULTS)('with the store $name: /readyz 503 within the timeout, /healthz still 200, then 200 again', async (fault) => {
    fault.apply(h);
    const res = await request(h.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect((await request(h.app).get('/healthz')).status).toBe(200);
    await heal(h);
    expect((await request(h.app).get('/readyz')).status).toBe(200);
  });
});

describe.each(FAULTS)('API calls with the store $name', (fault) => {
  let h: Harness;
  let users: Users;
  beforeEach(async () => {
    h = buildHarness({ storeTimeoutMs: STORE_TIMEOUT_MS });
    users = {
      alice: await h.seed({ username: 'alice' }),
      admin: await h.seed({ username: 'root', roles: ['admin', 'user'] }),
      leaving: await h.seed({ username: 'leaving' }),
    };
    // Warm every cache (tokens, the present list) so the test also proves that stale caches do not hide an outage
    // for longer than their bound.
    const warm = ['GET /api/v1/me', 'GET /api/v1/users.presence (full)', 'GET /v0/presence'];
    for (const { call } of CALLS.filter((c) => warm.includes(c.name))) expect((await call(h, users)).status).toBe(200);
  });
  afterEach(() => heal(h));

  it.each(CALLS)('$name answers 503 in its API shape within the timeout', async ({ api, call }) => {
    fault.apply(h);
    // Past every cache's bound (CACHE_MAX_AGE_MS): from here on each call needs the store.
    h.clock.advance(5000);
    const res = await call(h, users);
    expectApiError(api, res, 503);
    expect(res.headers['retry-after'] === undefined || /^\d+$/.test(String(res.headers['retry-after']))).toBe(true);
  });

  it('many concurrent calls all answer 503 in time; none hangs', async () => {
    fault.apply(h);
    h.clock.advance(5000);
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => CALLS[i % CALLS.length]).map(async (c) => ({ c, res: await c.call(h, users) })));
    expect(results).toHaveLength(60);
    for (const { c, res } of results) expectApiError(c.api, res, 503);
  });

  it('recovers by itself once the store is back: every call answers 200 again', async () => {
    fault.apply(h);
    h.clock.advance(5000);
    for (const { api, call } of CALLS) expectApiError(api, await call(h, users), 503);
    // Calls that hung are now let through late; their late answers are part of the test.
    await heal(h);
    for (const { api, call } of CALLS) expectApiSuccess(api, await call(h, users));
    expect((await request(h.app).get('/readyz')).status).toBe(200);
  });

  it('after a change refused with 503, every read agrees with what the store holds', async () => {
    await request(h.app).post('/api/v1/users.setStatus').set(users.alice.headers).send({ status: 'busy' }).expect(200);
    fault.apply(h);
    h.clock.advance(5000);
    await request(h.app).post('/api/v1/users.setStatus').set(users.alice.headers).send({ status: 'away' }).expect(503);
    await heal(h);
    // Whatever the store ended with, every read agrees with it: the full list, getStatus and pnut.
    const stored = (await h.inner.findUserById(users.alice.user.id))!.status;
    const status = await request(h.app).get(`/api/v1/users.getStatus?userId=${users.alice.user.id}`).set(users.admin.headers).expect(200);
    expect(status.body.status).toBe(stored);
    const list = await request(h.app).get('/api/v1/users.presence').set(users.admin.headers).expect(200);
    expect(list.body.users.find((u: { _id: string }) => u._id === users.alice.user.id)?.status).toBe(stored);
  });
});

describe('an unexpected store error (a bug, not an outage)', () => {
  it('answers 500 in the right API shape with no stack trace, and the service keeps serving', async () => {
    const h = buildHarness({ storeTimeoutMs: STORE_TIMEOUT_MS });
    const alice = await h.seed();
    h.faulty.reject(() => new TypeError("Cannot read properties of undefined (reading 'status')"));
    expectApiError('rocketchat', await request(h.app).get('/api/v1/me').set(alice.headers), 500);
    expectApiError('pnut', await request(h.app).get('/v0/users/me/presence').set(alice.bearer), 500);
    h.faulty.heal();
    h.clock.advance(5000);
    expectApiSuccess('rocketchat', await request(h.app).get('/api/v1/me').set(alice.headers));
  });
});
