import request from 'supertest';
import { hashLoginToken } from '../../src/domain/services/credentials';
import { TEST_PASSWORD, type SeededUser } from '../support/testApp';
import { buildHarness, captureLogs, type CapturedLogs, type Harness } from './support/harness';
import { CONNECTIVITY_ERRORS } from './support/faultyStore';

/** Keys that would carry a secret in Rocket.Chat's user document, or in the domain's user (its credentials). */
const SECRET_KEYS = ['services', 'password', 'bcrypt', 'hashedToken', 'loginTokens', 'resume', 'credentials', 'passwordHash'];

/**
 * Rocket.Chat's getUserInfo shows which login services a user has, and nothing of them: `services` is allowed only
 * as exactly `{"password": {"exists": <boolean>}}` (its /me test expects it), and is then no secret-bearing key.
 */
function isPasswordFlag(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const entries = Object.entries(value);
  if (entries.length !== 1 || entries[0][0] !== 'password') return false;
  const password = entries[0][1] as unknown;
  return typeof password === 'object' && password !== null && Object.keys(password).length === 1 && typeof (password as { exists?: unknown }).exists === 'boolean';
}

/** Every key anywhere in a JSON value, but a `services` that is only the password flag. */
function keysOf(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) keysOf(item, into);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'services' && isPasswordFlag(inner)) continue;
      into.push(key);
      keysOf(inner, into);
    }
  }
  return into;
}

