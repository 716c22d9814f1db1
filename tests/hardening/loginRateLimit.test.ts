import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { TEST_PASSWORD, appPerTest, buildSecondInstance, describeEachStore, userRecord, type SeededUser, type TestApp } from '../support/testApp';
import { buildHarness, gateLoginChecks, listen, type Listening } from './support/harness';
import { waitFor } from '../support/waitFor';
import { send, type RawAnswer } from './support/http';
import { expectRocketChatError } from './support/shapes';
import type { Express } from 'express';
import request from 'supertest';
import { loginBlocked } from '../api/rocketchat/rocketChatKit';

const LIMIT = 3;

/**
 * A login refused past the limit, as Rocket.Chat's failed-login blocking refuses one (401, the reason in `error`,
 * its words in `message`), with the wait announced in Retry-After and X-RateLimit-*.
 */
function expectLoginBlocked(res: RawAnswer, scope: 'ip' | 'user', limit = LIMIT): void {
  expect(res.status).toBe(401);
  expect(res.headers['content-type']).toBe('application/json');
  expect(JSON.parse(res.text)).toEqual(loginBlocked(scope));
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
  expect(res.headers['x-ratelimit-limit']).toBe(String(limit));
  expect(res.headers['x-ratelimit-remaining']).toBe('0');
  expect(res.headers['x-ratelimit-reset']).toMatch(/^\d+$/);
}

function login(server: Listening, body: Record<string, string>, options: { from?: string; headers?: Record<string, string> } = {}): Promise<RawAnswer> {
  return send(server.port, {
    method: 'POST',
    path: '/api/v1/login',
    headers: { 'Content-Type': 'application/json', ...options.headers },
    body: JSON.stringify(body),
    localAddress: options.from,
  });
}

describe('login rate limit', () => {
  let server: Listening;
  let alice: SeededUser;
  let bob: SeededUser;

  beforeEach(async () => {
    const h = buildHarness({ config: { loginRateLimit: LIMIT, loginRateWindowSeconds: 60 } });
    alice = await h.seed({ username: 'alice' });
    bob = await h.seed({ username: 'bob' });
    server = await listen(h.app);
  });
  afterEach(() => server.close());

  it(`allows ${LIMIT} failed attempts per IP, then refuses every login as Rocket.Chat's failed-login blocking does (401 error-login-blocked-for-ip), with Retry-After`, async () => {
    for (let i = 0; i < LIMIT; i += 1) {
      const res = await login(server, { user: `someone${i}`, password: 'guess' }, { from: '127.0.0.11' });
      expectRocketChatError(res, 401);
    }
    // Even the right password is refused now: were it let through, a 200 among the refusals would give it away.
    expectLoginBlocked(await login(server, { user: 'alice', password: TEST_PASSWORD }, { from: '127.0.0.11' }), 'ip');
    expectLoginBlocked(await login(server, { user: 'bob', password: TEST_PASSWORD }, { from: '127.0.0.11' }), 'ip');
  });

  it('limits one address without touching another', async () => {
    for (let i = 0; i <= LIMIT; i += 1) await login(server, { user: `someone${i}`, password: 'guess' }, { from: '127.0.0.12' });
    expectLoginBlocked(await login(server, { user: 'bob', password: TEST_PASSWORD }, { from: '127.0.0.12' }), 'ip');
    const other = await login(server, { user: 'bob', password: TEST_PASSWORD }, { from: '127.0.0.13' });
    expect(other.status).toBe(200);
  });

  it(`allows ${LIMIT} attempts per username from any number of addresses, then 401 error-login-blocked-for-user`, async () => {
    for (let i = 0; i < LIMIT; i += 1) {
      expectRocketChatError(await login(server, { user: 'alice', password: 'guess' }, { from: `127.0.1.${i + 1}` }), 401);
    }
    // A fresh address does not help, nor does another spelling of the same name or another login field.
    expectLoginBlocked(await login(server, { user: 'alice', password: TEST_PASSWORD }, { from: '127.0.1.50' }), 'user');
    expectLoginBlocked(await login(server, { user: 'ALICE', password: TEST_PASSWORD }, { from: '127.0.1.51' }), 'user');
    expectLoginBlocked(await login(server, { username: 'alice', password: TEST_PASSWORD }, { from: '127.0.1.52' }), 'user');
    // Another user is not locked out by attacks on alice.
    const res = await login(server, { user: 'bob', password: TEST_PASSWORD }, { from: '127.0.1.53' });
    expect(res.status).toBe(200);
  });

  it('does not limit the authenticated API', async () => {
    for (let i = 0; i <= LIMIT; i += 1) await login(server, { user: 'alice', password: 'guess' }, { from: '127.0.0.14' });
    for (let i = 0; i < LIMIT * 3; i += 1) {
      const res = await send(server.port, { path: '/api/v1/me', headers: alice.headers, localAddress: '127.0.0.14' });
      expect(res.status).toBe(200);
    }
    const pnut = await send(server.port, { path: '/v0/presence', headers: bob.bearer, localAddress: '127.0.0.14' });
    expect(pnut.status).toBe(200);
  });
});

