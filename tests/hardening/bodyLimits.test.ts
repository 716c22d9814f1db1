import { gzipSync } from 'node:zlib';
import request from 'supertest';
import { appPerTest, describeEachStore, type SeededUser } from '../support/testApp';
import { buildHarness, listen, type Listening } from './support/harness';
import { send } from './support/http';
import { expectApiError, expectApiSuccess, expectPnutError, expectRocketChatError, type Api } from './support/shapes';

const LIMIT = 16 * 1024;

/** A JSON object `{"status":"away","pad":"xxx…"}` of exactly `bytes` bytes. */
function jsonOfSize(bytes: number, fields: Record<string, string>): string {
  const empty = JSON.stringify({ ...fields, pad: '' });
  return JSON.stringify({ ...fields, pad: 'x'.repeat(bytes - Buffer.byteLength(empty)) });
}

/** A form `presence=away&pad=xxx…` of exactly `bytes` bytes. */
function formOfSize(bytes: number, fields: Record<string, string>): string {
  const empty = `${new URLSearchParams(fields).toString()}&pad=`;
  return `${empty}${'x'.repeat(bytes - Buffer.byteLength(empty))}`;
}

interface BodyEndpoint {
  api: Api;
  method: 'post' | 'put';
  path: string;
  fields: Record<string, string>;
  auth: (user: SeededUser) => Record<string, string>;
  /** What a body of exactly the limit gets: read like any other (a login of nobody is refused as such, 401). */
  atLimit: 200 | 401;
}

/** The answer to a body of exactly the limit: the endpoint's own answer to its fields, never 413. */
function expectAtLimitAnswer(endpoint: BodyEndpoint, res: request.Response): void {
  if (endpoint.atLimit === 200) expectApiSuccess(endpoint.api, res);
  else expect(expectApiError(endpoint.api, res, 401)).toEqual({ status: 'error', success: false, error: 'Unauthorized', message: 'Unauthorized' });
}

const ENDPOINTS: BodyEndpoint[] = [
  { api: 'rocketchat', method: 'post', path: '/api/v1/users.setStatus', fields: { status: 'away' }, auth: (u) => u.headers, atLimit: 200 },
  { api: 'rocketchat', method: 'post', path: '/api/v1/login', fields: { user: 'nobody', password: 'x' }, auth: () => ({}), atLimit: 401 },
  { api: 'pnut', method: 'put', path: '/v0/users/me/presence', fields: { presence: 'away' }, auth: (u) => u.bearer, atLimit: 200 },
];

describeEachStore('body limits', (kind) => {
  const current = appPerTest(kind);
  let alice: SeededUser;
  beforeEach(async () => {
    alice = await current.t.seedUser();
  });

  const expectTooLarge = (api: Api, res: request.Response) => {
    const body = api === 'pnut' ? expectPnutError(res, 413) : expectRocketChatError(res, 413);
    if (api === 'rocketchat') expect(body).toEqual({ success: false, error: expect.stringMatching(/too large/i) });
    else expect((body.meta as { error_message: string }).error_message).toMatch(/too large/i);
  };

  describe.each(ENDPOINTS)('$method $path', (endpoint) => {
    const call = () => request(current.t.app)[endpoint.method](endpoint.path).set(endpoint.auth(alice));

    it('takes a JSON body of exactly 16 kB and refuses one byte more with 413 in the API shape', async () => {
      expectAtLimitAnswer(endpoint, await call().set('Content-Type', 'application/json').send(jsonOfSize(LIMIT, endpoint.fields)));
      const over = await call().set('Content-Type', 'application/json').send(jsonOfSize(LIMIT + 1, endpoint.fields));
      expectTooLarge(endpoint.api, over);
    });

    it('takes a form body of exactly 16 kB and refuses one byte more with 413 in the API shape', async () => {
      expectAtLimitAnswer(endpoint, await call().type('form').send(formOfSize(LIMIT, endpoint.fields)));
      const over = await call().type('form').send(formOfSize(LIMIT + 1, endpoint.fields));
      expectTooLarge(endpoint.api, over);
    });

    it('refuses a 1 MB body with 413 and keeps serving', async () => {
      const res = await call().set('Content-Type', 'application/json').send(jsonOfSize(1024 * 1024, endpoint.fields));
      expectTooLarge(endpoint.api, res);
      await request(current.t.app).get('/api/v1/me').set(alice.headers).expect(200);
    });
  });

  it('the at-limit bodies above were really accepted', async () => {
    await request(current.t.app).post('/api/v1/users.setStatus').set(alice.headers).set('Content-Type', 'application/json')
      .send(jsonOfSize(LIMIT, { status: 'away' })).expect(200);
    const res = await request(current.t.app).put('/v0/users/me/presence').set(alice.bearer).type('form').send(formOfSize(LIMIT, { presence: 'busy' })).expect(200);
    expect(res.body.data.presence).toBe('busy');
  });
});

describe('body limits against compressed and chunked bodies', () => {
  let server: Listening;
  let alice: SeededUser;
  beforeAll(async () => {
    const h = buildHarness();
    alice = await h.seed();
    server = await listen(h.app);
  });
  afterAll(() => server.close());

  /** A users.setStatus by alice with `body` sent as it is, under `extra` headers (a transfer or content encoding). */
  const setStatusRaw = (extra: Record<string, string>, body: Buffer | string[]) =>
    send(server.port, { method: 'POST', path: '/api/v1/users.setStatus', headers: { ...alice.headers, 'Content-Type': 'application/json', ...extra }, body });

  it('counts the bytes as they arrive: a 64 kB chunked body gets 413 in the API shape', async () => {
    const chunks = Array.from({ length: 64 }, (_, i) => (i === 0 ? '{"status":"away","pad":"' : 'x'.repeat(1024)));
    const res = await send(server.port, {
      method: 'PUT',
      path: '/v0/users/me/presence',
      headers: { ...alice.bearer, 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' },
      body: chunks,
    });
    expectPnutError(res, 413);
  });

  it('a small chunked body is read normally', async () => {
    const res = await setStatusRaw({ 'Transfer-Encoding': 'chunked' }, ['{"status":', '"away"}']);
    expect(res.status).toBe(200);
  });

  it('a gzip bomb (16 kB limit counted after inflating) is refused with 413', async () => {
    const bomb = gzipSync(jsonOfSize(10 * 1024 * 1024, { status: 'away' }));
    expect(bomb.length).toBeLessThan(LIMIT);
    const res = await setStatusRaw({ 'Content-Encoding': 'gzip' }, bomb);
    expectRocketChatError(res, 413);
  });

  it('a small gzip body is read normally', async () => {
    const res = await setStatusRaw({ 'Content-Encoding': 'gzip' }, gzipSync(JSON.stringify({ status: 'busy' })));
    expect(res.status).toBe(200);
  });
});
