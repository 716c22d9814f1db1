import request from 'supertest';
import { storeKinds } from '../support/stores';
import { buildTestApp, type SeededUser, type TestApp } from '../support/testApp';

/** The headers helmet sets with its defaults, and the value each must have. */
const HELMET_HEADERS: Record<string, RegExp> = {
  'content-security-policy': /default-src 'self'/,
  'cross-origin-opener-policy': /^same-origin$/,
  'cross-origin-resource-policy': /^same-origin$/,
  'origin-agent-cluster': /^\?1$/,
  'referrer-policy': /^no-referrer$/,
  'strict-transport-security': /max-age=\d{6,}/,
  'x-content-type-options': /^nosniff$/,
  'x-dns-prefetch-control': /^off$/,
  'x-download-options': /^noopen$/,
  'x-frame-options': /^SAMEORIGIN$/,
  'x-permitted-cross-domain-policies': /^none$/,
  'x-xss-protection': /^0$/,
};

function expectHardenedHeaders(res: request.Response): void {
  for (const [name, value] of Object.entries(HELMET_HEADERS)) {
    expect({ name, value: res.headers[name] }).toEqual({ name, value: expect.stringMatching(value) });
  }
  expect(res.headers['x-powered-by']).toBeUndefined();
}

describe.each(storeKinds())('security headers on $name store', (kind) => {
  let t: TestApp;
  let alice: SeededUser;
  beforeEach(async () => {
    t = await buildTestApp(kind);
    alice = await t.seedUser();
  });
  afterEach(() => t.close());

  // Every kind of answer: successes of both APIs, errors of both APIs, health, unknown routes, and body errors
  // that are answered before any route runs.
  const cases: [string, (t: TestApp, alice: SeededUser) => request.Test, number][] = [
    ['Rocket.Chat success', (t, a) => request(t.app).get('/api/v1/me').set(a.headers), 200],
    ['Rocket.Chat users.presence', (t, a) => request(t.app).get('/api/v1/users.presence').set(a.headers), 200],
    ['Rocket.Chat 401', (t) => request(t.app).get('/api/v1/me'), 401],
    ['Rocket.Chat 400', (t, a) => request(t.app).post('/api/v1/users.setStatus').set(a.headers).send({ status: 'sleeping' }), 400],
    ['Rocket.Chat login 401', (t) => request(t.app).post('/api/v1/login').send({ user: 'nobody', password: 'x' }), 401],
    ['pnut success', (t, a) => request(t.app).get('/v0/presence').set(a.bearer), 200],
    ['pnut 401', (t) => request(t.app).get('/v0/presence'), 401],
    ['pnut 404', (t, a) => request(t.app).get('/v0/users/nobodyatall/presence').set(a.bearer), 404],
    ['healthz', (t) => request(t.app).get('/healthz'), 200],
    ['readyz', (t) => request(t.app).get('/readyz'), 200],
    ['unknown route', (t) => request(t.app).get('/nothing/here'), 404],
    ['malformed JSON', (t, a) => request(t.app).post('/api/v1/users.setStatus').set(a.headers).set('Content-Type', 'application/json').send('{"status":'), 400],
    ['body too large', (t, a) => request(t.app).put('/v0/users/me/presence').set(a.bearer).send({ pad: 'x'.repeat(20000) }), 413],
  ];

  it.each(cases)('%s carries helmet headers and no X-Powered-By', async (_name, call, status) => {
    const res = await call(t, alice);
    expect(res.status).toBe(status);
    expectHardenedHeaders(res);
  });

  it('Rocket.Chat answers are never cached, as its REST router writes them', async () => {
    for (const res of [
      await request(t.app).get('/api/v1/me').set(alice.headers),
      await request(t.app).get('/api/v1/me'),
    ]) {
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
    }
  });
});