/** Users stored straight into the store with a cheap bcrypt cost (4), so two hundred logins take no time. */
async function seedCheapUsers(h: ReturnType<typeof buildHarness>, count: number, password: string): Promise<string[]> {
  const hash = bcrypt.hashSync(createHash('sha256').update(password).digest('hex'), 4);
  const usernames: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const username = `office${i}`;
    await h.inner.createUser(userRecord({ username, createdAt: h.clock.now(), credentials: { passwordHash: hash, loginTokens: [] } }));
    usernames.push(username);
  }
  return usernames;
}

describe('login rate limit: failures only (the production limit of 10)', () => {
  const PRODUCTION_LIMIT = 10;
  const password = 'office password';
  let h: ReturnType<typeof buildHarness>;
  let server: Listening;
  let usernames: string[];
  beforeEach(async () => {
    h = buildHarness({ config: { loginRateLimit: PRODUCTION_LIMIT, loginRateWindowSeconds: 60 } });
    usernames = await seedCheapUsers(h, 200, password);
    server = await listen(h.app);
  });
  afterEach(() => server.close());

  it('lets 200 users log in from one address within a minute: successful logins never spend the budget', async () => {
    const statuses: number[] = [];
    // As an office behind one NAT address: ten at a time, the limit's worth in flight at once.
    for (let wave = 0; wave < usernames.length; wave += PRODUCTION_LIMIT) {
      const answers = await Promise.all(usernames.slice(wave, wave + PRODUCTION_LIMIT)
        .map((user) => login(server, { user, password }, { from: '127.0.2.1' })));
      statuses.push(...answers.map((answer) => answer.status));
    }
    expect(statuses).toEqual(usernames.map(() => 200));
    // And the whole failure budget is still there.
    for (let i = 0; i < PRODUCTION_LIMIT; i += 1) expect((await login(server, { user: usernames[i], password: 'wrong' }, { from: '127.0.2.1' })).status).toBe(401);
    expectLoginBlocked(await login(server, { user: usernames[10], password: 'wrong' }, { from: '127.0.2.1' }), 'ip', PRODUCTION_LIMIT);
    // 210 logins over a real socket, ten at a time: Jest's 5 s default is too short on a loaded machine.
  }, 30_000);

  it('answers the 11th wrong password from one address within the window with 401 error-login-blocked-for-ip and Retry-After', async () => {
    for (let i = 0; i < PRODUCTION_LIMIT; i += 1) {
      expectRocketChatError(await login(server, { user: usernames[i], password: 'wrong' }, { from: '127.0.2.2' }), 401);
    }
    expectLoginBlocked(await login(server, { user: usernames[PRODUCTION_LIMIT], password: 'wrong' }, { from: '127.0.2.2' }), 'ip', PRODUCTION_LIMIT);
  });

  it('a colleague’s correct login between the failures gets in and does not use up the budget', async () => {
    for (let i = 0; i < PRODUCTION_LIMIT - 1; i += 1) expect((await login(server, { user: usernames[0], password: `wrong${i}` }, { from: '127.0.2.3' })).status).toBe(401);
    expect((await login(server, { user: usernames[1], password }, { from: '127.0.2.3' })).status).toBe(200);
    expect((await login(server, { user: usernames[2], password: 'wrong' }, { from: '127.0.2.3' })).status).toBe(401);
    // The budget is spent now: the next attempt, right or wrong, for any account, is refused.
    expectLoginBlocked(await login(server, { user: usernames[3], password }, { from: '127.0.2.3' }), 'ip', PRODUCTION_LIMIT);
  });

  it('a bad request is not a failed login', async () => {
    for (let i = 0; i < PRODUCTION_LIMIT + 2; i += 1) {
      expect((await login(server, { user: usernames[0], password: 'x', resume: ['not', 'a', 'string'] } as unknown as Record<string, string>, { from: '127.0.2.4' })).status).toBe(400);
    }
    expect((await login(server, { user: usernames[0], password }, { from: '127.0.2.4' })).status).toBe(200);
  });
});

