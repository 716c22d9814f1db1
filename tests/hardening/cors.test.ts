import request from 'supertest';
import { loadConfig } from '../../src/config/loadConfig';
import { storeKinds } from '../support/stores';
import { buildTestApp, type SeededUser, type TestApp } from '../support/testApp';

const ALLOWED = 'https://chat.example.com';
const ALSO_ALLOWED = 'https://web.example.org';
const STRANGER = 'https://evil.example.net';

function preflight(t: TestApp, path: string, origin: string, method = 'GET', headers = 'x-auth-token,x-user-id') {
  return request(t.app).options(path).set('Origin', origin).set('Access-Control-Request-Method', method).set('Access-Control-Request-Headers', headers);
}

describe.each(storeKinds())('CORS on $name store', (kind) => {
  describe('off by default (CORS_ORIGINS unset)', () => {
    let t: TestApp;
    let alice: SeededUser;
    beforeEach(async () => {
      const config = loadConfig({});
      expect(config.corsOrigins).toEqual([]);
      t = await buildTestApp(kind, { corsOrigins: config.corsOrigins });
      alice = await t.seedUser();
    });
    afterEach(() => t.close());

    it('grants no origin on a simple request, for either API', async () => {
      for (const res of [
        await request(t.app).get('/api/v1/users.presence').set(alice.headers).set('Origin', ALLOWED),
        await request(t.app).get('/v0/presence').set(alice.bearer).set('Origin', ALLOWED),
        await request(t.app).get('/healthz').set('Origin', ALLOWED),
      ]) {
        expect(res.status).toBe(200);
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      }
    });

    it('answers no preflight with CORS grants', async () => {
      for (const path of ['/api/v1/users.presence', '/api/v1/login', '/v0/users/me/presence']) {
        const res = await preflight(t, path, ALLOWED, 'PUT');
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        expect(res.headers['access-control-allow-headers']).toBeUndefined();
        expect(res.headers['access-control-allow-methods']).toBeUndefined();
        expect(res.status).toBeLessThan(500);
      }
    });
  });

  describe('on for the origins listed in CORS_ORIGINS', () => {
    let t: TestApp;
    let alice: SeededUser;
    beforeEach(async () => {
      const config = loadConfig({ CORS_ORIGINS: ` ${ALLOWED} ,${ALSO_ALLOWED},` });
      expect(config.corsOrigins).toEqual([ALLOWED, ALSO_ALLOWED]);
      t = await buildTestApp(kind, { corsOrigins: config.corsOrigins });
      alice = await t.seedUser();
    });
    afterEach(() => t.close());

    it.each([ALLOWED, ALSO_ALLOWED])('grants %s on simple requests and exposes the headers clients read', async (origin) => {
      const res = await request(t.app).get('/api/v1/users.presence').set(alice.headers).set('Origin', origin);
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers.vary).toMatch(/Origin/i);
      const exposed = String(res.headers['access-control-expose-headers']).toLowerCase();
      for (const header of ['etag', 'x-request-id', 'x-updated-presence']) expect(exposed).toContain(header);
    });

    it('answers a preflight for either API with the auth headers allowed', async () => {
      for (const [path, method, headers] of [
        ['/api/v1/users.setStatus', 'POST', 'content-type,x-auth-token,x-user-id'],
        ['/api/v1/login', 'POST', 'content-type'],
        ['/v0/users/me/presence', 'PUT', 'authorization,content-type'],
      ]) {
        const res = await preflight(t, path, ALLOWED, method, headers);
        expect(res.status).toBe(204);
        expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
        expect(String(res.headers['access-control-allow-methods'])).toContain(method);
        const allowed = String(res.headers['access-control-allow-headers']).toLowerCase();
        for (const header of headers.split(',')) expect(allowed).toContain(header);
      }
    });

    it('grants nothing to an origin not listed, on simple requests and preflights', async () => {
      const simple = await request(t.app).get('/api/v1/users.presence').set(alice.headers).set('Origin', STRANGER);
      expect(simple.headers['access-control-allow-origin']).toBeUndefined();
      const pre = await preflight(t, '/api/v1/users.setStatus', STRANGER, 'POST');
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
      // A look-alike is a stranger too: origins are compared exactly, not as prefixes or suffixes.
      for (const origin of [`${ALLOWED}.evil.example.net`, 'https://chat.example.com:8443', 'http://chat.example.com', 'null']) {
        const res = await request(t.app).get('/healthz').set('Origin', origin);
        expect({ origin, allow: res.headers['access-control-allow-origin'] }).toEqual({ origin, allow: undefined });
      }
    });

    it('never sends a wildcard or credentials grant', async () => {
      const res = await request(t.app).get('/v0/presence').set(alice.bearer).set('Origin', ALLOWED);
      expect(res.headers['access-control-allow-origin']).not.toBe('*');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    });
  });
});
