import request from 'supertest';
import { appPerTest, buildTestApp, currentApp, describeEachStore, seedUsers, type SeededUser, type TestApp } from '../support/testApp';
import { storeKinds } from '../support/stores';
import { goStatus } from '../api/rocketchat/rocketChatKit';

/**
 * The hot lane (src/http/hotLane.ts) answers users.presence and pnut's presence of one user ahead of the generic
 * chain; a GET carrying a body takes the generic chain instead. Both must give a client the same answer: status,
 * every header but the request's own id and date, and body.
 */
describeEachStore('hot lane', (kind) => {
  const t = currentApp(appPerTest(kind));
  let caller: SeededUser, other: SeededUser;
  beforeEach(async () => {
    [caller, other] = await seedUsers(t, {}, { statusText: 'busy with things' });
    await goStatus(t, other, 'away');
  });

  /** The answer without a body (hot lane) and with an empty JSON object as body (generic chain). */
  async function bothLanes(t: TestApp, path: string, headers: Record<string, string>) {
    const hot = await request(t.app).get(path).set(headers);
    const generic = await request(t.app).get(path).set(headers).set('Content-Type', 'application/json').send('{}');
    const comparable = (res: request.Response) => {
      const { date: _date, 'x-request-id': _id, ...headers } = res.headers;
      return { status: res.status, headers, text: res.text };
    };
    return { hot: comparable(hot), generic: comparable(generic) };
  }

  const cases: [string, () => string, (user: SeededUser) => Record<string, string>][] = [
    ['the full list', () => '/api/v1/users.presence', (user) => user.headers],
    ['a delta', () => `/api/v1/users.presence?from=${new Date(t.clock.now().getTime() - 5_000).toISOString()}`, (user) => user.headers],
    ['ids', () => `/api/v1/users.presence?ids[]=${other.user.id}&ids[]=${caller.user.id}`, (user) => user.headers],
    ['a refused from', () => '/api/v1/users.presence?from=yesterday', (user) => user.headers],
    ['no token', () => '/api/v1/users.presence', () => ({})],
    ['pnut: one user', () => `/v0/users/${other.user.id}/presence`, (user) => user.bearer],
    ['pnut: an unknown user', () => '/v0/users/nobody/presence', (user) => user.bearer],
  ];

  it.each(cases)('%s: the same status, headers and body on both lanes', async (_label, path, headers) => {
    const { hot, generic } = await bothLanes(t, path(), headers(caller));
    expect(hot).toEqual(generic);
  });

  it('a full list revalidated by its ETag is a 304 on both lanes', async () => {
    const first = await request(t.app).get('/api/v1/users.presence').set(caller.headers);
    expect(first.status).toBe(200);
    const { hot, generic } = await bothLanes(t, '/api/v1/users.presence', { ...caller.headers, 'If-None-Match': first.headers.etag as string });
    expect(hot.status).toBe(304);
    expect(hot).toEqual(generic);
  });

  it('a GET whose body cannot be read is still refused: it leaves the hot lane', async () => {
    const res = await request(t.app).get('/api/v1/users.presence').set(caller.headers).set('Content-Type', 'application/json').send('{"from":');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ success: false, error: 'The request body is not valid JSON [invalid-params]', errorType: 'invalid-params' });
  });
});

describe('hot lane, where it is mounted', () => {
  it('answers ahead of the presence page, the body parsers and the API routers', async () => {
    const t = await buildTestApp(storeKinds()[0]);
    try {
      const layers = (t.app as unknown as { router: { stack: { name: string; route?: { path: string } }[] } }).router.stack;
      const at = (matches: (layer: { name: string; route?: { path: string } }) => boolean) => layers.findIndex(matches);
      const hot = [at((layer) => layer.route?.path === '/api/v1/users.presence'), at((layer) => layer.route?.path === '/v0/users/:user_id/presence')];
      const generic = [at((layer) => layer.name === 'router'), at((layer) => layer.name === 'jsonParser'), at((layer) => layer.name === 'urlencodedParser')];
      expect(hot.every((index) => index >= 0) && generic.every((index) => index >= 0)).toBe(true);
      expect(Math.max(...hot)).toBeLessThan(Math.min(...generic));
    } finally {
      await t.close();
    }
  });
});