describe('secrets are never returned nor logged', () => {
  let h: Harness;
  let logs: CapturedLogs;
  let admin: SeededUser;
  /** Every secret that has existed during the test: tokens, their hashes, passwords and password hashes. */
  const secrets = new Set<string>();

  const remember = async (user: SeededUser | { userId: string; token: string }) => {
    const id = 'user' in user ? user.user.id : user.userId;
    const token = user.token;
    secrets.add(token);
    secrets.add(hashLoginToken(token));
    const stored = await h.inner.findUserByLogin((await h.inner.findUserById(id))?.username as string);
    const bcrypt = stored?.credentials?.passwordHash;
    if (bcrypt !== undefined) secrets.add(bcrypt);
    for (const loginToken of stored?.credentials?.loginTokens ?? []) secrets.add(loginToken.hashedToken);
  };

  /** An answer must hold no secret value and no secret-bearing key. */
  const expectClean = (res: request.Response) => {
    for (const secret of secrets) expect(res.text.includes(secret) ? `answer holds ${secret}` : 'clean').toBe('clean');
    expect(keysOf(res.body).filter((key) => SECRET_KEYS.includes(key))).toEqual([]);
    expect(res.text).not.toMatch(/\$2[aby]\$\d\d\$/);
  };

  beforeAll(async () => {
    logs = captureLogs('trace');
    h = buildHarness({ logger: logs.logger });
    admin = await h.seed({ username: 'root', roles: ['admin', 'user'] });
    secrets.add(TEST_PASSWORD);
    await remember(admin);
  });

  it('login answers the new token once, and nothing else secret', async () => {
    const res = await request(h.app).post('/api/v1/login').send({ user: 'root', password: TEST_PASSWORD }).expect(200);
    const token = res.body.data.authToken as string;
    expect(typeof token).toBe('string');
    // The token itself is the point of a login answer: there once, and nothing else secret beside it.
    expect(res.text.split(token).length - 1).toBe(1);
    expect(res.text).not.toContain(hashLoginToken(token));
    expectClean(res);
    await remember({ userId: admin.user.id, token });
  });

  it('resume login does not echo anything beyond the token the client sent', async () => {
    const res = await request(h.app).post('/api/v1/login').send({ resume: admin.token }).expect(200);
    expect(keysOf(res.body.data.me).filter((key) => SECRET_KEYS.includes(key))).toEqual([]);
    expect(res.text).not.toContain(hashLoginToken(admin.token));
    expect(res.text).not.toMatch(/\$2[aby]\$\d\d\$/);
  });

  it('users.create keeps the new password and its hash out of the answer', async () => {
    const password = 'new-user-password-0123456789';
    secrets.add(password);
    const res = await request(h.app).post('/api/v1/users.create').set(admin.headers)
      .send({ username: 'newbie', name: 'New Bie', password, email: 'newbie@example.com' }).expect(200);
    const stored = await h.inner.findUserByLogin('newbie');
    secrets.add(stored?.credentials?.passwordHash as string);
    expectClean(res);
    const login = await request(h.app).post('/api/v1/login').send({ user: 'newbie', password }).expect(200);
    await remember({ userId: login.body.data.userId as string, token: login.body.data.authToken as string });
  });

  it('no other answer of either API holds a secret', async () => {
    const bob = await h.seed();
    await remember(bob);
    const calls: [request.Test, number][] = [
      [request(h.app).get('/api/v1/me').set(admin.headers), 200],
      [request(h.app).post('/api/v1/users.setStatus').set(admin.headers).send({ status: 'away', message: 'hi' }), 200],
      [request(h.app).post('/api/v1/users.setStatus').set(bob.headers).send({ status: 'busy' }), 200],
      [request(h.app).get('/api/v1/users.presence').set(admin.headers), 200],
      [request(h.app).get(`/api/v1/users.presence?ids=${bob.user.id}`).set(admin.headers), 200],
      [request(h.app).get(`/api/v1/users.presence?from=${new Date(h.clock.now().getTime() - 60000).toISOString()}`).set(bob.headers), 200],
      [request(h.app).get(`/api/v1/users.getStatus?userId=${bob.user.id}`).set(admin.headers), 200],
      [request(h.app).get('/api/v1/users.getPresence').set(admin.headers), 200],
      [request(h.app).get(`/api/v1/users.getPresence?username=${bob.user.username}`).set(admin.headers), 200],
      [request(h.app).get('/v0/presence').set(bob.bearer), 200],
      [request(h.app).get('/v0/users/me/presence?update_presence=online').set(bob.bearer), 200],
      [request(h.app).get(`/v0/users/${admin.user.id}/presence`).set(bob.bearer), 200],
      [request(h.app).put('/v0/users/me/presence').set(bob.bearer).send({ presence: 'coding' }), 200],
      [request(h.app).get('/api/v1/me').set({ 'X-User-Id': admin.user.id, 'X-Auth-Token': 'wrong' }), 401],
    ];
    for (const [call, status] of calls) {
      const res = await call;
      expect({ url: res.request.url, status: res.status }).toEqual({ url: res.request.url, status });
      expectClean(res);
    }
  });

  it('failures that involve secrets are logged without them', async () => {
    const wrong = 'wrong-password-that-must-not-be-logged';
    secrets.add(wrong);
    await request(h.app).post('/api/v1/login').send({ user: 'root', password: wrong }).expect(401);
    await request(h.app).post('/api/v1/login').type('form').send({ user: 'root', password: wrong }).expect(401);
    // Malformed JSON: the parser's error carries the raw body; it must not end up in a log line.
    await request(h.app).post('/api/v1/login').set('Content-Type', 'application/json').send(`{"user":"root","password":"${wrong}"`).expect(400);
    await request(h.app).post('/api/v1/login').set('Content-Type', 'application/json').send(`{"user":"root","password":"${wrong}","pad":"${'x'.repeat(20000)}"}`).expect(413);
    // pnut clients may pass the token in the query string; the logged path has no query.
    await request(h.app).get(`/v0/presence?access_token=${admin.token}`).expect(401);
    await request(h.app).get(`/api/v1/me?authToken=${admin.token}`).set(admin.headers).expect(200);
    // Store faults are logged with their error, which must not carry a token either.
    h.faulty.reject(CONNECTIVITY_ERRORS[0].make);
    h.clock.advance(5000);
    await request(h.app).get('/api/v1/me').set(admin.headers).expect(503);
    await request(h.app).post('/api/v1/login').send({ user: 'root', password: wrong }).expect(503);
    h.faulty.reject(() => new Error('unexpected store failure'));
    await request(h.app).get('/v0/users/me/presence').set(admin.bearer).expect(500);
    h.faulty.heal();
    const bob = await h.seed();
    await remember(bob);
    await request(h.app).post('/api/v1/logout').set(bob.headers).send({}).expect(200);
    await request(h.app).get('/api/v1/me').set(bob.headers).expect(401);
  });

  it('no log line holds any of those secrets, nor headers, bodies or query strings', () => {
    // Runs last: every line any request above produced, at trace level.
    const text = logs.text();
    // Not vacuous: the failures above were logged, errors with their error object.
    const messages = logs.records().map((record) => record.msg);
    expect(messages).toEqual(expect.arrayContaining(['request completed', 'store unavailable', 'unhandled error']));
    const leaked = [...secrets].filter((secret) => text.includes(secret));
    expect(leaked).toEqual([]);
    expect(text).not.toMatch(/\$2[aby]\$\d\d\$/);
    for (const record of logs.records()) {
      expect(keysOf(record).filter((key) => [...SECRET_KEYS, 'headers', 'authorization', 'x-auth-token', 'body', 'query'].includes(key.toLowerCase()))).toEqual([]);
    }
  });
});
