import request from 'supertest';
import { loadConfig } from '../../src/config/loadConfig';
import { appPerTest, describeEachStore, type SeededUser, type TestApp } from '../support/testApp';

const ALLOWED = 'https://chat.example.com';
const ALSO_ALLOWED = 'https://web.example.org';
const STRANGER = 'https://evil.example.net';

function preflight(t: TestApp, path: string, origin: string, method = 'GET', headers = 'x-auth-token,x-user-id') {
  return request(t.app).options(path).set('Origin', origin).set('Access-Control-Request-Method', method).set('Access-Control-Request-Headers', headers);
}

describeEachStore('CORS', (kind) => {
  describe('off by default (CORS_ORIGINS unset)', () => {
    const config = loadConfig({});
    const current = appPerTest(kind, { corsOrigins: config.corsOrigins });
    let alice: SeededUser;
    beforeEach(async () => {
      alice = await current.t.seedUser();
    });

    it('reads no origin from an unset CORS_ORIGINS', () => {
      expect(config.corsOrigins).toEqual([]);
    });

    it('grants no origin on a simple request, for either API', async () => {
      for (const res of [
        await request(current.t.app).get('/api/v1/users.presence').set(alice.headers).set('Origin', ALLOWED),
        await request(current.t.app).get('/v0/presence').set(alice.bearer).set('Origin', ALLOWED),
        await request(current.t.app).get('/healthz').set('Origin', ALLOWED),
      ]) {
        expect(res.status).toBe(200);
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      }
    });

    it('answers no preflight with CORS grants: Express answers OPTIONS itself, with the methods the route serves', async () => {
      const allowed: [string, string][] = [
        ['/api/v1/users.presence', 'GET, HEAD'],
        ['/api/v1/login', 'POST'],
        ['/v0/users/me/presence', 'GET, HEAD, PUT'],
      ];
      for (const [path, methods] of allowed) {
        const res = await preflight(current.t, path, ALLOWED, 'PUT');
        expect(res.headers['access-control-allow-origin']).toBeUndefined();
        expect(res.headers['access-control-allow-headers']).toBeUndefined();
        expect(res.headers['access-control-allow-methods']).toBeUndefined();
        expect({ path, status: res.status, allow: res.headers.allow, text: res.text }).toEqual({ path, status: 200, allow: methods, text: methods });
      }
    });
  });

  describe('on for the origins listed in CORS_ORIGINS', () => {
    const config = loadConfig({ CORS_ORIGINS: ` ${ALLOWED} ,${ALSO_ALLOWED},` });
    const current = appPerTest(kind, { corsOrigins: config.corsOrigins });
    let alice: SeededUser;
    beforeEach(async () => {
      alice = await current.t.seedUser();
    });

    it('reads the origins listed in CORS_ORIGINS, trimmed, without empty entries', () => {
      expect(config.corsOrigins).toEqual([ALLOWED, ALSO_ALLOWED]);
    });

    it.each([ALLOWED, ALSO_ALLOWED])('grants %s on simple requests and exposes the headers clients read', async (origin) => {
      const res = await request(current.t.app).get('/api/v1/users.presence').set(alice.headers).set('Origin', origin);
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
        const res = await preflight(current.t, path, ALLOWED, method, headers);
        expect(res.status).toBe(204);
        expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
        expect(String(res.headers['access-control-allow-methods'])).toContain(method);
        const allowed = String(res.headers['access-control-allow-headers']).toLowerCase();
        for (const header of headers.split(',')) expect(allowed).toContain(header);
      }
    });

    it('grants nothing to an origin not listed, on simple requests and preflights', async () => {
      const simple = await request(current.t.app).get('/api/v1/users.presence').set(alice.headers).set('Origin', STRANGER);
      expect(simple.headers['access-control-allow-origin']).toBeUndefined();
      const pre = await preflight(current.t, '/api/v1/users.setStatus', STRANGER, 'POST');
      expect(pre.headers['access-control-allow-origin']).toBeUndefined();
      // A look-alike is a stranger too: origins are compared exactly, not as prefixes or suffixes.
      for (const origin of [`${ALLOWED}.evil.example.net`, 'https://chat.example.com:8443', 'http://chat.example.com', 'null']) {
        const res = await request(current.t.app).get('/healthz').set('Origin', origin);
        expect({ origin, allow: res.headers['access-control-allow-origin'] }).toEqual({ origin, allow: undefined });
      }
    });

    it('never sends a wildcard or credentials grant', async () => {
      const res = await request(current.t.app).get('/v0/presence').set(alice.bearer).set('Origin', ALLOWED);
      expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    });
  });
});