describe('login rate limit window', () => {
  it('lets the client in again once Retry-After has passed, and says when in X-RateLimit-Reset', async () => {
    const h = buildHarness({ config: { loginRateLimit: 1, loginRateWindowSeconds: 60 } });
    await h.seed({ username: 'carol' });
    const server = await listen(h.app);
    try {
      const windowEnds = h.clock.now().getTime() + 60_000;
      expect((await login(server, { user: 'carol', password: 'guess' })).status).toBe(401);
      h.clock.advanceSeconds(20);
      const limited = await login(server, { user: 'carol', password: TEST_PASSWORD });
      expectLoginBlocked(limited, 'ip', 1);
      expect(limited.headers['retry-after']).toBe('40');
      expect(limited.headers['x-ratelimit-reset']).toBe(String(Math.ceil(windowEnds / 1000)));
      h.clock.advanceSeconds(39);
      expectLoginBlocked(await login(server, { user: 'carol', password: TEST_PASSWORD }), 'ip', 1);
      h.clock.advanceSeconds(1);
      expect((await login(server, { user: 'carol', password: TEST_PASSWORD })).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describeEachStore('login rate limit across instances', (kind) => {
  const config = { loginRateLimit: LIMIT, loginRateWindowSeconds: 60 };
  let t: TestApp;
  let second: Awaited<ReturnType<typeof buildSecondInstance>>;
  // Declared before appPerTest, so that it runs first: the second instance is closed before the first one's store.
  afterEach(() => second.close());
  const current = appPerTest(kind, config);
  beforeEach(async () => {
    t = current.t;
    second = await buildSecondInstance(t, config);
    await t.seedUser({ username: 'erin' });
  });
  const attempt = (on: { app: Express }, body: Record<string, string>) => request(on.app).post('/api/v1/login').send(body);

  it('counts the failures of one account on every instance together, whatever spelling of the name', async () => {
    const instances = [t, second, t];
    for (let i = 0; i < LIMIT; i += 1) expect((await attempt(instances[i], { user: i === 1 ? 'ERIN' : 'erin', password: 'guess' })).status).toBe(401);
    for (const on of [t, second]) {
      const res = await attempt(on, { user: 'erin', password: TEST_PASSWORD });
      // The address is counted first: all these attempts come from one.
      expect(res.status).toBe(401);
      expect(res.body).toEqual(loginBlocked('ip'));
    }
  });

  it('counts the failures of one address on every instance together', async () => {
    for (let i = 0; i < LIMIT; i += 1) expect((await attempt(i % 2 === 0 ? t : second, { user: `nobody${i}`, password: 'guess' })).status).toBe(401);
    expect((await attempt(second, { user: 'nobody9', password: 'guess' })).body).toEqual(loginBlocked('ip'));
    expect((await attempt(t, { user: 'erin', password: TEST_PASSWORD })).body).toEqual(loginBlocked('ip'));
  });
});

describe('a flood of logins with made-up names', () => {
  it('is refused before anything is counted when malformed, and past the address limit counts no more names', async () => {
    const h = buildHarness({ config: { loginRateLimit: LIMIT, loginRateWindowSeconds: 60 } });
    await h.seed({ username: 'frank' });
    const counted: string[] = [];
    const count = h.inner.countLoginAttempt.bind(h.inner);
    h.inner.countLoginAttempt = async (key, now, windowMs, keysKept) => {
      counted.push(key);
      return count(key, now, windowMs, keysKept);
    };
    const server = await listen(h.app);
    try {
      const names = Array.from({ length: 2000 }, (_, i) => `${i}-${'n'.repeat(250)}`);
      const statuses: number[] = [];
      for (const name of names) statuses.push((await login(server, { user: name }, { from: '127.0.3.1' })).status);
      expect(new Set(statuses)).toEqual(new Set([400]));
      expect(counted).toEqual([]);
      for (const name of names.slice(0, 200)) statuses.push((await login(server, { user: name, password: 'guess' }, { from: '127.0.3.2' })).status);
      expect(statuses.slice(2000, 2000 + LIMIT)).toEqual([401, 401, 401]);
      expect(new Set(statuses.slice(2000 + LIMIT))).toEqual(new Set([401]));
      // Each refused attempt counts against its address only: no key per made-up name past the limit.
      expect(counted.filter((key) => key.startsWith('login:'))).toHaveLength(LIMIT);
      expect(new Set(counted.filter((key) => key.startsWith('address:')))).toEqual(new Set([counted[0]]));
      expect((await login(server, { user: 'frank', password: TEST_PASSWORD }, { from: '127.0.3.3' })).status).toBe(200);
    } finally {
      await server.close();
    }
    // 2 200 requests over a real socket, one after the other: Jest's 5 s default is too short on a loaded machine.
  }, 30_000);
});

describe('login rate limit behind a reverse proxy (TRUST_PROXY=true)', () => {
  let server: Listening;
  beforeEach(async () => {
    const h = buildHarness({ config: { loginRateLimit: LIMIT, loginRateWindowSeconds: 60, trustProxy: true } });
    await h.seed({ username: 'dave' });
    server = await listen(h.app);
  });
  afterEach(() => server.close());

  it('limits per client address as the proxy reports it', async () => {
    for (let i = 0; i < LIMIT; i += 1) {
      const res = await login(server, { user: `someone${i}`, password: 'guess' }, { headers: { 'X-Forwarded-For': '198.51.100.7' } });
      expect(res.status).toBe(401);
    }
    expectLoginBlocked(await login(server, { user: 'someone9', password: 'guess' }, { headers: { 'X-Forwarded-For': '198.51.100.7' } }), 'ip');
    const other = await login(server, { user: 'someone9', password: 'guess' }, { headers: { 'X-Forwarded-For': '198.51.100.8' } });
    expect(other.status).toBe(401);
  });

  it('counts every address of one IPv6 /64 as one address, and an IPv4-mapped IPv6 address as its IPv4 address', async () => {
    const from = (address: string, i: number) => login(server, { user: `someone${i}`, password: 'guess' }, { headers: { 'X-Forwarded-For': address } });
    const sameSlash64 = ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:DB8:1:2:ffff:ffff:ffff:ffff'];
    for (let i = 0; i < LIMIT; i += 1) expect((await from(sameSlash64[i], i)).status).toBe(401);
    expectLoginBlocked(await from('2001:db8:1:2:1234:5678:9abc:def0', LIMIT), 'ip');
    // The next /64 has a budget of its own.
    expect((await from('2001:db8:1:3::1', LIMIT)).status).toBe(401);

    for (let i = 0; i < LIMIT; i += 1) expect((await from(i % 2 === 0 ? '::ffff:198.51.100.9' : '198.51.100.9', i)).status).toBe(401);
    expectLoginBlocked(await from('198.51.100.9', LIMIT), 'ip');
    expectLoginBlocked(await from('::ffff:198.51.100.9', LIMIT), 'ip');
  });

  it('cannot be dodged by a client that sends its own X-Forwarded-For (the proxy appends the real address)', async () => {
    // A proxy such as nginx ($proxy_add_x_forwarded_for) keeps what the client sent and appends the address it
    // saw. Only that last entry can be trusted; the ones before it are whatever the attacker wrote.
    const attempt = (i: number) =>
      login(server, { user: `victim${i}`, password: 'guess' }, { headers: { 'X-Forwarded-For': `203.0.113.${i}, 198.51.100.66` } });
    for (let i = 0; i < LIMIT; i += 1) expect((await attempt(i)).status).toBe(401);
    expectLoginBlocked(await attempt(LIMIT), 'ip');
  });
});

describe('password checks past their queue (PASSWORD_WORKERS=1, PASSWORD_QUEUE_LIMIT=1)', () => {
  it('answers 503 with Retry-After at once, and a login refused so is not counted against the limit', async () => {
    const limit = 12;
    const workers = 1;
    const queueLimit = 1;
    const sent = 10;
    // No store timeout while the logins wait at the gate.
    const h = buildHarness({ storeTimeoutMs: 60_000, config: { loginRateLimit: limit, loginRateWindowSeconds: 60, passwordWorkers: workers, passwordQueueLimit: queueLimit } });
    const usernames = await seedCheapUsers(h, sent, 'office password');
    const gate = gateLoginChecks(h);
    const server = await listen(h.app);
    try {
      const answers = usernames.map((user) => login(server, { user, password: 'guess' }, { from: '127.0.4.1' }));
      await waitFor(async () => (gate.arrived() === sent ? true : undefined));
      // All of them reach the pool in the same turn: each worker takes one, the queue holds its limit, the rest are refused.
      gate.release();
      const settled = await Promise.all(answers);
      const busy = settled.filter((res) => res.status === 503);
      const checked = settled.filter((res) => res.status === 401).length;
      expect(busy).toHaveLength(sent - workers - queueLimit);
      expect(checked).toBe(workers + queueLimit);
      for (const res of busy) {
        expect(res.json()).toEqual({ success: false, error: 'Too many password checks at once, try again shortly' });
        expect(res.headers['retry-after']).toBe('1');
      }
      // Only the checked attempts spent the address's budget.
      for (let i = checked; i < limit; i += 1) expect((await login(server, { user: `later${i}`, password: 'guess' }, { from: '127.0.4.1' })).status).toBe(401);
      expectLoginBlocked(await login(server, { user: 'later', password: 'guess' }, { from: '127.0.4.1' }), 'ip', limit);
    } finally {
      await server.close();
    }
    // The later logins check unknown names at bcrypt's full cost, one at a time on one worker: more than Jest's 5 s default on a loaded machine.
  }, 30_000);
});

describeEachStore('the account limit never tells which e-mail address belongs to which username', (kind) => {
  const current = appPerTest(kind, { loginRateLimit: LIMIT, loginRateWindowSeconds: 60, trustProxy: true });
  let sent = 0;
  // Each attempt from an address of its own (TRUST_PROXY), so only the account limit can refuse it.
  const attempt = (body: Record<string, string>) => {
    sent += 1;
    return request(current.t.app).post('/api/v1/login').set('X-Forwarded-For', `192.0.2.${sent}`).send(body);
  };
  const expectBlockedForUser = (res: request.Response) => {
    expect(res.status).toBe(401);
    expect(res.body).toEqual(loginBlocked('user'));
  };
  beforeEach(async () => {
    sent = 0;
    await current.t.seedUser({ username: 'hana', emails: [{ address: 'hana@example.com', verified: true }] });
    await current.t.seedUser({ username: 'ivan', emails: [{ address: 'ivan@example.com', verified: true }] });
  });

  it('after guesses at a username are blocked, its user\'s e-mail address answers as any other does', async () => {
    for (let i = 0; i < LIMIT; i += 1) expect((await attempt({ user: 'hana', password: 'guess' })).status).toBe(401);
    expectBlockedForUser(await attempt({ user: 'hana', password: TEST_PASSWORD }));
    expectBlockedForUser(await attempt({ username: 'HANA', password: 'guess' }));
    // Her address, another user's and nobody's: the same 401, so none of them is tied to the username.
    for (const email of ['hana@example.com', 'ivan@example.com', 'nobody@example.com']) {
      const res = await attempt({ user: email, password: 'guess' });
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ success: false, status: 'error', error: 'Unauthorized', message: 'Unauthorized' });
    }
    expect((await attempt({ user: 'hana@example.com', password: TEST_PASSWORD })).status).toBe(200);
  });

  it('guesses at an e-mail address are limited as that address, known or not, never as the username', async () => {
    for (const email of ['Hana@Example.com', 'nobody@example.com']) {
      for (let i = 0; i < LIMIT; i += 1) expect((await attempt({ user: email, password: 'guess' })).status).toBe(401);
      expectBlockedForUser(await attempt({ email: email.toLowerCase(), password: 'guess' }));
    }
    expectBlockedForUser(await attempt({ user: 'hana@example.com', password: TEST_PASSWORD }));
    expect((await attempt({ user: 'hana', password: TEST_PASSWORD })).status).toBe(200);
  });
});
