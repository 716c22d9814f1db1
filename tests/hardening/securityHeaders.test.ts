import request from 'supertest';
import { appPerTest, describeEachStore, type SeededUser, type TestApp } from '../support/testApp';

/** OWASP's REST Security Cheat Sheet headers for a JSON API, exactly. */
const REST_HEADERS: Record<string, string> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-frame-options': 'DENY',
  'content-security-policy': "frame-ancestors 'none'",
};

/** What only an HTML page needs (the page's own set, and what other frameworks add by default): a JSON API sends none of it. */
const PAGE_ONLY_HEADERS = [
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'cross-origin-embedder-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
  'x-powered-by',
];

function expectHardenedHeaders(res: request.Response): void {
  for (const [name, value] of Object.entries(REST_HEADERS)) expect({ name, value: res.headers[name] }).toEqual({ name, value });
  for (const name of PAGE_ONLY_HEADERS) expect({ name, value: res.headers[name] }).toEqual({ name, value: undefined });
}

describeEachStore('security headers', (kind) => {
  const current = appPerTest(kind);
  let alice: SeededUser;
  beforeEach(async () => {
    alice = await current.t.seedUser();
  });

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
    ['metrics', (t) => request(t.app).get('/metrics'), 200],
    ['OpenAPI document', (t) => request(t.app).get('/api/openapi.json'), 200],
    ['readyz', (t) => request(t.app).get('/readyz'), 200],
    ['unknown route', (t) => request(t.app).get('/nothing/here'), 404],
    ['malformed JSON', (t, a) => request(t.app).post('/api/v1/users.setStatus').set(a.headers).set('Content-Type', 'application/json').send('{"status":'), 400],
    ['body too large', (t, a) => request(t.app).put('/v0/users/me/presence').set(a.bearer).send({ pad: 'x'.repeat(20000) }), 413],
  ];

  it.each(cases)('%s carries the REST security headers and none of the page-only ones', async (_name, call, status) => {
    const res = await call(current.t, alice);
    expect(res.status).toBe(status);
    expectHardenedHeaders(res);
  });

  it('a 304 carries them too, and not much else', async () => {
    const first = await request(current.t.app).get('/api/v1/users.presence').set(alice.headers).expect(200);
    const res = await request(current.t.app).get('/api/v1/users.presence').set(alice.headers).set('If-None-Match', first.headers.etag);
    expect(res.status).toBe(304);
    expectHardenedHeaders(res);
    expect(Object.keys(res.headers).sort()).toEqual([
      'cache-control', 'connection', 'content-security-policy', 'date', 'etag', 'pragma', 'strict-transport-security',
      'x-content-type-options', 'x-frame-options', 'x-presence-cursor', 'x-request-id',
    ]);
  });

  it('Rocket.Chat answers are never cached, as its REST router writes them', async () => {
    for (const res of [
      await request(current.t.app).get('/api/v1/me').set(alice.headers),
      await request(current.t.app).get('/api/v1/me'),
    ]) {
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
    }
  });
});
